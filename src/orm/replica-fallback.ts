import type { MikroORM } from '@mikro-orm/core';
import { isUnavailable } from '../errors/unavailable.js';

/** How long an unreachable replica is left out before it is tried again. */
export const REPLICA_RETRY_MS = 5_000;

interface Connection {
  execute(...args: unknown[]): Promise<unknown>;
  config?: unknown;
}

interface DriverWithReplicas {
  connection: Connection;
  replicas?: Connection[];
  getConnection(type?: 'read' | 'write'): Connection;
}

/**
 * MikroORM sends each read to a random replica and fails when that replica is down. Here a read
 * that meets an unreachable replica is run again on the primary (reads are safe to repeat), and
 * that replica is left out for REPLICA_RETRY_MS: a dead replica never takes its database down.
 */
export function fallBackFromDeadReplicas(orm: MikroORM, onDown: (replica: number, error: unknown) => void): void {
  const driver = orm.driver as unknown as DriverWithReplicas;
  const replicas = driver.replicas ?? [];
  if (replicas.length === 0) return;
  const primary = driver.connection;
  const downUntil = new Map<Connection, number>();
  const pick = driver.getConnection.bind(driver);
  driver.getConnection = (type = 'write') => {
    if (type === 'write') return pick('write');
    const now = Date.now();
    const up = replicas.filter((r) => (downUntil.get(r) ?? 0) <= now);
    return up.length === 0 ? primary : (up[Math.floor(Math.random() * up.length)] as Connection);
  };
  replicas.forEach((replica, index) => {
    const execute = replica.execute.bind(replica);
    replica.execute = async (...args: unknown[]) => {
      try {
        return await execute(...args);
      } catch (error) {
        // a closed database refuses on every connection: no replica is down then
        if (!isUnavailable(error) || isClosedError(error)) throw error;
        if ((downUntil.get(replica) ?? 0) <= Date.now()) onDown(index, error);
        downUntil.set(replica, Date.now() + REPLICA_RETRY_MS);
        return primary.execute(...args);
      }
    };
  });
}

function isClosedError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'MULTIDB_DATABASE_CLOSED';
}
