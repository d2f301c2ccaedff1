import { afterEach, describe, expect, it, vi } from 'vitest';
import { retireAgedConnections } from '../../src/orm/pool-recycle.js';

/** A Kysely-like dialect over a fake pool: connections are numbered, killSession destroys one. */
function fakeDialect() {
  const events: string[] = [];
  let next = 1;
  const idle: { id: number; killSession(): Promise<void> }[] = [];
  const connection = () => {
    const c = {
      id: next++,
      killSession: async () => {
        events.push(`kill ${c.id}`);
      },
    };
    return c;
  };
  const driver = {
    acquireConnection: async () => {
      const c = idle.pop() ?? connection();
      events.push(`acquire ${c.id}`);
      return c;
    },
    releaseConnection: async (c: object) => {
      const conn = c as (typeof idle)[number];
      events.push(`release ${conn.id}`);
      idle.push(conn);
    },
  };
  return { events, dialect: { createDriver: () => driver } };
}

/** A MikroORM connection whose resolved pool has this maxLifetime. */
const ormConnection = (maxLifetime: number | undefined) => ({
  config: { get: () => (maxLifetime === undefined ? {} : { maxLifetime }) },
});

afterEach(() => vi.useRealTimers());

describe('retireAgedConnections (pool.maxLifetime where the driver has none)', () => {
  it('retires a connection released after its lifetime, never one in use, and takes a new one', async () => {
    vi.useFakeTimers();
    const { events, dialect } = fakeDialect();
    const driver = retireAgedConnections(dialect, ormConnection(1000)).createDriver();
    const first = await driver.acquireConnection();
    await driver.releaseConnection(first);
    vi.advanceTimersByTime(600);
    const again = await driver.acquireConnection(); // 600 ms old: kept
    expect(again).toBe(first);
    vi.advanceTimersByTime(600); // in use while it passes its lifetime: not interrupted
    expect(events).not.toContain('kill 1');
    await driver.releaseConnection(again);
    expect(events).toEqual(['acquire 1', 'release 1', 'acquire 1', 'kill 1']);
    const fresh = (await driver.acquireConnection()) as { id: number };
    expect(fresh.id).toBe(2);
  });

  it('an idle connection past its lifetime is retired when taken, and another one handed out', async () => {
    vi.useFakeTimers();
    const { events, dialect } = fakeDialect();
    const driver = retireAgedConnections(dialect, ormConnection(1000)).createDriver();
    await driver.releaseConnection(await driver.acquireConnection());
    vi.advanceTimersByTime(1500);
    const c = (await driver.acquireConnection()) as { id: number };
    expect(c.id).toBe(2);
    expect(events).toEqual(['acquire 1', 'release 1', 'acquire 1', 'kill 1', 'acquire 2']);
  });

  it('changes nothing without maxLifetime (pg, SQLite, or no recycling asked)', () => {
    const { dialect } = fakeDialect();
    const createDriver = dialect.createDriver;
    expect(retireAgedConnections(dialect, ormConnection(undefined)).createDriver).toBe(createDriver);
    expect(retireAgedConnections(dialect, {}).createDriver).toBe(createDriver);
  });
});
