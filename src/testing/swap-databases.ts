import type { TestingModuleBuilder } from '@nestjs/testing';
import { MULTIDB_OPTIONS_TRANSFORM } from '../multi-db.constants.js';
import type { DatabaseOptions, MikroOrmConfigDatabase, MultiDbModuleOptions } from '../multi-db.options.js';

/** `'sqlite'`: every database in memory; or key → the URL (or options) to use instead. */
export type DatabaseSwaps = 'sqlite' | Record<string, string | DatabaseOptions | MikroOrmConfigDatabase>;

/** Options of {@link swapDatabases}. */
export interface SwapOptions {
  /**
   * Whether pending migrations still run at start-up (`migrationOptions.runOnStart`) after the
   * swap. Migrations are written for one SQL dialect; turn this off when the swapped-in engine
   * has none, and create the tables with `DbService.createAll()` instead.
   * @default the application's own setting
   */
  runOnStart?: boolean;
}

/** Connection settings that belong to the replaced URL, not to the database's other options. */
const CONNECTION_OPTIONS = [
  'url',
  'host',
  'port',
  'user',
  'password',
  'dbName',
  'schema',
  'driverOptions',
  'driver',
  'clientUrl',
];

/**
 * Replaces databases of the application's own MultiDbModule set-up (`setup` or `setupAsync`)
 * in a testing module, by key, keeping everything else (entities, common and per-database
 * options, providers) as the application has them.
 *
 * @example
 * const moduleRef = await swapDatabases(Test.createTestingModule({ imports: [AppModule] }), 'sqlite').compile();
 * await moduleRef.get(DbService).createAll();
 */
export function swapDatabases(
  builder: TestingModuleBuilder,
  swaps: DatabaseSwaps,
  options: SwapOptions = {},
): TestingModuleBuilder {
  return builder
    .overrideProvider(MULTIDB_OPTIONS_TRANSFORM)
    .useValue((original: MultiDbModuleOptions) => applySwaps(original, swaps, options));
}

/** The options with the swaps applied (what `swapDatabases` starts the databases with). */
export function applySwaps(
  original: MultiDbModuleOptions,
  swaps: DatabaseSwaps,
  options: SwapOptions = {},
): MultiDbModuleOptions {
  const current = typeof original.databases === 'string' ? { default: original.databases } : original.databases;
  const replacements: Record<string, string | DatabaseOptions | MikroOrmConfigDatabase> =
    swaps === 'sqlite' ? Object.fromEntries(Object.keys(current ?? {}).map((key) => [key, 'sqlite://'])) : swaps;
  const databases = { ...current };
  for (const [key, replacement] of Object.entries(replacements)) {
    const kept = Object.fromEntries(
      Object.entries(typeof current?.[key] === 'object' ? (current[key] as object) : {}).filter(
        ([name]) => !CONNECTION_OPTIONS.includes(name),
      ),
    );
    // a tenant template's own factory would point its tenants back at the real servers
    if (typeof kept.tenants === 'object' && kept.tenants !== null)
      kept.tenants = { ...kept.tenants, database: undefined };
    databases[key] = typeof replacement === 'string' ? { ...kept, url: replacement } : { ...kept, ...replacement };
  }
  const migrationOptions =
    options.runOnStart === undefined
      ? original.migrationOptions
      : { ...original.migrationOptions, runOnStart: options.runOnStart };
  return { ...original, databases, migrationOptions };
}
