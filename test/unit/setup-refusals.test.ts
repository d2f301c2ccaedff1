import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntitySchema } from '@mikro-orm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError, MultiDbModule } from 'nestjs-multidb';
import { runCli } from '../../src/cli/run.js';
import { bootWith, memoryDatabases, rejection } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';
import { startupHarness } from '../fixtures/startup.js';

const { startupError } = startupHarness();

describe('setup() refuses', () => {
  it.each([
    ['null', [Post, null], 'entities[1] is null, not an entity'],
    ['undefined', [undefined], 'entities[0] is undefined, not an entity'],
    ['a glob', ['dist/**/*.entity.js'], "entities[0] is the string 'dist/**/*.entity.js'"],
    ['a path', [Post, './src/user.entity'], "entities[1] is the string './src/user.entity'"],
    ['a number', [1], 'entities[0] is a number'],
    ['a plain object', [{ name: 'X' }], 'entities[0] is an object that is neither a class nor an EntitySchema'],
  ])('entities holding %s, saying to pass classes or schemas', (_, entities, part) => {
    const call = () => MultiDbModule.setup({ databases: memoryDatabases, entities: entities as never });
    expect(call).toThrow(InvalidOptionsError);
    expect(call).toThrow(part);
    expect(call).toThrow('Pass entity classes or EntitySchema / defineEntity objects');
  });

  it('entities given as globs through setupAsync stop start-up', async () => {
    const error = await rejection(
      bootWith([
        MultiDbModule.setupAsync({
          useFactory: () => ({ databases: 'sqlite://', entities: ['dist/**/*.entity.js'] as never }),
        }),
      ]),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("MultiDbModule: entities[0] is the string 'dist/**/*.entity.js'");
  });

  it('forFeature with strings or holes', () => {
    for (const entities of [['dist/**/*.entity.js'], [User, undefined]]) {
      const call = () => MultiDbModule.forFeature(entities as never);
      expect(call).toThrow(InvalidOptionsError);
      expect(call).toThrow('MultiDbModule.forFeature: entities[');
    }
  });

  it("__database__ = null on an EntitySchema's class, or on a class", async () => {
    class Ledger {
      static __database__ = null;
    }
    const schema = new EntitySchema({
      class: Ledger,
      tableName: 'ledger',
      properties: { id: { type: 'integer', primary: true } },
    });
    const error = await startupError({ databases: memoryDatabases, entities: [schema] });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("Entity 'Ledger': __database__ must be a non-empty string");
    expect(error.message).toContain('got null');
    class Plain {
      static __database__ = null;
    }
    const plain = await startupError({ databases: memoryDatabases, entities: [Plain as never] });
    expect(plain).toBeInstanceOf(InvalidOptionsError);
    expect(plain.message).toContain("Entity 'Plain'");
  });

  it('database keys that differ only in case', async () => {
    const error = await startupError({ databases: { default: 'sqlite://', auth: 'sqlite://', Auth: 'sqlite://' } });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("database keys 'auth' and 'Auth' differ only in case");
    expect((error as InvalidOptionsError).key).toBe('Auth');
  });

  it.each([true, false])(
    'a transactions.coordinator key that is not configured (recoverOnStart %s)',
    async (recover) => {
      const error = await startupError({
        databases: memoryDatabases,
        transactions: { coordinator: 'ledger', recoverOnStart: recover },
      });
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain("'transactions.coordinator' names 'ledger', which is not a configured database");
      expect(error.message).toContain("'default', 'auth', 'meta'");
    },
  );

  it('a tenant template as transactions.coordinator', async () => {
    const error = await startupError({
      databases: { default: 'sqlite://', tpl: { url: 'sqlite://', tenants: {} } },
      transactions: { coordinator: 'tpl', recoverOnStart: false },
    });
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain("names 'tpl', a tenant template");
  });
});

describe('the CLI config path', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** Runs `schema:create` with a config exporting `{ rootPath: <temp dir>, …options }`. */
  async function cli(options: string): Promise<{ code: number; stdout: string; stderr: string }> {
    dir = await mkdtemp(join(tmpdir(), 'multidb-options-'));
    const config = `export default { rootPath: ${JSON.stringify(dir)}, ${options} };\n`;
    await writeFile(join(dir, 'multidb.config.mjs'), config);
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      cwd: dir,
    };
    const code = await runCli(['schema:create'], io);
    return { code, stdout, stderr };
  }

  it('entities as MikroORM-style globs fail with the fix instead of creating nothing', async () => {
    const result = await cli("databases: { default: 'sqlite:///data/main.db' }, entities: ['dist/**/*.entity.js']");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("MultiDbModule: entities[0] is the string 'dist/**/*.entity.js'");
    expect(result.stderr).toContain('import the classes and list them');
  });

  it('an unknown option fails naming the key and the closest known one', async () => {
    const result = await cli("databases: { default: { url: 'sqlite:///data/main.db', pool_recycle: 3600 } }");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "Database 'default': unknown option 'pool_recycle' (did you mean 'pool.maxLifetime'?)",
    );
  });
});
