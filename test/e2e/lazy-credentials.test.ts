import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Controller, Get, type INestApplication, Param } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EntitySchema } from '@mikro-orm/core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DatabaseUnavailableFilter, DbService, inDatabase, pingDatabase } from 'nestjs-multidb';
import { boot } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';

/** Shaped like the throwaway servers' passwords, so that the secrets sweep also looks for it. */
const WRONG = `pw_${randomBytes(12).toString('hex')}`;
/** The right password of the two accounts made here (their creation is logged, so it is not shaped like WRONG). */
const ACCOUNT_SECRET = `acct_${randomBytes(12).toString('hex')}`;
const NO_LOGIN_ROLE = `nologin_${process.pid}`;
const NO_GRANTS_USER = `nogrants_${process.pid}`;
const UNKNOWN_HOST = 'no-such-host.invalid';

const withPassword = (url: string, password: string) => {
  const u = new URL(url);
  u.password = password;
  return u.toString();
};
const withUser = (url: string, user: string, password: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};
const withHost = (url: string, host: string) => {
  const u = new URL(url);
  u.hostname = host;
  return u.toString();
};

/** One table per key, so the repository path (find → driver → exception converter) is exercised too. */
const reportsOf = (key: string) =>
  inDatabase(
    key,
    new EntitySchema({
      name: `Report_${key}`,
      tableName: 'reports',
      properties: { id: { type: 'integer', primary: true } },
    }),
  );

@Controller()
class ProbeController {
  constructor(private readonly db: DbService) {}

  @Get('raw/:key')
  raw(@Param('key') key: string) {
    return this.db.em(key).getConnection().execute('select 1 as v');
  }

  @Get('find/:key')
  find(@Param('key') key: string) {
    return this.db.em(key).find(`Report_${key}` as never, {});
  }

  @Get('tx/:key')
  tx(@Param('key') key: string) {
    return this.db.em(key).transactional((em) => em.find(`Report_${key}` as never, {}));
  }

  @Get('both/:key')
  both(@Param('key') key: string) {
    return this.db.transaction(['default', key], (ems) => ems[key]?.find(`Report_${key}` as never, {}));
  }

  @Get('sql/:key/:statement')
  sql(@Param('key') key: string, @Param('statement') statement: string) {
    return this.db.em(key).getConnection().execute(statement);
  }
}

/** Each way a lazy database can be out of reach without its server being down. */
const UNREACHABLE = [
  { key: 'pg_password', why: 'wrong password (PostgreSQL 28P01)', reason: /password authentication failed/ },
  { key: 'maria_password', why: 'wrong password (MariaDB 1045)', reason: /Access denied for user/ },
  { key: 'mysql_password', why: 'wrong password (MariaDB through mysql://, 1045)', reason: /Access denied/ },
  { key: 'pg_nologin', why: 'a role that may not log in (PostgreSQL 28000)', reason: /not permitted to log in/ },
  { key: 'maria_nogrants', why: 'a user without access to the database (MariaDB 1044)', reason: /Access denied/ },
  { key: 'pg_missing', why: 'missing database, ensureDatabase off (PostgreSQL 3D000)', reason: /does not exist/ },
  { key: 'maria_missing', why: 'missing database, ensureDatabase off (MariaDB 1049)', reason: /Unknown database/ },
  { key: 'pg_host', why: 'unknown host (PostgreSQL)', reason: /ENOTFOUND|EAI_AGAIN/ },
  { key: 'maria_host', why: 'unknown host (MariaDB)', reason: /ENOTFOUND|EAI_AGAIN/ },
  { key: 'pg_ssl', why: 'SSL asked of a server without it (PostgreSQL)', reason: /does not support SSL/ },
  { key: 'maria_ssl', why: 'SSL asked of a server without it (MariaDB)', reason: /does not support secure/ },
] as const;

describe('a lazy database that cannot be logged into (or otherwise opened) answers 503, on PostgreSQL and MariaDB', () => {
  let app: INestApplication;
  let db: DbService;
  let pgDb: string;
  let mariaDb: string;
  const passwords = () => [WRONG, ACCOUNT_SECRET, inject('postgres').password, inject('mariadb').password];
  const bodies: string[] = [];

  beforeAll(async () => {
    [pgDb, mariaDb] = await Promise.all([
      createDatabase('postgres', 'lazy_cred'),
      createDatabase('mariadb', 'lazy_cred'),
    ]);
    await runSql('postgres', 'postgres', `create role ${NO_LOGIN_ROLE} nologin password '${ACCOUNT_SECRET}'`);
    await runSql('mariadb', 'mysql', `create user '${NO_GRANTS_USER}'@'%' identified by '${ACCOUNT_SECRET}'`);
    const pg = serverUrl('postgres', pgDb);
    const maria = serverUrl('mariadb', mariaDb, 'mariadb');
    const lazy = (url: string, extra: Record<string, unknown> = {}) => ({ url, lazy: true, ...extra });
    // the keys that reach pg_ok's or maria_ok's database under other credentials share it on purpose
    const onPg = { sharesDatabaseWith: 'pg_ok' };
    const onMaria = { sharesDatabaseWith: 'maria_ok' };
    const urls = {
      pg_password: lazy(withPassword(pg, WRONG), onPg),
      maria_password: lazy(withPassword(maria, WRONG), onMaria),
      mysql_password: lazy(withPassword(serverUrl('mariadb', mariaDb), WRONG), onMaria),
      pg_nologin: lazy(withUser(pg, NO_LOGIN_ROLE, ACCOUNT_SECRET), onPg),
      maria_nogrants: lazy(withUser(maria, NO_GRANTS_USER, ACCOUNT_SECRET), onMaria),
      pg_missing: lazy(serverUrl('postgres', 'lazy_cred_missing'), { ensureDatabase: false }),
      maria_missing: lazy(serverUrl('mariadb', 'lazy_cred_missing', 'mariadb'), { ensureDatabase: false }),
      pg_host: lazy(withHost(pg, UNKNOWN_HOST)),
      maria_host: lazy(withHost(maria, UNKNOWN_HOST)),
      pg_ssl: lazy(`${pg}?ssl=true`, onPg),
      maria_ssl: lazy(maria, { driverOptions: { ssl: {} }, ...onMaria }),
    };
    ({ app, db } = await boot(
      {
        databases: { default: 'sqlite://', pg_ok: pg, maria_ok: maria, ...urls },
        common: { acquireTimeout: 5_000 },
        entities: Object.keys(urls).map(reportsOf),
      },
      { controllers: [ProbeController], providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }] },
    ));
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    for (const body of bodies) for (const secret of passwords()) expect(body).not.toContain(secret);
    await runSql('postgres', 'postgres', `drop role if exists ${NO_LOGIN_ROLE}`);
    await runSql('mariadb', 'mysql', `drop user if exists '${NO_GRANTS_USER}'@'%'`);
  });

  const get = async (path: string) => {
    const response = await request(app.getHttpServer()).get(path);
    bodies.push(response.text);
    return response;
  };

  it('starts with every one of them left out (lazy), the reachable ones ready', () => {
    expect([...db.unreachableAtStart].sort()).toEqual(UNREACHABLE.map((u) => u.key).sort());
  });

  for (const { key, why } of UNREACHABLE) {
    it(`${why}: a raw query, a find, a transaction and a cross-database transaction get 503 naming '${key}', no password in the body`, async () => {
      for (const path of [`/raw/${key}`, `/find/${key}`, `/tx/${key}`, `/both/${key}`]) {
        const response = await get(path);
        expect({ path, status: response.status }).toEqual({ path, status: 503 });
        expect(response.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: `Database '${key}' is unavailable right now; retry later.`,
          database: key,
        });
      }
    });
  }

  it('health pings report each of them down with the driver reason, masked', async () => {
    for (const { key, reason } of UNREACHABLE) {
      const ping = await pingDatabase(db, key, { timeout: 5_000 });
      expect({ key, status: ping.status }).toEqual({ key, status: 'down' });
      expect(ping.error).toMatch(reason);
      for (const secret of passwords()) expect(ping.error).not.toContain(secret);
    }
  });

  it('the same error codes from a query on a reachable database stay a 500 (a bad statement, not an outage)', async () => {
    // MariaDB answers `use <missing>` with 1049 (ER_BAD_DB_ERROR), PostgreSQL `drop database <missing>` with 3D000
    expect((await get('/sql/maria_ok/use lazy_cred_nowhere')).status).toBe(500);
    expect((await get('/sql/pg_ok/drop database lazy_cred_nowhere')).status).toBe(500);
    expect((await get('/raw/pg_ok')).status).toBe(200);
    expect((await get('/raw/maria_ok')).status).toBe(200);
  });
});

describe('a tenant database that cannot be opened (opened on demand, like a lazy database) answers 503', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const pg = serverUrl('postgres', 'lazy_cred_tenant_{tenant}');
    const maria = serverUrl('mariadb', 'lazy_cred_tenant_{tenant}', 'mariadb');
    ({ app } = await boot(
      {
        databases: {
          default: 'sqlite://',
          pg_shop: { url: withPassword(pg, WRONG).replace('%7Btenant%7D', '{tenant}'), tenants: {} },
          maria_shop: { url: maria, ensureDatabase: false, tenants: {} },
          sqlite_shop: {
            url: `sqlite:///${tmpdir()}/lazy-cred-${process.pid}-{tenant}.db`,
            ensureDatabase: false,
            tenants: {},
          },
        },
        entities: ['pg_shop', 'maria_shop', 'sqlite_shop'].map(reportsOf),
        tenantResolver: (request) => request.headers['x-tenant'] as string | undefined,
      },
      { controllers: [ProbeController], providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }] },
    ));
    const db = app.get(DbService);
    await db.attach('acme', undefined, 'pg_shop');
    await db.attach('acme', undefined, 'maria_shop');
    await db.attach('acme', undefined, 'sqlite_shop');
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  for (const [template, why] of [
    ['pg_shop', 'wrong password'],
    ['maria_shop', 'missing database, ensureDatabase off'],
    ['sqlite_shop', 'missing SQLite file, ensureDatabase off'],
  ] as const) {
    it(`${template} (${why}): 503 naming the tenant's database, no password`, async () => {
      const response = await request(app.getHttpServer()).get(`/find/${template}`).set('x-tenant', 'acme');
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ statusCode: 503, database: `${template}:acme` });
      for (const secret of [WRONG, inject('postgres').password, inject('mariadb').password]) {
        expect(response.text).not.toContain(secret);
      }
    });
  }
});
