import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseOperationError, MigrationService, MultiDbError, type MultiDbModuleOptions } from 'nestjs-multidb';
import { Progress } from '../../src/cli/output.js';
import { type Booted, boot } from '../fixtures/boot.js';
import { AuditEntry, Post, User } from '../fixtures/entities.js';
import { REPO } from '../fixtures/project.js';

describe('MigrationService (API)', () => {
  let root: string;
  let options: MultiDbModuleOptions;
  let booted: Booted | undefined;

  beforeAll(async () => {
    // inside the repository, so that the generated migrations resolve '@mikro-orm/migrations'
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    root = await mkdtemp(join(REPO, '.tmp', 'migrations-'));
    options = {
      databases: { default: 'sqlite:///data/main.db', auth: 'sqlite:///data/auth.db', meta: 'sqlite:///data/meta.db' },
      entities: [Post, User, AuditEntry],
      rootPath: root,
      migrationOptions: { directory: 'db/migrations', tableName: 'schema_history' },
    };
  });
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('creates, applies, lists, checks and reverts migrations per key', async () => {
    booted = await boot(options);
    const migrations = booted.app.get(MigrationService);
    for (const key of ['default', 'auth', 'meta']) {
      const created = await migrations.create(key, { initial: true });
      expect(created.fileName).toMatch(/^Migration\d+\.ts$/);
    }
    for (const key of ['default', 'auth', 'meta']) {
      expect((await readdir(join(root, 'db/migrations', key))).filter((f) => f.endsWith('.ts'))).toHaveLength(1);
    }

    const upAuth = await migrations.up(['auth']);
    expect(upAuth.map((o) => [o.key, o.ok && o.value.length])).toEqual([['auth', 1]]);
    const pending = await migrations.pending();
    expect(pending.map((o) => [o.key, o.ok && o.value.length])).toEqual([
      ['default', 1],
      ['auth', 0],
      ['meta', 1],
    ]);
    await migrations.up();
    const status = await migrations.status();
    expect(status.map((o) => o.ok && [o.key, o.value.executed.length, o.value.pending.length])).toEqual([
      ['default', 1, 0],
      ['auth', 1, 0],
      ['meta', 1, 0],
    ]);
    const history = await booted.db.orm('meta').em.getConnection().execute('select count(*) as n from schema_history');
    expect(history).toEqual([{ n: 1 }]);
    expect((await migrations.check()).map((o) => o.ok && o.value)).toEqual([false, false, false]);

    const blank = await migrations.create('auth', { blank: true, name: 'by_hand' });
    expect(blank.fileName).toMatch(/^Migration\d+_by_hand\.ts$/);
    await migrations.up(['auth']);
    const reverted = await migrations.down('auth');
    expect(reverted).toEqual([blank.fileName.replace(/\.ts$/, '')]);
    expect((await migrations.pending(['auth']))[0]).toMatchObject({ ok: true, value: reverted });
    await expect(migrations.down('')).rejects.toThrow(MultiDbError);
    await expect(migrations.up(['reports'])).rejects.toThrow("Unknown database key 'reports'");
  });

  it('a failing key is reported with every outcome; the others still run', async () => {
    booted = await boot(options);
    const migrations = booted.app.get(MigrationService);
    await booted.db.orm('meta').schema.execute('drop table schema_history');
    await booted.db.orm('meta').schema.execute('create table schema_history (nonsense text)');
    const error = await migrations.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOperationError);
    const failure = error as DatabaseOperationError;
    expect(failure.failedKeys).toEqual(['meta']);
    expect(failure.message).toMatch(/^migration:list failed for 'meta': \[meta\] /);
    expect(failure.outcomes.filter((o) => o.ok).map((o) => o.key)).toEqual(['default', 'auth']);
    await booted.db.orm('meta').schema.execute('drop table schema_history');
  });

  it('runOnStart applies pending migrations of every database before the app serves', async () => {
    await rm(join(root, 'data'), { recursive: true, force: true }); // empty databases, migrations kept
    booted = await boot({ ...options, migrationOptions: { ...options.migrationOptions, runOnStart: true } });
    const pending = await booted.app.get(MigrationService).pending();
    expect(pending.map((o) => o.ok && o.value.length)).toEqual([0, 0, 0]);
    await booted.db.runInContext(async () => expect(await booted?.db.getRepository(User).count()).toBe(0));
  });
});

describe('CLI progress bar', () => {
  const stream = (isTTY: boolean) => {
    const written: string[] = [];
    return { written, isTTY, write: (text: string) => written.push(text) };
  };

  it('draws on a terminal when more than a handful of databases are involved', () => {
    const out = stream(true);
    const progress = new Progress(out, 6, 'migration:up');
    for (let i = 0; i < 6; i++) progress.tick();
    progress.clear();
    expect(out.written[0]).toBe(`\rmigration:up [${'-'.repeat(30)}] 0/6`);
    expect(out.written[6]).toBe(`\rmigration:up [${'#'.repeat(30)}] 6/6`);
  });

  it('stays silent for a handful of databases, and whenever the output is not a terminal (CI logs)', () => {
    const few = stream(true);
    const piped = stream(false);
    for (const [out, total] of [
      [few, 5],
      [piped, 20],
    ] as const) {
      const progress = new Progress(out, total, 'migration:up');
      progress.tick();
      progress.clear();
    }
    expect(few.written).toEqual([]);
    expect(piped.written).toEqual([]);
  });
});
