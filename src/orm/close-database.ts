import type { Logger } from '@nestjs/common';
import { messages } from '../errors/messages.js';
import { type ControlConnections, poolUsageOf } from './pool-usage.js';
import { type Refusal, sealConnection } from './seal.js';

/** What closing one database needs. */
export interface Closing {
  key: string;
  /** Its MikroORM connections (primary, replicas; or the coordinator log's own). */
  connections: readonly object[];
  /** Milliseconds to wait for connections still in use before destroying them. */
  shutdownTimeout: number;
  /** What its handles throw from now on. */
  refusal: Refusal;
  /** Closes the pools themselves (`orm.close()`), once no connection is in use. */
  close: () => Promise<void>;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Closes a database so that nothing outlives it: from the first moment every handle refuses new
 * work (no new pool, no new checkout); connections still in use — an open transaction, a query in
 * flight — get `shutdownTimeout` ms to be given back, then are destroyed with a warning naming the
 * key and how many were busy; then the pools close, their timers cleared.
 */
export async function closeWithin(closing: Closing): Promise<void> {
  const { key, connections, shutdownTimeout, refusal, close, logger } = closing;
  for (const connection of connections) sealConnection(connection, refusal);
  const pools = connections.flatMap((connection) => {
    const usage = poolUsageOf(connection);
    usage?.refuse(refusal); // no checkout while it closes
    return usage ? [{ connection, usage }] : [];
  });
  if (!(await settlesWithin(Promise.all(pools.map(({ usage }) => usage.idle())), shutdownTimeout))) {
    const busy = pools.reduce((sum, { usage }) => sum + usage.busy, 0);
    if (busy > 0) logger.warn(messages.shutdownTimedOut(key, busy, shutdownTimeout));
    await Promise.all(pools.map(({ connection, usage }) => usage.destroyBusy(controlConnections(connection))));
  }
  await close();
}

/** The parts of MikroORM's SQL connection a control connection is made of. */
interface SqlConnection {
  readonly config: unknown;
  readonly options: unknown;
  connect(options: { skipOnConnect: boolean }): Promise<void>;
  getClient(): { connection(): { execute(fn: (db: never) => Promise<void>): Promise<void> } };
  close(force: boolean): Promise<void>;
}

/**
 * Short-lived connections to the same server as `owner` (a sealed MikroORM connection, whose own
 * pool refuses), to end sessions still running a statement: `pg_terminate_backend` on PostgreSQL
 * (MySQL and MariaDB sessions are killed by Kysely over a control connection of its own).
 */
function controlConnections(owner: object): ControlConnections {
  return async (consumer) => {
    const { config, options } = owner as SqlConnection;
    const Class = owner.constructor as new (config: unknown, options: unknown, type: string) => SqlConnection;
    const control = new Class(config, options, 'write');
    try {
      await control.connect({ skipOnConnect: true });
      await control.getClient().connection().execute(consumer);
    } finally {
      await control.close(true);
    }
  };
}

/** Whether `promise` settles within `ms`; the timer never outlives the wait. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
