import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { DatabaseConnectionError, DatabaseMissingError, MultiDbModule, type MultiDbSetupOptions } from 'nestjs-multidb';
import { rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { Post, User } from '../fixtures/entities.js';
import { freePort } from '../fixtures/free-port.js';

const compile = (options: MultiDbSetupOptions) =>
  rejection(Test.createTestingModule({ imports: [MultiDbModule.setup(options)] }).compile());

const sessionsOn = async (database: string) =>
  (
    await runSql<{ n: number }>(
      'postgres',
      'postgres',
      `select count(*)::int as n from pg_stat_activity where datname = '${database}'`,
    )
  )[0]?.n;

describe('start-up against real servers', () => {
  it('a database that refuses connections stops start-up, and the databases that did start are closed', async () => {
    const main = await createDatabase('postgres', 'startup');
    const port = await freePort();
    const error = await compile({
      databases: { default: serverUrl('postgres', main), auth: `mysql://app:TopSecret1@127.0.0.1:${port}/users` },
      entities: [Post, User],
    });
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain(`Database 'auth' (mysql://app:***@127.0.0.1:${port}/users) could not be reached`);
    expect(error.message).not.toContain('TopSecret1');
    // the PostgreSQL pool that had connected must not be left open
    await expect.poll(() => sessionsOn(main), { timeout: 5_000 }).toBe(0);
  });

  it('a wrong password is reported with the key and the masked URL, never the password', async () => {
    const main = await createDatabase('postgres', 'badpw');
    const url = serverUrl('postgres', main).replace(/:[^:@/]+@/, ':Wrong-Pass-42@');
    const error = await compile({ databases: { default: 'sqlite://', auth: url } });
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain("Database 'auth' (postgresql://postgres:***@127.0.0.1:");
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('Wrong-Pass-42');
  });

  it("a missing database is created (MikroORM's ensureDatabase); with ensureDatabase: false it stops start-up naming the key", async () => {
    const name = `fresh_${Date.now().toString(36)}`;
    const error = await compile({ databases: { default: { url: serverUrl('mariadb', name), ensureDatabase: false } } });
    expect(error).toBeInstanceOf(DatabaseMissingError); // a DatabaseConnectionError
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toMatch(
      new RegExp(
        `Database 'default' \\(mysql://root:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/${name}\\): the database '${name}' does not exist`,
      ),
    );

    const moduleRef = await Test.createTestingModule({
      imports: [MultiDbModule.setup({ databases: serverUrl('mariadb', name) })],
    }).compile();
    await moduleRef.close();
    expect(
      await runSql(
        'mariadb',
        'mysql',
        `select schema_name as n from information_schema.schemata where schema_name = '${name}'`,
      ),
    ).toEqual([{ n: name }]);
  });
});
