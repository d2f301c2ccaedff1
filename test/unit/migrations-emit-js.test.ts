import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MigrationService, type MultiDbModuleOptions, toMikroOrmConfigs } from 'nestjs-multidb';
import { isEsmFolder, ModuleAwareMigrationGenerator } from '../../src/migrations/module-aware-generator.js';
import { type Booted, boot } from '../fixtures/boot.js';
import { AuditEntry, Post, User } from '../fixtures/entities.js';
import { REPO } from '../fixtures/project.js';

describe("emit: 'js' migrations follow the nearest package.json (MigrationService, MikroORM's CLI config)", () => {
  let root: string;
  let booted: Booted | undefined;
  // default: ESM (the folder's own package.json); auth: a sub-folder that says CommonJS
  const options = (): MultiDbModuleOptions => ({
    databases: {
      default: 'sqlite:///data/main.db',
      auth: { url: 'sqlite:///data/auth.db', migrations: { path: join(root, 'legacy/auth') } },
      meta: { url: 'sqlite:///data/meta.db', migrations: { emit: 'ts' } },
    },
    entities: [Post, User, AuditEntry],
    rootPath: root,
    migrationOptions: { directory: 'migrations', emit: 'js' },
  });

  beforeAll(async () => {
    // inside the repository, so that the generated migrations resolve '@mikro-orm/migrations'
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    root = await mkdtemp(join(REPO, '.tmp', 'emit-js-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    await mkdir(join(root, 'legacy/auth'), { recursive: true });
    await writeFile(join(root, 'legacy/package.json'), JSON.stringify({ type: 'commonjs' }));
  });
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('isEsmFolder reads the nearest package.json up from the folder', () => {
    expect(isEsmFolder(join(root, 'migrations/default'))).toBe(true);
    expect(isEsmFolder(join(root, 'legacy/auth'))).toBe(false);
    expect(isEsmFolder('/')).toBe(false);
  });

  it('MigrationService.create writes ESM under "type": "module" and CommonJS under "type": "commonjs"; both run', async () => {
    booted = await boot(options());
    const migrations = booted.app.get(MigrationService);
    const esm = await migrations.create('default');
    const cjs = await migrations.create('auth');
    const ts = await migrations.create('meta');
    expect([esm.fileName, cjs.fileName, ts.fileName]).toEqual([
      expect.stringMatching(/^Migration\d+\.js$/),
      expect.stringMatching(/^Migration\d+\.js$/),
      expect.stringMatching(/^Migration\d+\.ts$/),
    ]);
    const esmCode = await readFile(join(root, 'migrations/default', esm.fileName), 'utf8');
    expect(esmCode).toMatch(/^import \{ Migration \} from '@mikro-orm\/migrations';$/m);
    expect(esmCode).not.toContain('exports');
    const cjsCode = await readFile(join(root, 'legacy/auth', cjs.fileName), 'utf8');
    expect(cjsCode).toContain("const { Migration } = require('@mikro-orm/migrations');");

    const up = await migrations.up(['default', 'auth']);
    expect(up.map((o) => [o.key, o.ok && o.value.length])).toEqual([
      ['default', 1],
      ['auth', 1],
    ]);
    expect(await booted.db.orm('default').em.getConnection().execute('select count(*) as n from posts')).toEqual([
      { n: 0 },
    ]);
    expect(await migrations.down('default')).toEqual([esm.fileName.replace(/\.js$/, '')]);
    expect(await migrations.down('auth')).toEqual([cjs.fileName.replace(/\.js$/, '')]);
    const tables = "select name from sqlite_master where type = 'table' and name = 'posts'";
    expect(await booted.db.orm('default').em.getConnection().execute(tables)).toEqual([]);
  });

  it("toMikroOrmConfigs hands MikroORM's CLI the same generator; a generator of one's own is kept", async () => {
    class OwnGenerator extends ModuleAwareMigrationGenerator {}
    const configs = await toMikroOrmConfigs({
      ...options(),
      databases: {
        ...(options().databases as Record<string, unknown>),
        extra: { url: 'sqlite://', migrations: { generator: OwnGenerator } },
      },
    });
    expect(configs.map((c) => [c.contextName, c.migrations?.generator])).toEqual([
      ['default', ModuleAwareMigrationGenerator],
      ['auth', ModuleAwareMigrationGenerator],
      ['meta', undefined],
      ['extra', OwnGenerator],
    ]);
  });
});
