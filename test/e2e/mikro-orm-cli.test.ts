import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, serverUrl, tablesOf } from '../fixtures/databases.js';
import { createProject, type RunResult, type TempProject } from '../fixtures/project.js';

/** A user's plain-JS MikroORM config built by our helper: `default` on PostgreSQL, `auth` on MariaDB. */
const mikroOrmConfig = (defaultUrl: string, authUrl: string) => `
import { EntitySchema } from '@mikro-orm/core';
import { inDatabase, toMikroOrmConfigs } from 'nestjs-multidb';

const Note = new EntitySchema({
  name: 'Note',
  tableName: 'notes',
  properties: { id: { type: 'number', primary: true }, text: { type: 'string' } },
});

const Account = inDatabase('auth', new EntitySchema({
  name: 'Account',
  tableName: 'accounts',
  properties: { id: { type: 'number', primary: true }, email: { type: 'string' } },
}));

export const options = {
  databases: { default: ${JSON.stringify(defaultUrl)}, auth: ${JSON.stringify(authUrl)} },
  entities: [Note, Account],
  // 'js' would write CommonJS into .js files, which Node refuses to load in this "type": "module" project
  migrationOptions: { directory: 'migrations', emit: 'cjs' },
};

// the promise of the array itself: the CLI awaits the default export and picks --contextName out of an
// array, but takes whatever a function export returns as one config (an array there fails: no driver)
export default toMikroOrmConfigs(options);
`;

describe("MikroORM's own CLI on the config array from toMikroOrmConfigs()", () => {
  let project: TempProject;
  let pgDb: string;
  let mariaDb: string;
  let create: RunResult;
  let up: RunResult;

  /** The class name of the migration MikroORM's CLI reported creating. */
  const migrationName = () => /(Migration\d+)\.cjs successfully created/.exec(create.stdout)?.[1];

  /** `npx mikro-orm <command>` for the `auth` key only. */
  const mikroOrm = (...args: string[]) =>
    project.node([
      'node_modules/@mikro-orm/cli/cli.js',
      ...args,
      '--config',
      './mikro-orm.config.mjs',
      '--contextName',
      'auth',
    ]);

  beforeAll(async () => {
    [pgDb, mariaDb] = await Promise.all([
      createDatabase('postgres', 'cli_main'),
      createDatabase('mariadb', 'cli_auth'),
    ]);
    project = await createProject('multidb-mikro-orm-cli-');
    // MikroORM's CLI refuses to run unless the project lists @mikro-orm/cli as its own dependency
    await project.write(
      'package.json',
      JSON.stringify({
        name: 'user-app',
        private: true,
        type: 'module',
        devDependencies: { '@mikro-orm/cli': '7.2.1', '@mikro-orm/migrations': '7.2.1' },
      }),
    );
    // with a TypeScript loader installed (tsx), MikroORM's CLI reads the project's tsconfig.json
    await project.write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', target: 'ES2023' } }));
    await project.write(
      'mikro-orm.config.mjs',
      mikroOrmConfig(serverUrl('postgres', pgDb), serverUrl('mariadb', mariaDb)),
    );
    create = await mikroOrm('migration:create', '--initial');
    up = await mikroOrm('migration:up');
  });

  afterAll(async () => {
    await project?.remove();
  });

  it('creates and applies the initial migration of auth, exiting 0', () => {
    expect(create, create.stderr).toMatchObject({ code: 0 });
    expect(migrationName()).toMatch(/^Migration\d+$/);
    expect(up, up.stderr).toMatchObject({ code: 0 });
    expect(up.stdout).toContain('Successfully migrated up to the latest version');
  });

  it('writes migration files only under <project>/migrations/auth/', async () => {
    expect((await readdir(project.dir)).sort()).toEqual([
      'migrations',
      'mikro-orm.config.mjs',
      'node_modules',
      'package.json',
      'tsconfig.json',
    ]);
    expect(await readdir(join(project.dir, 'migrations'))).toEqual(['auth']);
    expect((await readdir(join(project.dir, 'migrations/auth'))).sort()).toEqual([
      `.snapshot-${mariaDb}.json`,
      `${migrationName()}.cjs`,
    ]);
  });

  it("creates the auth entity's table and the migrations table in MariaDB, and nothing in PostgreSQL", async () => {
    expect(await tablesOf('mariadb', mariaDb)).toEqual(['accounts', 'mikro_orm_migrations']);
    expect(await tablesOf('postgres', pgDb)).toEqual([]);
  });

  it('never prints a password from the URLs', () => {
    const output = [create.stdout, create.stderr, up.stdout, up.stderr].join('\n');
    for (const password of [inject('postgres').password, inject('mariadb').password]) {
      expect(password.length).toBeGreaterThan(0);
      expect(output).not.toContain(password);
    }
  });

  it('our own bin, on the same options, sees the migration as executed and none pending for auth', async () => {
    await project.write('multidb.config.mjs', "export { options as default } from './mikro-orm.config.mjs';\n");
    const pending = await project.cli(['migration:pending', '--db', 'auth', '--json']);
    expect(pending, pending.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(pending.stdout)).toMatchObject({ databases: [{ key: 'auth', result: { pending: [] } }] });

    const list = await project.cli(['migration:list', '--db', 'auth', '--json']);
    expect(list, list.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(list.stdout)).toMatchObject({
      // MikroORM strips only .js/.ts from the names it records
      databases: [{ key: 'auth', result: { executed: [{ name: `${migrationName()}.cjs` }] } }],
    });
  });
});
