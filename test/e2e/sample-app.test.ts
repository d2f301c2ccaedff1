import type { INestApplication } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { createDatabase, runSql, runSqlite, serverUrl } from '../fixtures/databases.js';
import { jsonClient, type SampleEnv, startSampleApp } from '../fixtures/sample-app.js';

interface Setup {
  name: string;
  env(dir: string): Promise<SampleEnv>;
  /** Rows of a table, counted directly in the database (not through the app). */
  count(key: string, table: string, dir: string): Promise<number>;
  password?: () => string;
}

let pg: ThrowawayServer | undefined;
const pgDbs: Record<string, string> = {};
let mariaDb = '';

const sqliteFile = (dir: string, key: string) => join(dir, `${key}.db`);
const countSqlite = async (file: string, table: string) =>
  Number((await runSqlite<{ n: number }>(file, `select count(*) as n from ${table}`))[0]?.n);

const setups: Setup[] = [
  {
    name: 'all SQLite',
    env: async (dir) => ({
      DATABASE_URL: `sqlite:///${sqliteFile(dir, 'default')}`,
      AUTH_DATABASE_URL: `sqlite:///${sqliteFile(dir, 'auth')}`,
      META_DATABASE_URL: `sqlite:///${sqliteFile(dir, 'meta')}`,
    }),
    count: (key, table, dir) => countSqlite(sqliteFile(dir, key), table),
  },
  {
    name: 'PostgreSQL + MariaDB + SQLite',
    env: async (dir) => {
      pg = await startPostgres();
      pgDbs.default = 'sample_main';
      await pg.createDatabase(pgDbs.default);
      mariaDb = await createDatabase('mariadb', 'sample_users');
      return {
        DATABASE_URL: pg.url(pgDbs.default),
        AUTH_DATABASE_URL: serverUrl('mariadb', mariaDb, 'mariadb'),
        META_DATABASE_URL: `sqlite:///${sqliteFile(dir, 'meta')}`,
        HEALTH_TIMEOUT_MS: '1000',
      };
    },
    count: async (key, table, dir) => {
      if (key === 'default')
        return Number(await (pg as ThrowawayServer).query(`select count(*) from ${table}`, pgDbs.default));
      if (key === 'auth')
        return Number((await runSql<{ n: number }>('mariadb', mariaDb, `select count(*) as n from ${table}`))[0]?.n);
      return countSqlite(sqliteFile(dir, key), table);
    },
    password: () => (pg as ThrowawayServer).password,
  },
];

describe.each(setups)('sample app over HTTP: $name', (setup) => {
  let app: INestApplication;
  let base: string;
  let dir: string;
  const bodies: string[] = [];
  const call = jsonClient(() => base, bodies);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-sample-'));
    ({ app, url: base } = await startSampleApp(await setup.env(dir)));
  }, 120_000);

  afterAll(async () => {
    const password = setup.password?.();
    await app?.close();
    await pg?.destroy();
    pg = undefined;
    await rm(dir, { recursive: true, force: true });
    if (password) for (const body of bodies) expect(body).not.toContain(password);
  });

  it('creates users in auth, with validation (400) and unique emails (409)', async () => {
    for (const [i, name] of ['Ada', 'Grace', 'Linus'].entries()) {
      const res = await call('POST', '/users', { email: `${name.toLowerCase()}@example.com`, displayName: name });
      expect(res).toEqual({
        status: 201,
        body: { id: i + 1, email: `${name.toLowerCase()}@example.com`, displayName: name },
      });
    }
    expect((await call('POST', '/users', { email: 'ADA@example.com', displayName: 'Again' })).status).toBe(409);
    const invalid = await call('POST', '/users', { email: 'not-an-email', displayName: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(
      expect.arrayContaining(['email must be an email', 'displayName should not be empty']),
    );
    expect((await call('GET', '/users/2')).body).toMatchObject({ id: 2, displayName: 'Grace' });
    expect((await call('GET', '/users/99')).status).toBe(404);
    expect(await setup.count('auth', 'users', dir)).toBe(3);
  });

  it('checks the author in the other database before writing a post', async () => {
    const res = await call('POST', '/posts', { title: 'Orphan', body: '', authorId: 42 });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Author 42 does not exist in the auth database.');
    expect(await setup.count('default', 'posts', dir)).toBe(0);
  });

  it('pages posts and returns a post with its author from auth', async () => {
    for (let i = 1; i <= 25; i++) {
      expect(
        (await call('POST', '/posts', { title: `Post ${i}`, body: `Body ${i}`, authorId: (i % 3) + 1 })).status,
      ).toBe(201);
    }
    const page2 = await call('GET', '/posts?page=2&perPage=10');
    expect(page2.body).toMatchObject({ total: 25, page: 2, perPage: 10 });
    expect(page2.body.items.map((p: { title: string }) => p.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Post ${15 - i}`),
    );
    expect((await call('GET', '/posts?page=3&perPage=10')).body.items).toHaveLength(5);
    expect((await call('GET', '/posts?perPage=500')).status).toBe(400);
    const one = await call('GET', '/posts/3');
    expect(one.body).toMatchObject({
      id: 3,
      title: 'Post 3',
      authorId: 1,
      author: { id: 1, email: 'ada@example.com' },
    });
    expect((await call('GET', '/posts/999')).status).toBe(404);
  });

  it('writes one audit row in meta per write, and nowhere else', async () => {
    const audit = await call('GET', '/audit?perPage=5');
    expect(audit.body.total).toBe(28);
    expect(audit.body.items[0]).toMatchObject({ action: 'post.created', target: 'default/Post', targetId: 25 });
    expect(await setup.count('meta', 'audit_log', dir)).toBe(28);
  });

  it('/databases reports each key with counts that match direct queries, and no password', async () => {
    const res = await call('GET', '/databases');
    expect(res.body.map((d: { key: string }) => d.key)).toEqual(['default', 'auth', 'meta']);
    for (const db of res.body as Array<{
      key: string;
      status: string;
      url: string;
      tables: Array<{ table: string; rows: number }>;
    }>) {
      expect(db.status).toBe('up');
      for (const { table, rows } of db.tables)
        expect(rows, `${db.key}.${table}`).toBe(await setup.count(db.key, table, dir));
    }
    expect(res.body[0].tables).toEqual([{ table: 'posts', entity: 'Post', rows: 25 }]);
  });

  it('/health reports the three keys up', async () => {
    const res = await call('GET', '/health');
    expect(res.status).toBe(200);
    expect(Object.entries(res.body.details).map(([k, v]) => [k, (v as { status: string }).status])).toEqual([
      ['default', 'up'],
      ['auth', 'up'],
      ['meta', 'up'],
    ]);
  });

  // only the set-up with a PostgreSQL server of its own can stop it
  if (setup.password) {
    it('with the PostgreSQL server stopped, /health reports default down within the timeout, the others up; it recovers', async () => {
      await (pg as ThrowawayServer).stop();
      const begin = performance.now();
      const down = await call('GET', '/health');
      const took = performance.now() - begin;
      expect(down.status).toBe(503);
      expect(down.body.details.default).toMatchObject({ status: 'down', driver: 'postgresql' });
      expect(down.body.details.default.url).toMatch(/^postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/sample_main$/);
      expect(down.body.details.auth.status).toBe('up');
      expect(down.body.details.meta.status).toBe('up');
      expect(took).toBeLessThan(1000 + 1500); // the configured timeout, plus the HTTP round trip

      // requests that need PostgreSQL fail fast with 503 naming it; the others go on
      const blocked = await call('POST', '/posts', { title: 'While down', body: '', authorId: 1 });
      expect(blocked).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          message: "Database 'default' is unavailable right now; retry later.",
          database: 'default',
        },
      });
      expect((await call('GET', '/users/1')).status).toBe(200);
      expect((await call('GET', '/audit')).status).toBe(200);

      await (pg as ThrowawayServer).start();
      const restarted = performance.now();
      await expect
        .poll(async () => (await call('GET', '/health')).status, { timeout: 10_000, interval: 250 })
        .toBe(200);
      await expect
        .poll(async () => (await call('POST', '/posts', { title: 'After restart', body: '', authorId: 1 })).status, {
          timeout: 5_000,
          interval: 100,
        })
        .toBe(201);
      expect(performance.now() - restarted).toBeLessThan(5_000); // back without restarting the app
    });
  }
});
