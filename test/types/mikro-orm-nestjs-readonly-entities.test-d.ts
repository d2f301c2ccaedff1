/**
 * @mikro-orm/nestjs's own type test (tests/readonly-entities.types.test-d.ts, mikro-orm/nestjs f2e9af0),
 * ported line for line; compiled by `npm run typecheck` and by test/unit/mikro-orm-nestjs-types.test.ts.
 * Translation, the smallest there is:
 * - `MikroOrmModule.forRoot(cfg)` → `MultiDbModule.setup({ databases: { default: cfg } })`: the MikroORM
 *   config is the `default` database's value as it is (its driver picks the engine).
 * - `forRootAsync({ useFactory: () => cfg })` → `setupAsync({ useFactory: () => ({ databases: { default: cfg } }) })`.
 * - `forRootAsync({ driver: SqliteDriver, … })` → the same without `driver` (no driver hint needed; refused below).
 * - `MikroOrmOptionsFactory` / `createMikroOrmOptions` → `MultiDbOptionsFactory` / `createMultiDbOptions`.
 * - `MikroOrmModuleSyncOptions` / `MikroOrmModuleOptions` / `MikroOrmModuleAsyncOptions` →
 *   `MultiDbSetupOptions` / `MultiDbModuleOptions` / `MultiDbSetupAsyncOptions`.
 * `cfgPaths` compiles as it does there; at start-up its path list is refused with the fix (MikroORM's folder
 * discovery is not used: entities are listed as classes), see test/unit/mikro-orm-config-input.test.ts.
 */
import type {
  MultiDbSetupAsyncOptions,
  MultiDbSetupOptions,
  MultiDbOptionsFactory,
  MultiDbModuleOptions,
} from 'nestjs-multidb';
import { defineConfig, SqliteDriver } from '@mikro-orm/sqlite';
import { MultiDbModule } from 'nestjs-multidb';

class A {}
class B {}

const cfgPaths = defineConfig({ entities: ['entities'], dbName: 'x' });
const cfgClasses = defineConfig({ entities: [A, B], dbName: 'x' });
const cfgReadonly = defineConfig({ entities: [A, B] as const, dbName: 'x' });

class Factory implements MultiDbOptionsFactory {
  createMultiDbOptions() {
    return { databases: { default: cfgReadonly } };
  }
}
class FactoryAsync implements MultiDbOptionsFactory {
  async createMultiDbOptions() {
    return { databases: { default: cfgReadonly } };
  }
}

// type-only — never executed; the file's purpose is to fail the build if these
// arguments stop type-checking against the module API.
export const _typecheck = () => {
  void MultiDbModule.setup({ databases: { default: cfgPaths } });
  void MultiDbModule.setup({ databases: { default: cfgClasses } });
  void MultiDbModule.setup({ databases: { default: cfgReadonly } });

  void MultiDbModule.setupAsync({ useFactory: () => ({ databases: { default: cfgPaths } }) });
  void MultiDbModule.setupAsync({ useFactory: () => ({ databases: { default: cfgClasses } }) });
  void MultiDbModule.setupAsync({ useFactory: () => ({ databases: { default: cfgReadonly } }) });
  void MultiDbModule.setupAsync({ useFactory: async () => ({ databases: { default: cfgReadonly } }) });

  void MultiDbModule.setupAsync({ useFactory: () => ({ databases: { default: cfgReadonly } }) });

  void MultiDbModule.setupAsync({ useClass: Factory });
  void MultiDbModule.setupAsync({ useClass: FactoryAsync });
  void MultiDbModule.setupAsync({ useExisting: Factory });

  const _o1: MultiDbSetupOptions = { databases: { default: cfgReadonly } };
  const _o2: MultiDbModuleOptions = { databases: { default: cfgReadonly } };
  const _o3: MultiDbSetupAsyncOptions = { useFactory: () => ({ databases: { default: cfgReadonly } }) };

  // readonly entity lists in our own places too: setup's `entities` and forFeature
  void MultiDbModule.setup({ databases: 'sqlite://', entities: [A, B] as const });
  void MultiDbModule.forFeature([A, B] as const);

  // still refused, at compile time:
  // a MikroORM config is one database's value, not the module's options
  // @ts-expect-error -- setup() needs 'databases': put the config under databases.default
  void MultiDbModule.setup(cfgReadonly);
  // the driver comes from each database's config or URL: setupAsync takes no driver hint
  // @ts-expect-error -- 'driver' is not an option of setupAsync()
  void MultiDbModule.setupAsync({ driver: SqliteDriver, useFactory: () => ({ databases: { default: cfgReadonly } }) });
  // our own entity lists take classes and schemas, not MikroORM's discovery paths
  // @ts-expect-error -- a path is not an entity
  void MultiDbModule.setup({ databases: 'sqlite://', entities: ['dist/**/*.entity.js'] });
  // @ts-expect-error -- nor in forFeature
  void MultiDbModule.forFeature(['dist/**/*.entity.js']);

  return [_o1, _o2, _o3];
};
