import type { INestApplication } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbService } from 'nestjs-multidb';
import { startMariaDb, startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';
import { accountConnections, expectBalanced } from '../fixtures/accounting.js';
import { runSqlite } from '../fixtures/databases.js';
import { runLoad, type Sample, sampleMix, summarize } from '../fixtures/load.js';
import { parsePrometheus, sampleOf } from '../fixtures/prometheus.js';
import { startSampleApp } from '../fixtures/sample-app.js';

/** Full size behind `npm run test:load` (LOAD_REQUESTS=20000); smaller in the default run. */
const TOTAL = Number(process.env.LOAD_REQUESTS ?? 3000);
const CONCURRENCY = 64;
const POOL_MAX = 4;
const ACQUIRE_TIMEOUT_MS = 3000;
/** How long the load keeps going in each phase of the fault tests. */
const PHASE_MS = Number(process.env.LOAD_PHASE_MS ?? 1500);

const tag = `load${process.pid}`;
let pg: ThrowawayServer;
let maria: ThrowawayServer;
let app: INestApplication;
let base = '';
let dir = '';
const authorIds: number[] = [];
const postIds: number[] = [];
const kinds = sampleMix(
  () => authorIds,
  () => postIds,
);
const servers = () => ({ default: pg, auth: maria });
const databaseNames = { default: 'load_main', auth: 'load_users' } as const;

const ok = (s: Sample) => s.status >= 200 && s.status < 300;
const needs = (key: string) => (s: Sample) => kinds.find((k) => k.name === s.kind)?.databases.includes(key);
const log = (line: string) => console.log(`[load] ${line}`);

describe(`sample app under load: PostgreSQL + MariaDB + SQLite, pools of ${POOL_MAX}, ${CONCURRENCY} in flight`, () => {
  beforeAll(async () => {
    [pg, maria] = await Promise.all([startPostgres(), startMariaDb()]);
    await Promise.all([pg.createDatabase(databaseNames.default), maria.createDatabase(databaseNames.auth)]);
    dir = await mkdtemp(join(tmpdir(), 'multidb-load-'));
    ({ app, url: base } = await startSampleApp({
      DATABASE_URL: pg.url(databaseNames.default),
      AUTH_DATABASE_URL: maria.url(databaseNames.auth, 'mariadb'),
      META_DATABASE_URL: `sqlite:///${join(dir, 'meta.db')}`,
      DB_POOL_MAX: String(POOL_MAX),
      DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
    }));
    const post = (path: string, body: object) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: number }>);
    for (let i = 0; i < 10; i++)
      authorIds.push((await post('/users', { email: `seed${i}@x.test`, displayName: 'S' })).id);
    for (let i = 0; i < 10; i++) postIds.push((await post('/posts', { title: `seed ${i}`, body: '', authorId: 1 })).id);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([pg?.destroy(), maria?.destroy()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`serves ${TOTAL} mixed requests with no error, leaks no connection and writes each row exactly once`, async () => {
    await expectNoLeakedConnection('before load');
    const begin = performance.now();
    const loading = runLoad({ base: () => base, kinds, concurrency: CONCURRENCY, total: TOTAL, tag });
    const peaks = await scrapeWhile(loading);
    const samples = await loading;
    log(summarize('steady load', samples, (performance.now() - begin) / 1000));
    // the pools as /metrics showed them: full and queueing during the load, idle after
    log(`/metrics during load (highest seen): ${JSON.stringify(peaks)}`);
    for (const key of ['default', 'auth']) {
      expect(peaks[key]?.inUse).toBe(POOL_MAX);
      expect(peaks[key]?.waiting).toBeGreaterThan(0);
      expect(peaks[key]?.timeouts).toBe(0);
    }
    const rest = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    for (const key of ['default', 'auth', 'meta']) {
      expect(sampleOf(rest, 'multidb_pool_in_use', { key, pool: 'primary' })).toBe(0);
      expect(sampleOf(rest, 'multidb_pool_waiting', { key, pool: 'primary' })).toBe(0);
    }
    const failed = samples.filter((s) => !ok(s));
    expect(failed.slice(0, 5), `${failed.length} failed requests`).toEqual([]);
    expect(samples).toHaveLength(TOTAL);

    await expectNoLeakedConnection('after load');

    // each write is there exactly once: users in MariaDB, posts in PostgreSQL, one audit row each in SQLite
    const wrote = (kind: string) => samples.filter((s) => s.kind === kind && s.wrote).map((s) => s.wrote as string);
    const users = (await maria.query(`select email from users where email like '${tag}-%'`, databaseNames.auth))
      .split('\n')
      .filter(Boolean);
    expect(users.sort()).toEqual(wrote('create user').sort());
    const posts = (await pg.query(`select title from posts where title like '${tag} %'`, databaseNames.default))
      .split('\n')
      .filter(Boolean);
    expect(posts.sort()).toEqual(wrote('create post').sort());
    const audit = await runSqlite<{ action: string; n: number }>(
      join(dir, 'meta.db'),
      'select action, count(*) as n from audit_log group by action order by action',
    );
    expect(audit).toEqual([
      { action: 'post.created', n: posts.length + postIds.length },
      { action: 'user.created', n: users.length + authorIds.length },
    ]);
  }, 300_000);

  for (const key of ['default', 'auth'] as const) {
    it(`with the '${key}' server stopped mid-load: its requests get 503 fast, the others all succeed; back within 5 s of a restart`, async () => {
      const server = servers()[key];
      const stop = new AbortController();
      const marks = { stopped: 0, restarting: 0, restarted: Number.POSITIVE_INFINITY };
      let firstBackAfterRestart: number | undefined;
      const load = runLoad({
        base: () => base,
        kinds,
        concurrency: CONCURRENCY,
        signal: stop.signal,
        tag: `${tag}${key}`,
        onSample: (s) => {
          if (s.at - s.ms > marks.restarted && firstBackAfterRestart === undefined && ok(s) && needs(key)(s))
            firstBackAfterRestart = s.at;
        },
      });
      const begin = performance.now();
      const now = () => performance.now() - begin;
      await sleep(PHASE_MS);
      await server.stop();
      marks.stopped = now();
      await sleep(PHASE_MS);
      marks.restarting = now();
      await server.start();
      marks.restarted = now();
      await expect.poll(() => firstBackAfterRestart, { timeout: 5_000, interval: 50 }).toBeDefined();
      await sleep(PHASE_MS / 2);
      stop.abort();
      const samples = await load;
      const back = (firstBackAfterRestart as number) - marks.restarted;
      log(summarize(`'${key}' dies mid-load`, samples, now() / 1000));

      // while it was down (from the stop until the server was back up)
      const down = samples.filter((s) => s.at > marks.stopped && s.at - s.ms < marks.restarting);
      const others = down.filter((s) => !needs(key)(s));
      const mine = down.filter(needs(key));
      const refused = mine.filter((s) => !ok(s));
      const slowest = Math.max(0, ...refused.map((s) => s.ms));
      log(
        `'${key}' down for ${Math.round(marks.restarting - marks.stopped)} ms: others ${others.length} requests, ` +
          `${others.filter(ok).length} ok; its own ${mine.length}, ${refused.length} refused ` +
          `(all 503 naming '${key}': ${refused.every((s) => s.status === 503 && s.database === key)}, slowest ${slowest.toFixed(0)} ms); ` +
          `first success ${back.toFixed(0)} ms after the server was back`,
      );
      expect(others.length).toBeGreaterThan(0);
      expect(others.filter((s) => !ok(s)).slice(0, 5)).toEqual([]);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.filter((s) => s.status !== 503 || s.database !== key).slice(0, 5)).toEqual([]);
      expect(slowest).toBeLessThan(ACQUIRE_TIMEOUT_MS + 2000); // failed fast: never hung
      expect(back).toBeLessThan(5000);
      // after it is back, everything succeeds again
      const after = samples.filter((s) => s.at - s.ms > (firstBackAfterRestart as number) + 500);
      expect(after.filter((s) => !ok(s)).slice(0, 5)).toEqual([]);
      await expectNoLeakedConnection(`after '${key}' came back`);
    }, 120_000);
  }
});

/** Scrapes the sample app's /metrics until `running` settles: the highest in use, waiting and timeouts seen per key. */
async function scrapeWhile(running: Promise<unknown>) {
  let done = false;
  void running.finally(() => (done = true));
  const peaks: Record<string, { inUse: number; waiting: number; timeouts: number; scrapes: number }> = {};
  while (!done) {
    const families = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    for (const key of ['default', 'auth', 'meta']) {
      const read = (name: string) => sampleOf(families, name, { key, pool: 'primary' }) ?? -1;
      const peak = peaks[key] ?? { inUse: 0, waiting: 0, timeouts: 0, scrapes: 0 };
      peak.inUse = Math.max(peak.inUse, read('multidb_pool_in_use'));
      peak.waiting = Math.max(peak.waiting, read('multidb_pool_waiting'));
      peak.timeouts = Math.max(peak.timeouts, read('multidb_pool_acquire_timeouts_total'));
      peak.scrapes++;
      peaks[key] = peak;
    }
    await sleep(50);
  }
  return peaks;
}

/** Every connection is back in its pool, and each server sees exactly its pool's connections, all idle. */
async function expectNoLeakedConnection(when: string): Promise<void> {
  const db = app.get(DbService);
  for (const [key, server] of Object.entries(servers())) {
    const account = await accountConnections(db, key, server, databaseNames[key as 'default']);
    log(`connections ${when}: ${JSON.stringify(account)}`);
    expectBalanced(account, POOL_MAX);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
