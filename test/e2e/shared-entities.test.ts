import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionsError, MigrationService, type MultiDbModuleOptions } from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl, tablesOf } from '../fixtures/databases.js';
import { Post } from '../fixtures/entities.js';
import { REPO } from '../fixtures/project.js';

describe("the same entities on two databases: 'staging' takes 'default''s entities (two PostgreSQL databases)", () => {
  let root: string;
  let production: string;
  let staging: string;
  let booted: Booted;

  beforeAll(async () => {
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    root = await mkdtemp(join(REPO, '.tmp', 'shared-e2e-')); // migrations import '@mikro-orm/migrations'
    [production, staging] = await Promise.all([
      createDatabase('postgres', 'shared_prod'),
      createDatabase('postgres', 'shared_staging'),
    ]);
    const options: MultiDbModuleOptions = {
      databases: {
        default: serverUrl('postgres', production),
        staging: { url: serverUrl('postgres', staging), entitiesOf: 'default' },
      },
      entities: [Post],
      rootPath: root,
    };
    booted = await boot(options);
  });

  afterAll(async () => {
    await booted?.app.close();
    await rm(root, { recursive: true, force: true });
  });

  it("one migration folder (default's) migrates both databases", async () => {
    const migrations = booted.app.get(MigrationService);
    const created = await migrations.create('default', { initial: true });
    expect(created.fileName).toMatch(/^Migration\d+\.ts$/);
    expect(await readdir(join(root, 'migrations'))).toEqual(['default']);
    const applied = await migrations.up();
    expect(applied.map((o) => [o.key, o.ok && o.value])).toEqual([
      ['default', [created.fileName.replace(/\.ts$/, '')]],
      ['staging', [created.fileName.replace(/\.ts$/, '')]],
    ]);
    for (const database of [production, staging]) {
      expect(await tablesOf('postgres', database)).toEqual(['mikro_orm_migrations', 'posts']);
    }
  });

  it('rows written through each key stay in its own database', async () => {
    const { db } = booted;
    await db.runInContext(async () => {
      db.em('default').create(Post, { title: 'live post' });
      db.em('staging').create(Post, { title: 'draft on staging' });
      db.em('staging').create(Post, { title: 'second draft' });
      await Promise.all([db.em('default').flush(), db.em('staging').flush()]);
    });
    const titles = async (database: string) =>
      (await runSql<{ title: string }>('postgres', database, 'select title from posts order by id')).map(
        (r) => r.title,
      );
    expect(await titles(production)).toEqual(['live post']);
    expect(await titles(staging)).toEqual(['draft on staging', 'second draft']);

    await db.runInContext(async () => {
      expect((await db.em('staging').find(Post, {})).map((p) => p.title)).toEqual(['draft on staging', 'second draft']);
      expect((await db.em('default').find(Post, {})).map((p) => p.title)).toEqual(['live post']);
      // the entity's own key is still 'default'
      expect(db.databaseOf(Post)).toBe('default');
      expect(db.getRepository(Post).getEntityManager()).toBe(db.em('default'));
    });
    expect(db.entitiesOf('staging')).toEqual([Post]);
  });

  it('entitiesOf must name another configured key', async () => {
    const error = await rejection(
      boot({
        databases: { default: 'sqlite://', staging: { url: 'sqlite://', entitiesOf: 'prod' } },
        entities: [Post],
      }),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Database 'staging': entitiesOf 'prod' must name another configured key");
  });
});
