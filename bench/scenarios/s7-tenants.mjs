/**
 * Scenario 7 — tenant databases: 1,000 SQLite tenants attached and migrated, then HTTP requests
 * routed over them with at most 50 tenant ORMs open.
 *
 * Part 1 runs the CLI (`migration:up --db 'tenant:*' --concurrency 8`) in a fresh process: it
 * attaches every tenant the config's `tenants.list()` returns, opens each tenant's SQLite file
 * (LRU-bounded, maxOpen 50) and applies one migration. Wall time and the CLI process's peak RSS.
 * Part 2 starts a Nest HTTP app in a fresh process (header `x-tenant` resolves the tenant,
 * maxOpen 50) and loads it with autocannon (in the same process) for a fixed duration, each
 * request for a random one of the 1,000 tenants: requests/s, RSS sampled during the run (it must
 * stay bounded: the first and last quarters are reported), and the most tenant ORMs open at once.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EntitySchema } from '@mikro-orm/core';
import { Controller, Get, Inject } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import { progress, runScenarioInChild, summarize } from '../lib/harness.mjs';
import { multidb } from '../lib/multidb.mjs';
import { makeModule, quietNest } from '../lib/nest.mjs';

export const title = 'Tenant databases: 1,000 SQLite tenants';
const MiB = 2 ** 20;
const MAX_OPEN = 50;

const sizesOf = (/** @type {boolean} */ smoke) =>
  smoke
    ? { tenants: 20, maxOpen: 5, seconds: 1, connections: 10 }
    : { tenants: 1000, maxOpen: MAX_OPEN, seconds: 10, connections: 20 };
const tenantNames = (/** @type {number} */ n) => Array.from({ length: n }, (_, i) => `t${String(i).padStart(4, '0')}`);

const MIGRATION = `import { Migration } from '@mikro-orm/migrations';
export class Migration20260101000000_notes extends Migration {
  up() {
    this.addSql('create table "notes" ("id" integer not null primary key, "body" varchar(255) not null)');
    this.addSql('insert into "notes" ("id", "body") values (1, \\'first note\\'), (2, \\'second note\\')');
  }
}
`;

/** The tenant template's module options; `list` and `maxOpen` as the scenario needs. */
function options(dir, sizes) {
  return {
    databases: {
      default: 'sqlite://',
      tenant: {
        url: 'sqlite:///tenants/{tenant}.db',
        tenants: { maxOpen: sizes.maxOpen, list: () => tenantNames(sizes.tenants) },
      },
    },
    rootPath: dir,
    migrationOptions: { directory: join(dir, 'migrations') },
  };
}

/** @param {import('../lib/config.mjs').BenchConfig & { part?: string, dir?: string }} config */
export async function run(config) {
  if (config.part === 'route') return route(config);
  const sizes = sizesOf(config.smoke);
  // inside the repository, so that the migration file resolves @mikro-orm/migrations
  const dir = join(config.benchDir, '.tmp', `tenants-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'migrations', 'tenant'), { recursive: true });
  try {
    writeFileSync(join(dir, 'migrations', 'tenant', 'Migration20260101000000_notes.js'), MIGRATION);
    const migrated = await migrateWithCli(config, dir, sizes);
    progress(
      `7 migrate: ${sizes.tenants} tenants in ${migrated.seconds.toFixed(1)} s, peak RSS ${migrated.peakMiB.toFixed(0)} MiB`,
    );
    const routed = await runScenarioInChild(
      fileURLToPath(import.meta.url),
      config,
      { part: 'route', dir },
      'tenant routing child',
    );
    progress(
      `7 route: ${routed.rps.toFixed(0)} requests/s, RSS ${routed.rssFirst.toFixed(0)} → ${routed.rssLast.toFixed(0)} MiB`,
    );
    return result(sizes, migrated, routed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Part 1: the CLI over every tenant, in its own process; its peak RSS comes from an exit hook. */
async function migrateWithCli(config, dir, sizes) {
  const dist = resolve(process.env.BENCH_MULTIDB_ROOT ?? join(config.benchDir, '..'), 'dist');
  const configFile = join(dir, 'multidb.config.mjs');
  writeFileSync(
    configFile,
    `import { EntitySchema } from '@mikro-orm/core';
import { inDatabase } from ${JSON.stringify(pathToFileURL(join(dist, 'index.js')).href)};
const Note = inDatabase('tenant', new EntitySchema({ name: 'Note', tableName: 'notes',
  properties: { id: { type: 'integer', primary: true }, body: { type: 'string' } } }));
const names = Array.from({ length: ${sizes.tenants} }, (_, i) => 't' + String(i).padStart(4, '0'));
export default {
  databases: { default: 'sqlite://', tenant: { url: 'sqlite:///tenants/{tenant}.db', tenants: { maxOpen: ${sizes.maxOpen}, list: () => names } } },
  entities: [Note], rootPath: ${JSON.stringify(dir)}, migrationOptions: { directory: ${JSON.stringify(join(dir, 'migrations'))} },
};
`,
  );
  const peakFile = join(dir, 'peak-rss');
  const hook = `data:text/javascript,${encodeURIComponent(
    `import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(peakFile)}, String(process.resourceUsage().maxRSS)));`,
  )}`;
  const args = ['--import', hook, join(dist, 'cli', 'main.js'), 'migration:up', '--db', 'tenant:*'];
  args.push('--concurrency', '8', '--json', '--config', configFile);
  const begin = performance.now();
  const stdout = await new Promise((done, fail) =>
    execFile(process.execPath, args, { cwd: dir, maxBuffer: 64 << 20 }, (error, out, err) =>
      error ? fail(new Error(`CLI failed: ${err || error.message}`)) : done(out),
    ),
  );
  const seconds = (performance.now() - begin) / 1000;
  const body = JSON.parse(String(stdout));
  const applied = body.databases.filter((d) => d.ok && d.result.applied.length === 1).length;
  if (applied !== sizes.tenants) throw new Error(`expected ${sizes.tenants} tenants migrated, got ${applied}`);
  return { seconds, peakMiB: (Number(readFileSync(peakFile, 'utf8')) * 1024) / MiB };
}

/** Part 2, in its own process: an HTTP app routing each request to its tenant, loaded by autocannon. */
async function route(config) {
  const sizes = sizesOf(config.smoke);
  const Note = multidb.inDatabase(
    'tenant',
    new EntitySchema({
      name: 'Note',
      tableName: 'notes',
      properties: { id: { type: 'integer', primary: true }, body: { type: 'string' } },
    }),
  );
  class NotesController {
    /** @param {import('nestjs-multidb').DbService} db */
    constructor(db) {
      this.db = db;
    }
    list() {
      return this.db.getRepository(Note).findAll();
    }
  }
  // the decorators of `@Controller('notes') class { constructor(db: DbService) … @Get() list() }`
  Inject(multidb.DbService)(NotesController, undefined, 0);
  const list = Object.getOwnPropertyDescriptor(NotesController.prototype, 'list');
  Get()(NotesController.prototype, 'list', /** @type {PropertyDescriptor} */ (list));
  Controller('notes')(NotesController);
  const root = makeModule('TenantBenchModule', {
    imports: [
      multidb.MultiDbModule.setup({
        ...options(config.dir, sizes),
        entities: [Note],
        tenantResolver: (req) => req.headers['x-tenant'],
      }),
    ],
    controllers: [NotesController],
  });
  const app = await NestFactory.create(root, quietNest);
  await app.listen(0, '127.0.0.1');
  const db = app.get(multidb.DbService);
  const names = tenantNames(sizes.tenants);
  const rss = [];
  const sampler = setInterval(() => rss.push(process.memoryUsage().rss / MiB), 100);
  try {
    let i = 0;
    const result = await autocannon({
      url: `${await app.getUrl()}/notes`.replace('[::1]', '127.0.0.1'),
      connections: sizes.connections,
      duration: sizes.seconds,
      requests: [
        {
          setupRequest: (req) => {
            // a scrambled walk over every tenant: far more tenants than open ORMs
            req.headers = { ...req.headers, 'x-tenant': names[(i++ * 7919) % names.length] };
            return req;
          },
        },
      ],
    });
    const failed = result.errors + result.timeouts + result.non2xx;
    if (failed > 0) throw new Error(`${failed} failed requests (errors, timeouts or non-2xx)`);
    const quarter = Math.max(1, Math.floor(rss.length / 4));
    const stats = db.tenantStats();
    return {
      rps: result.requests.average,
      requests: result.requests.total,
      rssFirst: summarize(rss.slice(0, quarter)).median,
      rssLast: summarize(rss.slice(-quarter)).median,
      rssMax: Math.max(...rss),
      peakOpen: stats.peakOpen,
      opened: stats.opened,
    };
  } finally {
    clearInterval(sampler);
    await app.close();
  }
}

function result(sizes, migrated, routed) {
  const row = (name, workload, unit, number, detail) => ({
    scenario: '7',
    name,
    workload,
    sizes: `${sizes.tenants} SQLite tenants; maxOpen ${sizes.maxOpen}`,
    unit,
    a: null,
    b: null,
    ratio: null,
    value: { number, unit, detail },
    goal: null,
    met: null,
  });
  const cli = `migration:up --db 'tenant:*' --concurrency 8, one migration per tenant`;
  const http = `GET /notes (getRepository(Note).findAll()), a random tenant per request, ${sizes.connections} connections, ${sizes.seconds} s`;
  return {
    id: '7',
    title,
    command: 'node bench/run.mjs --only 7',
    description:
      `Part 1: the CLI attaches ${sizes.tenants} SQLite tenants (tenants.list()) and migrates them, maxOpen ${sizes.maxOpen}, ` +
      "in a fresh process: wall time and that process's peak RSS. Part 2: a Nest HTTP app in a fresh process, " +
      `tenant from the x-tenant header, maxOpen ${sizes.maxOpen}, loaded by autocannon in the same process: ` +
      'requests/s and RSS sampled every 100 ms. Reported only.',
    rows: [
      row(
        'attach + migrate, time',
        cli,
        's',
        migrated.seconds,
        `${((migrated.seconds * 1000) / sizes.tenants).toFixed(1)} ms per tenant`,
      ),
      row('attach + migrate, peak RSS', cli, 'MiB', migrated.peakMiB, 'maxRSS of the CLI process'),
      row(
        'routing, requests/s',
        http,
        'requests/s',
        routed.rps,
        `${routed.requests} requests; ${routed.opened} tenant ORMs opened, at most ${routed.peakOpen} at once`,
      ),
      row(
        'routing, RSS',
        http,
        'MiB',
        routed.rssLast,
        `median RSS of the first quarter ${routed.rssFirst.toFixed(0)} MiB, last quarter ${routed.rssLast.toFixed(0)} MiB, max ${routed.rssMax.toFixed(0)} MiB`,
      ),
    ],
  };
}
