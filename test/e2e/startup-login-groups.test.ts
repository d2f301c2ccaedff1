import { afterEach, describe, expect, it } from 'vitest';
import {
  DatabaseConnectionError,
  DatabaseMissingError,
  type DbService,
  type MultiDbSetupOptions,
} from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';

/** Sessions of any of `databases`, client backends only. */
const sessionsOn = async (databases: readonly string[]) =>
  (
    await runSql<{ n: number }>(
      'postgres',
      'postgres',
      `select count(*)::int as n from pg_stat_activity where datname in (${databases.map((d) => `'${d}'`).join(', ')})`,
    )
  )[0]?.n ?? 0;

const currentDatabase = async (db: DbService, key: string) =>
  (await db.em(key).getConnection().execute<{ d: string }[]>('select current_database() as d'))[0]?.d;

let booted: Booted | undefined;
afterEach(async () => {
  await booted?.app.close();
  booted = undefined;
});

const startWith = async (options: MultiDbSetupOptions) => {
  booted = await boot(options);
  return booted.db;
};

describe('PostgreSQL keys sharing a server and a login are checked over one connection at start-up (#15)', () => {
  it('ten keys open one connection at start-up, and each reaches its own database at its first query', async () => {
    const names = await Promise.all(Array.from({ length: 10 }, () => createDatabase('postgres', 'login_group')));
    const databases = Object.fromEntries(
      names.map((name, i) => [i === 0 ? 'default' : `k${i}`, serverUrl('postgres', name)]),
    );
    const db = await startWith({ databases });
    // one key connected and confirmed the nine others over that connection (was 10 sessions before)
    expect(await sessionsOn(names)).toBe(1);
    for (const [key, url] of Object.entries(databases)) {
      expect(await currentDatabase(db, key)).toBe(new URL(url).pathname.slice(1));
    }
    expect(await sessionsOn(names)).toBe(10);
  });

  it("a key whose database is missing is still created by MikroORM's ensureDatabase, and with ensureDatabase: false stops start-up naming that key", async () => {
    const main = await createDatabase('postgres', 'login_main');
    const missing = `login_missing_${Date.now().toString(36)}`;
    const error = await rejection(
      boot({
        databases: {
          default: serverUrl('postgres', main),
          reports: { url: serverUrl('postgres', missing), ensureDatabase: false },
        },
      }),
    );
    expect(error).toBeInstanceOf(DatabaseMissingError);
    expect(error.message).toContain(`Database 'reports' (postgresql://postgres:***@`);
    expect(error.message).toContain(`the database '${missing}' does not exist`);

    const db = await startWith({
      databases: { default: serverUrl('postgres', main), reports: serverUrl('postgres', missing) },
    });
    expect(await currentDatabase(db, 'reports')).toBe(missing);
  });

  it('a key whose database refuses the login CONNECT stops start-up naming that key', async () => {
    const open = await createDatabase('postgres', 'login_open');
    const locked = await createDatabase('postgres', 'login_locked');
    const role = `limited_${Date.now().toString(36)}`;
    await runSql('postgres', 'postgres', `create role ${role} login password 'Limited-Pass-7'`);
    await runSql('postgres', 'postgres', `revoke connect on database ${locked} from public`);
    const asRole = (name: string) =>
      serverUrl('postgres', name).replace(/\/\/[^@]+@/, `//${role}:${encodeURIComponent('Limited-Pass-7')}@`);
    const error = await rejection(boot({ databases: { default: asRole(open), audit: asRole(locked) } }));
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain(`Database 'audit' (postgresql://${role}:***@`);
    expect(error.message).toMatch(/permission denied for database/);
    expect(error.message).not.toContain('Limited-Pass-7');
  });

  it("a wrong password fails the group's first key with its own error, and no other key waits for ever", async () => {
    const names = await Promise.all([createDatabase('postgres', 'login_pw'), createDatabase('postgres', 'login_pw')]);
    const wrong = (name: string) => serverUrl('postgres', name).replace(/:[^:@/]+@/, ':Wrong-Pass-43@');
    const error = await rejection(boot({ databases: { default: wrong(names[0]), second: wrong(names[1]) } }));
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain("Database 'default' (postgresql://postgres:***@");
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('Wrong-Pass-43');
    expect(await sessionsOn(names)).toBe(0);
  });

  it('keys with different logins on one server each connect at start-up', async () => {
    const names = await Promise.all([createDatabase('postgres', 'login_two'), createDatabase('postgres', 'login_two')]);
    const role = `other_${Date.now().toString(36)}`;
    await runSql('postgres', 'postgres', `create role ${role} login password 'Other-Pass-8'`);
    const asRole = serverUrl('postgres', names[1]).replace(/\/\/[^@]+@/, `//${role}:Other-Pass-8@`);
    await startWith({ databases: { default: serverUrl('postgres', names[0]), other: asRole } });
    expect(await sessionsOn(names)).toBe(2);
  });
});
