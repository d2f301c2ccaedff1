import { EntitySchema } from '@mikro-orm/core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseOperationError, inDatabase, MigrationService, type MultiDbModuleOptions } from 'nestjs-multidb';
import { type Booted, boot } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl, sqliteTables, tablesOf } from '../fixtures/databases.js';
import { REPO } from '../fixtures/project.js';

const entities = (withBio: boolean) => [
  new EntitySchema({
    name: 'Post',
    tableName: 'posts',
    properties: { id: { type: 'integer', primary: true }, title: { type: 'string' } },
  }),
  inDatabase(
    'auth',
    new EntitySchema({
      name: 'User',
      tableName: 'users',
      properties: {
        id: { type: 'integer', primary: true },
        email: { type: 'string' },
        ...(withBio ? { bio: { type: 'string', nullable: true } } : {}),
      },
    }),
  ),
  inDatabase(
    'meta',
    new EntitySchema({
      name: 'Audit',
      tableName: 'audit_log',
      properties: { id: { type: 'integer', primary: true }, action: { type: 'string' } },
    }),
  ),
];

describe('MigrationService over PostgreSQL, MariaDB and SQLite at once', () => {
  let root: string;
  let pg: string;
  let maria: string;
  let booted: Booted | undefined;
  const options = (withBio = false): MultiDbModuleOptions => ({
    databases: {
      default: serverUrl('postgres', pg),
      auth: serverUrl('mariadb', maria, 'mariadb'),
      meta: 'sqlite:///meta.db',
    },
    entities: entities(withBio),
    rootPath: root,
  });
  const start = async (withBio = false) => {
    booted = await boot(options(withBio));
    return booted.app.get(MigrationService);
  };
  const values = <T>(outcomes: Array<{ key: string; ok: boolean; value?: T }>) =>
    Object.fromEntries(outcomes.map((o) => [o.key, o.value]));

  beforeAll(async () => {
    [pg, maria] = await Promise.all([createDatabase('postgres', 'api_main'), createDatabase('mariadb', 'api_users')]);
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    root = await mkdtemp(join(REPO, '.tmp', 'migrations-e2e-')); // migrations import '@mikro-orm/migrations'
  });
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("initial migrations per key create each database's tables and nothing in the others", async () => {
    const migrations = await start();
    for (const key of ['default', 'auth', 'meta']) await migrations.create(key, { initial: true });
    const applied = values(await migrations.up());
    expect(Object.values(applied).map((names) => (names as string[]).length)).toEqual([1, 1, 1]);
    expect(await tablesOf('postgres', pg)).toEqual(['mikro_orm_migrations', 'posts']);
    expect(await tablesOf('mariadb', maria)).toEqual(['mikro_orm_migrations', 'users']);
    expect(await sqliteTables(join(root, 'meta.db'))).toEqual(['audit_log', 'mikro_orm_migrations']);
    expect(values(await migrations.pending())).toEqual({ default: [], auth: [], meta: [] });
  });

  it('a changed entity: check names that key alone; create captures exactly the change; up applies it', async () => {
    const migrations = await start(true);
    expect(values(await migrations.check())).toEqual({ default: false, auth: true, meta: false });
    const created = await migrations.create('auth', { name: 'bio' });
    expect(created.diff.up).toEqual(['alter table `users` add `bio` varchar(255) null;']);
    expect(values(await migrations.up())).toEqual({
      default: [],
      auth: [created.fileName.replace(/\.ts$/, '')],
      meta: [],
    });
    expect(values(await migrations.check())).toEqual({ default: false, auth: false, meta: false });
  });

  it('down reverts only the named key', async () => {
    const migrations = await start(true);
    const [reverted] = await migrations.down('auth');
    expect(reverted).toMatch(/_bio$/);
    const status = values(await migrations.status());
    expect(status.auth).toMatchObject({ pending: [reverted] });
    expect(status.default).toMatchObject({ pending: [] });
    expect(status.meta).toMatchObject({ pending: [] });
  });

  it('a failing migration: the error names the key; PostgreSQL rolled back; the other keys fully applied', async () => {
    await writeFile(
      join(root, 'migrations/default/Migration29990101000000_broken.ts'),
      `import { Migration } from '@mikro-orm/migrations';
export class Migration29990101000000_broken extends Migration {
  override up(): void {
    this.addSql('create table made_before_the_error (id int)');
    this.addSql('not sql');
  }
}
`,
    );
    const migrations = await start(true);
    const error = await migrations.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseOperationError);
    expect((error as DatabaseOperationError).failedKeys).toEqual(['default']);
    expect((error as Error).message).toMatch(
      /^migration:up failed for 'default': \[default\] .*syntax error.*\(succeeded: 'auth', 'meta'\)$/s,
    );
    expect((error as Error).message).not.toContain(decodeURIComponent(new URL(serverUrl('postgres', pg)).password));
    expect(await tablesOf('postgres', pg)).toEqual(['mikro_orm_migrations', 'posts']);
    const columns = await runSql<{ c: string }>(
      'mariadb',
      maria,
      `select column_name as c from information_schema.columns where table_schema = '${maria}' and table_name = 'users'`,
    );
    expect(columns.map((c) => c.c)).toContain('bio');
    await rm(join(root, 'migrations/default/Migration29990101000000_broken.ts'));
  });
});
