import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, runSql, runSqlite, serverUrl, sqliteTables, tablesOf } from '../fixtures/databases.js';
import { createProject, type TempProject, recordingCli } from '../fixtures/project.js';

const CONFIG = (pgUrl: string, mariaUrl: string) => `
import { EntitySchema } from '@mikro-orm/core';
import { inDatabase } from 'nestjs-multidb';

const Post = new EntitySchema({
  name: 'Post', tableName: 'posts',
  properties: { id: { type: 'integer', primary: true }, title: { type: 'string' } },
});
const User = inDatabase('auth', new EntitySchema({
  name: 'User', tableName: 'users',
  properties: {
    id: { type: 'integer', primary: true },
    email: { type: 'string' },
    ...(process.env.ADD_BIO ? { bio: { type: 'string', nullable: true } } : {}),
  },
}));
const AuditEntry = inDatabase('meta', new EntitySchema({
  name: 'AuditEntry', tableName: 'audit_log',
  properties: { id: { type: 'integer', primary: true }, action: { type: 'string' } },
}));

// an async factory, as an env-driven config would be
export default async () => ({
  databases: { default: ${JSON.stringify(pgUrl)}, auth: ${JSON.stringify(mariaUrl)}, meta: 'sqlite:///data/meta.db' },
  entities: [Post, User, AuditEntry],
  migrationOptions: { directory: 'migrations' }, // TypeScript migrations, which Node runs as they are
});
`;

const BROKEN = `import { Migration } from '@mikro-orm/migrations';
export class Migration29990101000000_broken extends Migration {
  up() {
    this.addSql('create table created_before_the_error (id int)');
    this.addSql('this is not sql at all');
  }
  down() {}
}
`;

describe('per-database migrations through the nestjs-multidb CLI (PostgreSQL, MariaDB, SQLite)', () => {
  let project: TempProject;
  let pg: string;
  let maria: string;
  let password: string;
  const outputs: string[] = [];
  const sqlite = () => join(project.dir, 'data/meta.db');

  const cli = recordingCli(() => project, outputs);
  const json = async (args: string[], env: Record<string, string> = {}) => {
    const result = await cli([...args, '--json'], env);
    return {
      code: result.code,
      body: JSON.parse(result.stdout) as {
        ok: boolean;
        databases: Array<{ key: string; ok: boolean; changed: boolean; result: any; error?: string }>;
      },
    };
  };
  const byKey = (body: { databases: Array<{ key: string; result: any }> }) =>
    Object.fromEntries(body.databases.map((d) => [d.key, d.result]));
  const files = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(project.dir, join(e.parentPath, e.name)))
      .sort();
  };

  beforeAll(async () => {
    [pg, maria] = await Promise.all([createDatabase('postgres', 'cli_main'), createDatabase('mariadb', 'cli_users')]);
    project = await createProject();
    const pgUrl = serverUrl('postgres', pg);
    password = decodeURIComponent(new URL(pgUrl).password);
    // mariadb:// picks @mikro-orm/mariadb, which reads MariaDB's schema right (see docs/migrations.md)
    await project.write('multidb.config.mjs', CONFIG(pgUrl, serverUrl('mariadb', maria, 'mariadb')));
  });

  afterAll(async () => {
    for (const text of outputs) expect(text).not.toContain(password);
    await project?.remove();
  });

  it("migration:create --initial writes each database's migration only under migrations/<key>/", async () => {
    const result = await cli(['migration:create', '--initial']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK +default +migration:create: created Migration\d+\.ts \(\d+ ms\)$/m);
    expect(result.stdout).toMatch(/^OK +auth +migration:create: created/m);
    expect(result.stdout).toMatch(/^OK +meta +migration:create: created/m);
    const written = (await files(project.dir)).filter(
      (f) => !f.startsWith('node_modules/') && f !== 'multidb.config.mjs' && f !== 'package.json',
    );
    expect(written.filter((f) => !f.startsWith('data/'))).toEqual([
      expect.stringMatching(/^migrations\/auth\/\.snapshot-/),
      expect.stringMatching(/^migrations\/auth\/Migration\d+\.ts$/),
      expect.stringMatching(/^migrations\/default\/\.snapshot-/),
      expect.stringMatching(/^migrations\/default\/Migration\d+\.ts$/),
      expect.stringMatching(/^migrations\/meta\/\.snapshot-/),
      expect.stringMatching(/^migrations\/meta\/Migration\d+\.ts$/),
    ]);
  });

  it("migration:up creates each database's tables and nothing in the others; migration:pending is then empty", async () => {
    const up = await cli(['migration:up']);
    expect(up.code).toBe(0);
    expect(up.stdout.trim().split('\n')).toHaveLength(3);
    expect(await tablesOf('postgres', pg)).toEqual(['mikro_orm_migrations', 'posts']);
    expect(await tablesOf('mariadb', maria)).toEqual(['mikro_orm_migrations', 'users']);
    expect(await sqliteTables(sqlite())).toEqual(['audit_log', 'mikro_orm_migrations']);

    const pending = await json(['migration:pending']);
    expect(pending.code).toBe(0);
    expect(byKey(pending.body)).toEqual({ default: { pending: [] }, auth: { pending: [] }, meta: { pending: [] } });
  });

  it('a changed entity: check reports that key alone, create captures exactly that change, up applies it, check passes', async () => {
    const env = { ADD_BIO: '1' };
    const check = await json(['migration:check'], env);
    expect(check.code).toBe(1);
    expect(check.body.databases.map((d) => [d.key, d.changed])).toEqual([
      ['default', false],
      ['auth', true],
      ['meta', false],
    ]);

    const created = await json(['migration:create', '--db', 'auth', '--name', 'user_bio'], env);
    expect(created.code).toBe(0);
    const { fileName, up } = byKey(created.body).auth;
    expect(fileName).toMatch(/^Migration\d+_user_bio\.ts$/);
    expect(up).toEqual(['alter table `users` add `bio` varchar(255) null;']);
    expect((await files(join(project.dir, 'migrations'))).filter((f) => f.includes('user_bio'))).toEqual([
      `migrations/auth/${fileName}`,
    ]);

    const applied = await json(['migration:up'], env);
    expect(byKey(applied.body)).toEqual({
      default: { applied: [] },
      auth: { applied: [fileName.replace(/\.ts$/, '')] },
      meta: { applied: [] },
    });
    const columns = await runSql<{ c: string }>(
      'mariadb',
      maria,
      `select column_name as c from information_schema.columns where table_schema = '${maria}' and table_name = 'users' order by ordinal_position`,
    );
    expect(columns.map((c) => c.c)).toEqual(['id', 'email', 'bio']);

    const after = await cli(['migration:check'], env);
    expect(after.code).toBe(0);
  });

  it('migration:down --db <key> reverts only that key; migration:list shows each history', async () => {
    const down = await cli(['migration:down', '--db', 'auth'], { ADD_BIO: '1' });
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^OK +auth +migration:down: reverted 1: Migration\d+_user_bio/m);
    const list = await json(['migration:list']);
    const history = byKey(list.body);
    expect(history.default.executed).toHaveLength(1);
    expect(history.auth.executed).toHaveLength(1);
    expect(history.auth.pending).toEqual([expect.stringMatching(/_user_bio$/)]);
    expect(history.meta.executed).toHaveLength(1);
    expect(await tablesOf('postgres', pg)).toEqual(['mikro_orm_migrations', 'posts']);

    expect((await cli(['migration:down'])).code).toBe(2); // one database at a time
  });

  it('a failing migration on one key: non-zero exit naming it, that database as before, the others fully applied', async () => {
    await project.write('migrations/default/Migration29990101000000_broken.js', BROKEN);
    await project.write(
      'migrations/meta/Migration29990101000001_settings.js',
      `import { Migration } from '@mikro-orm/migrations';
export class Migration29990101000001_settings extends Migration {
  up() { this.addSql('create table settings (name text primary key, value text)'); }
  down() { this.addSql('drop table settings'); }
}
`,
    );
    const result = await cli(['migration:up'], { ADD_BIO: '1' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAILED +default +migration:up: .*syntax error/m);
    expect(result.stdout).toMatch(/^OK +auth +migration:up: applied 1: Migration\d+_user_bio/m);
    expect(result.stdout).toMatch(/^OK +meta +migration:up: applied 1: Migration29990101000001_settings/m);
    // PostgreSQL: the failed migration rolled back whole and is not recorded
    expect(await tablesOf('postgres', pg)).toEqual(['mikro_orm_migrations', 'posts']);
    const pending = byKey((await json(['migration:pending', '--db', 'default'])).body);
    expect(pending.default.pending).toEqual(['Migration29990101000000_broken']);
    expect(await sqliteTables(sqlite())).toEqual(['audit_log', 'mikro_orm_migrations', 'settings']);
  });

  it('schema:fresh --db <key> recreates one database; the others keep their rows', async () => {
    await runSql('postgres', pg, "insert into posts (title) values ('kept')");
    await runSql('mariadb', maria, "insert into users (email) values ('kept@example.com')");
    await runSqlite(sqlite(), "insert into audit_log (action) values ('gone')");
    const fresh = await cli(['schema:fresh', '--db', 'meta']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^OK +meta +schema:fresh: tables recreated/m);
    expect(await runSqlite(sqlite(), 'select count(*) as n from audit_log')).toEqual([{ n: 0 }]);
    expect(await runSql('postgres', pg, 'select title from posts')).toEqual([{ title: 'kept' }]);
    expect(await runSql('mariadb', maria, 'select email from users')).toEqual([{ email: 'kept@example.com' }]);
  });

  it('seed:run --db <key> --class <Seeder> runs a seeder from seeders/<key>/ against that database only', async () => {
    await project.write(
      'seeders/auth/UserSeeder.ts',
      `import type { EntityManager } from '@mikro-orm/core';
import { Seeder } from '@mikro-orm/seeder';

export class UserSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    em.create('User', { email: 'seeded@example.com' });
  }
}
`,
    );
    const before = await runSql<{ n: number }>('postgres', pg, 'select count(*)::int as n from posts');
    const result = await cli(['seed:run', '--db', 'auth', '--class', 'UserSeeder'], { ADD_BIO: '1' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK +auth +seed:run: ran UserSeeder/m);
    expect(await runSql('mariadb', maria, "select email from users where email = 'seeded@example.com'")).toEqual([
      { email: 'seeded@example.com' },
    ]);
    expect(await runSql('postgres', pg, 'select count(*)::int as n from posts')).toEqual(before);
    expect((await cli(['seed:run'])).code).toBe(2); // one database at a time
  });

  it('every command has --help; unknown commands, keys and flags fail clearly', async () => {
    const commands = [
      'migration:create',
      'migration:up',
      'migration:down',
      'migration:list',
      'migration:pending',
      'migration:check',
      'seed:run',
      'schema:create',
      'schema:drop',
      'schema:update',
      'schema:fresh',
    ];
    for (const command of commands) {
      const help = await cli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`Usage: nestjs-multidb ${command}`);
    }
    const usage = await cli(['--help']);
    for (const command of commands) expect(usage.stdout).toContain(command);
    expect((await cli(['migration:sideways'])).code).toBe(2);
    expect((await cli(['migration:up', '--bogus'])).code).toBe(2);
    expect((await cli(['migration:up', '--initial'])).code).toBe(2);
    const unknown = await cli(['migration:up', '--db', 'reports']);
    expect(unknown.code).toBe(2); // a usage error
    expect(unknown.stderr).toContain("Unknown database key 'reports'. Configured keys: 'default', 'auth', 'meta'");
  });

  it('a database that cannot be reached: non-zero exit, its key and masked URL, no password', async () => {
    await project.write(
      'broken.config.mjs',
      `export default { databases: { default: 'sqlite://', auth: 'mysql://root:${password}@127.0.0.1:1/nothing' } };\n`,
    );
    const result = await cli(['migration:pending', '--config', 'broken.config.mjs']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Database 'auth' (mysql://root:***@127.0.0.1:1/nothing) could not be reached");
  });
});
