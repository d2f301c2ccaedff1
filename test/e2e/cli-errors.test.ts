import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runSql, serverUrl } from '../fixtures/databases.js';
import { createProject, type TempProject, recordingCli } from '../fixtures/project.js';

/** A password that must never show up (shaped like the throwaway servers' ones). */
const SECRET = 'pw_0123456789abcdef01234567';

/** The app's options, from the environment: one config for every case below. */
const CONFIG = `
import { EntitySchema } from '@mikro-orm/core';

const Post = new EntitySchema({
  name: 'Post', tableName: 'posts',
  properties: { id: { type: 'integer', primary: true }, title: { type: 'string' } },
});

export default async () => ({
  databases: {
    default: process.env.DEFAULT_URL ?? 'sqlite:///data/main.db',
    shop: { url: 'sqlite:///data/shop-{tenant}.db', tenants: { list: () => ['acme'] } },
  },
  entities: [Post],
});
`;

const THROWS_AT_IMPORT = `
const url = 'postgresql://app:${SECRET}@db.internal:5432/main';
throw new Error('cannot reach ' + url + ': refused');
`;
const FACTORY_REJECTS = `
export default async () => {
  const url = 'mysql://app:${SECRET}@db.internal:3306/users';
  throw new TypeError(\`options for \${url} are incomplete\`);
};
`;

interface JsonFailure {
  command: string | null;
  ok: false;
  error: { name: string; message: string; key?: string };
  databases: unknown[];
}

describe('CLI failures: one clear line (or one JSON object), the right exit code, no secret', () => {
  let project: TempProject;
  const outputs: string[] = [];
  const passwords = () => [SECRET, inject('postgres').password, inject('mariadb').password];

  const cli = recordingCli(() => project, outputs);
  const json = async (args: string[], env: Record<string, string> = {}) => {
    const result = await cli([...args, '--json'], env);
    return { ...result, body: JSON.parse(result.stdout) as JsonFailure };
  };

  beforeAll(async () => {
    project = await createProject('multidb-cli-errors-');
    await project.write('multidb.config.mjs', CONFIG);
    await project.write('throws.config.mjs', THROWS_AT_IMPORT);
    await project.write('rejects.config.mjs', FACTORY_REJECTS);
  });

  afterAll(async () => {
    for (const text of outputs) for (const secret of passwords()) expect(text).not.toContain(secret);
    await project?.remove();
  });

  describe('a config file that throws', () => {
    for (const [file, masked] of [
      ['throws.config.mjs', 'postgresql://app:***@db.internal:5432/main'],
      ['rejects.config.mjs', 'mysql://app:***@db.internal:3306/users'],
    ] as const) {
      it(`${file}: exit 1, one line naming the file and what it threw, the URL masked, no stack`, async () => {
        const result = await cli(['migration:list', '--config', file]);
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        const lines = result.stderr.trimEnd().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`Config file '${join(project.dir, file)}' threw while loading`);
        expect(lines[0]).toContain(masked);
        expect(lines[0]).toContain('--verbose');
        expect(result.stderr).not.toMatch(/^\s+at /m);
      });
    }

    it('--verbose adds the stack, redacted', async () => {
      const result = await cli(['migration:list', '--config', 'throws.config.mjs', '--verbose']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^\s+at .*throws\.config\.mjs/m);
      expect(result.stderr).toContain('postgresql://app:***@db.internal:5432/main');
    });

    it('--json: one JSON object on stdout with the error, masked', async () => {
      const { code, body } = await json(['migration:list', '--config', 'rejects.config.mjs']);
      expect(code).toBe(1);
      expect(body).toMatchObject({ command: 'migration:list', ok: false, databases: [] });
      expect(body.error.name).toBe('ConfigFileError');
      expect(body.error.message).toContain('mysql://app:***@db.internal:3306/users');
    });
  });

  describe('usage errors exit 2', () => {
    const cases = [
      { args: ['migration:up', '--db', 'reports'], says: "Unknown database key 'reports'" },
      { args: ['migration:up', '--db', 'shop'], says: "'shop' is a tenant template: select its tenants" },
      { args: ['migration:up', '--db', 'shop:Not A Tenant!'], says: "Tenant 'Not A Tenant!' of 'shop' is not a valid" },
      { args: ['migration:up', '--db', 'default:acme'], says: "Unknown database key 'default:acme'" },
      { args: ['migration:up', '--bogus'], says: "Unknown option '--bogus'" },
      { args: ['migration:sideways'], says: "Unknown command 'migration:sideways'" },
      { args: ['migration:down'], says: 'works on exactly one database' },
      { args: ['migration:up', '--concurrency', 'lots'], says: '--concurrency must be a positive integer' },
    ];
    for (const { args, says } of cases) {
      it(`${args.join(' ')}: exit 2, says so; with --json, a JSON error on stdout`, async () => {
        const plain = await cli(args);
        expect({ code: plain.code, says: plain.stderr.includes(says) }).toEqual({ code: 2, says: true });
        const { code, body } = await json(args);
        expect(code).toBe(2);
        expect(body.ok).toBe(false);
        expect(body.error.message).toContain(says);
      });
    }
  });

  it('--json also answers --help with JSON', async () => {
    const result = await cli(['migration:list', '--help', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).help).toContain('Usage: nestjs-multidb migration:list');
  });

  it('--json: a database that cannot be reached gives a JSON error naming it, masked', async () => {
    const url = `postgresql://app:${SECRET}@127.0.0.1:1/nothing`;
    const { code, body } = await json(['migration:pending'], { DEFAULT_URL: url });
    expect(code).toBe(1);
    expect(body.error).toMatchObject({ name: 'DatabaseConnectionError', key: 'default' });
    expect(body.error.message).toContain("Database 'default' (postgresql://app:***@127.0.0.1:1/nothing)");
  });

  describe('read-only commands never create a database', () => {
    const missing = `cli_ro_missing_${process.pid}`;
    const pgExists = async () =>
      (await runSql('postgres', 'postgres', `select 1 from pg_database where datname = '${missing}'`)).length > 0;
    const mariaExists = async () =>
      (await runSql('mariadb', 'mysql', `select 1 from information_schema.schemata where schema_name = '${missing}'`))
        .length > 0;
    const engines = [
      { name: 'PostgreSQL', url: () => serverUrl('postgres', missing), exists: pgExists },
      { name: 'MariaDB', url: () => serverUrl('mariadb', missing, 'mariadb'), exists: mariaExists },
      {
        name: 'SQLite',
        url: () => 'sqlite:///data/missing.db',
        exists: async () => existsSync(join(project.dir, 'data/missing.db')),
      },
    ];

    for (const { name, url, exists } of engines) {
      it(`${name}: migration:list, migration:pending, migration:check say the database does not exist, create nothing`, async () => {
        for (const command of ['migration:list', 'migration:pending', 'migration:check']) {
          const result = await cli([command], { DEFAULT_URL: url() });
          expect({ command, code: result.code }).toEqual({ command, code: 1 });
          expect(result.stderr).toContain("Database 'default'");
          expect(result.stderr).toContain('does not exist');
          expect(result.stderr).toContain(`${command} does not create databases`);
          expect(result.stderr).toContain('migration:up --db default');
          expect(await exists()).toBe(false);
        }
        const { code, body } = await json(['migration:pending'], { DEFAULT_URL: url() });
        expect(code).toBe(1);
        expect(body.error).toMatchObject({ name: 'DatabaseMissingError', key: 'default' });
        expect(await exists()).toBe(false);
      });
    }

    it("a tenant's missing database: its line fails saying so, the file is not created", async () => {
      const result = await cli(['migration:pending', '--db', 'shop:*']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^FAILED +shop:acme +migration:pending: .*does not exist/m);
      expect(existsSync(join(project.dir, 'data/shop-acme.db'))).toBe(false);
    });

    it('migration:up still creates a missing database, as MikroORM does', async () => {
      const result = await cli(['migration:up'], { DEFAULT_URL: serverUrl('postgres', missing) });
      expect(result.code).toBe(0);
      expect(await pgExists()).toBe(true);
      await runSql('postgres', 'postgres', `drop database ${missing}`);
    });
  });
});
