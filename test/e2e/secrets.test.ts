import { Test } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MultiDbModuleOptions } from 'nestjs-multidb';
import { startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { MULTIDB_OPTIONS_TRANSFORM } from '../../src/multi-db.constants.js';
import { AppModule } from '../../sample-app/src/app.module.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';
import { lineCapture } from '../fixtures/log-capture.js';
import { jsonClient } from '../fixtures/sample-app.js';

/** Every line anything logged: Nest's logger and MikroORM's debug logger. */
const { lines, logger: capture } = lineCapture();
const debugEverything = (options: MultiDbModuleOptions): MultiDbModuleOptions => ({
  ...options,
  common: { ...options.common, debug: true, logger: (message: string) => lines.push(message) },
});

describe('secrets: with MikroORM debug logging on, no password appears anywhere', () => {
  let pg: ThrowawayServer | undefined;
  let dir: string | undefined;
  const bodies: string[] = [];
  afterAll(async () => {
    await pg?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs, errors, health output and /databases of the sample app on PostgreSQL + MariaDB + SQLite', async () => {
    pg = await startPostgres();
    await pg.createDatabase('secrets_main');
    const maria = await createDatabase('mariadb', 'secrets_users');
    dir = await mkdtemp(join(tmpdir(), 'multidb-secrets-'));
    const passwords = [pg.password, inject('mariadb').password];
    process.env.DATABASE_URL = pg.url('secrets_main');
    process.env.AUTH_DATABASE_URL = serverUrl('mariadb', maria, 'mariadb');
    process.env.META_DATABASE_URL = `sqlite:///${join(dir, 'meta.db')}`;
    try {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(MULTIDB_OPTIONS_TRANSFORM)
        .useValue(debugEverything)
        .compile();
      const app = moduleRef.createNestApplication({ logger: capture });
      await app.init();
      await app.listen(0, '127.0.0.1');
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const client = jsonClient(() => base, bodies);
      const call = async (method: string, path: string, body?: object) => (await client(method, path, body)).status;
      expect(await call('POST', '/users', { email: 'ada@example.com', displayName: 'Ada' })).toBe(201);
      expect(await call('POST', '/users', { email: 'ada@example.com', displayName: 'Ada' })).toBe(409);
      expect(await call('POST', '/posts', { title: 'Hi', body: '', authorId: 1 })).toBe(201);
      expect(await call('GET', '/databases')).toBe(200);
      expect(await call('GET', '/health')).toBe(200);
      await pg.stop(); // errors from a dead server
      expect(await call('GET', '/health')).toBe(503);
      expect(await call('GET', '/databases')).toBe(200);
      expect(await call('POST', '/posts', { title: 'Lost', body: '', authorId: 1 })).toBe(503);
      await pg.start();
      await app.close();

      // a start-up that fails on a wrong password, through Nest's logger and the thrown error
      process.env.AUTH_DATABASE_URL = serverUrl('mariadb', maria, 'mariadb').replace(/:[^:@/]+@/, `:${passwords[1]}x@`);
      const failing = await Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(MULTIDB_OPTIONS_TRANSFORM)
        .useValue(debugEverything)
        .compile()
        .catch((error: Error) => error);
      expect(failing).toBeInstanceOf(Error);
      lines.push(String((failing as Error).message), String((failing as Error).stack));
    } finally {
      for (const name of ['DATABASE_URL', 'AUTH_DATABASE_URL', 'META_DATABASE_URL']) delete process.env[name];
    }

    // the sweep saw the dangerous places: query logs, a dead server's errors, a refused start-up
    expect(lines.some((l) => /ECONNREFUSED/.test(l))).toBe(true);
    expect(lines.some((l) => /Access denied for user 'root'/.test(l))).toBe(true);
    expect(lines.some((l) => /select|insert/i.test(l))).toBe(true); // the debug log did capture queries
    for (const text of [...lines, ...bodies]) {
      for (const password of passwords) {
        expect(text).not.toContain(password);
        expect(text).not.toContain(encodeURIComponent(password));
      }
    }
  });

  it('the whole e2e suite runs under the same sweep: MikroORM debug lines are captured in every file', () => {
    // test/e2e/secrets-sweep.setup.ts forces debug logging on every ORM and checks each test's lines
    const sweep = (globalThis as { __multidbSweep?: { mikroOrmLines: number } }).__multidbSweep;
    expect(sweep?.mikroOrmLines).toBeGreaterThan(100);
  });
});
