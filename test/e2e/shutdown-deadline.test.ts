import { EntitySchema } from '@mikro-orm/core';
import { describe, expect, inject, it } from 'vitest';
import { DbService, type MultiDbModuleOptions } from 'nestjs-multidb';
import { createDatabase, type Engine, runSql, serverUrl } from '../fixtures/databases.js';
import { bootLogged as bootKeepingWarnings } from '../fixtures/boot.js';
import { expectNoSessions, sessionsOn } from '../fixtures/sessions.js';

interface Item {
  id: number;
  name: string;
}
const Item = new EntitySchema<Item>({
  name: 'Item',
  tableName: 'items',
  properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
});

const DEADLINE_MS = 1_000;
/** The bound: app.close() returns within the deadline plus 2 s. */
const CLOSE_BOUND_MS = DEADLINE_MS + 2_000;
const forever = new Promise<never>(() => undefined);

/** Boots with a logger that keeps every warning, and creates the tables. */
async function bootLogged(options: MultiDbModuleOptions) {
  const booted = await bootKeepingWarnings(options);
  await booted.db.createAll();
  return booted;
}

/** How app.close() ended: 'closed', or 'still waiting' once the bound passed. */
async function closeWithinBound(app: { close(): Promise<void> }): Promise<'closed' | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'still waiting'>((resolve) => {
    timer = setTimeout(resolve, CLOSE_BOUND_MS, 'still waiting');
  });
  try {
    return await Promise.race([app.close().then(() => 'closed' as const), bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a transaction that writes a row, runs `statement`, then never finishes; resolves once it is inside. */
async function leaveOpen(db: DbService, id: number, statement: string, twoPhase = false): Promise<void> {
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => (inside = resolve));
  void db
    .transaction(
      ['default'],
      async (ems) => {
        await ems.default.insert(Item, { id, name: 'uncommitted' });
        inside();
        await ems.default.getConnection().execute(statement, [], 'all', ems.default.getTransactionContext());
        await forever;
      },
      { twoPhase },
    )
    .catch(() => undefined);
  await entered;
}

async function rowsOf(engine: Engine, database: string): Promise<number> {
  const [row] = await runSql<{ n: number | string }>(engine, database, 'select count(*) as n from items');
  return Number(row?.n);
}

const SLEEP = { postgres: 'select pg_sleep(30)', mariadb: 'select sleep(30)' } as const;

describe('shutdown that ends: shutdownTimeout (issue #14)', () => {
  for (const engine of ['postgres', 'mariadb'] as const) {
    it(`${engine}: a transaction left open is destroyed at the deadline, with a warning naming the key; no session remains`, async () => {
      const name = await createDatabase(engine, 'deadline');
      const url = serverUrl(engine, name);
      const { app, warnings } = await bootLogged({
        databases: { default: { url, shutdownTimeout: DEADLINE_MS } },
        entities: [Item],
      }).then(async (booted) => {
        await leaveOpen(booted.db, 1, 'select 1');
        return booted;
      });
      expect(await sessionsOn(engine, name)).toBeGreaterThan(0);

      expect(await closeWithinBound(app)).toBe('closed');

      await expectNoSessions(engine, name);
      expect(await rowsOf(engine, name)).toBe(0); // rolled back by the server
      const warning = warnings.find((w) => w.includes('still busy'));
      expect(warning).toContain("Database 'default': 1 connection was still busy");
      expect(warning).toContain(`${DEADLINE_MS} ms`);
      expect(warning).toContain('shutdownTimeout');
      expect(warnings.join('\n')).not.toContain(inject(engine).password);
    });

    it(`${engine}: a statement still running and a two-phase transaction (its coordinator session too) end at the deadline`, async () => {
      const name = await createDatabase(engine, 'deadline2pc');
      const { app, db, warnings } = await bootLogged({
        databases: { default: serverUrl(engine, name) },
        common: { shutdownTimeout: DEADLINE_MS },
        entities: [Item],
      });
      await leaveOpen(db, 1, 'select 1', true);
      await leaveOpen(db, 2, SLEEP[engine]); // its statement runs from now on, for 30 s
      // the coordinator log's session, the two-phase participant's and the sleeping one's (at least)
      await expect.poll(() => sessionsOn(engine, name), { interval: 50 }).toBeGreaterThanOrEqual(3);

      expect(await closeWithinBound(app)).toBe('closed');

      // a terminated backend takes a moment to go; a statement left running would stay for 30 s
      await expectNoSessions(engine, name);
      expect(await rowsOf(engine, name)).toBe(0);
      // the database's pool (two transactions) and the coordinator log's own (one session)
      expect(warnings.filter((w) => w.includes('still busy')).sort()).toEqual([
        expect.stringContaining("Database 'default': 1 connection was still busy"),
        expect.stringContaining("Database 'default': 2 connections were still busy"),
      ]);
    });

    it(`${engine}: a transaction that finishes within the deadline commits; closing waits for it and warns of nothing`, async () => {
      const name = await createDatabase(engine, 'deadlinegrace');
      const { app, db, warnings } = await bootLogged({
        databases: { default: { url: serverUrl(engine, name), shutdownTimeout: 10_000 } },
        entities: [Item],
      });
      let finish!: () => void;
      const finishing = new Promise<void>((resolve) => (finish = resolve));
      let inside!: () => void;
      const entered = new Promise<void>((resolve) => (inside = resolve));
      const transaction = db.transaction(['default'], async (ems) => {
        await ems.default.insert(Item, { id: 1, name: 'committed' });
        inside();
        await finishing;
      });
      await entered;
      const closing = db.close(); // what app.close() runs last (onApplicationShutdown)
      // new work is refused while closing; the transaction in flight is not
      await expect(db.em().getConnection().execute('select 1')).rejects.toThrow("Database 'default' is closed");
      finish();
      await transaction;
      await closing;
      await app.close();
      expect(await rowsOf(engine, name)).toBe(1);
      expect(warnings.filter((w) => w.includes('still busy'))).toEqual([]);
      await expectNoSessions(engine, name);
    });
  }
});
