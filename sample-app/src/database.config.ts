import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MultiDbModuleOptions, parseDatabaseUrl } from 'nestjs-multidb';
import { entities } from './entities/index.js';

/** The sample app's folder (sample-app/), whether run from src/ or dist/src/. */
export const APP_ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../..' : '..', import.meta.url));

/** Each key's URL: the environment's, or an embedded SQLite file under sample-app/data/. */
const DEFAULTS = {
  default: ['DATABASE_URL', 'sqlite:///data/default.db'],
  auth: ['AUTH_DATABASE_URL', 'sqlite:///data/auth.db'],
  meta: ['META_DATABASE_URL', 'sqlite:///data/meta.db'],
} as const;

/**
 * The options the app passes to MultiDbModule and the CLI reads (`--config dist/src/database.config.js`).
 * Migrations are kept per key and, because this sample runs on three engines, per driver:
 * `migrations/<key>/<driver>/` (an app on one engine per key needs only `<key>/`).
 */
export function databaseOptions(env: Record<string, string | undefined> = process.env): MultiDbModuleOptions {
  const lazy = (env.DB_LAZY ?? '').split(',').map((key) => key.trim());
  const databases = Object.fromEntries(
    Object.entries(DEFAULTS).map(([key, [variable, fallback]]) => {
      const url = env[variable] || fallback;
      const driver = parseDatabaseUrl(key, url, APP_ROOT).driver;
      const family = driver === 'mariadb' ? 'mysql' : driver;
      const migrations = { path: join(APP_ROOT, 'migrations', key, family) };
      return [key, { url, migrations, lazy: lazy.includes(key) }];
    }),
  );
  // production knobs shared by every database: pool size and how long a query may wait for a connection
  const poolMax = env.DB_POOL_MAX ? Number(env.DB_POOL_MAX) : undefined;
  const acquireTimeout = env.DB_ACQUIRE_TIMEOUT_MS ? Number(env.DB_ACQUIRE_TIMEOUT_MS) : undefined;
  const common = {
    ...(poolMax === undefined ? {} : { pool: { max: poolMax } }),
    ...(acquireTimeout === undefined ? {} : { acquireTimeout }),
  };
  return {
    databases,
    common,
    entities,
    rootPath: APP_ROOT,
    // pending migrations run at start-up; they are TypeScript, which Node >= 22.18 runs as it is
    migrationOptions: { runOnStart: true, snapshotOnMigrate: false }, // never write into the source tree at run time
  };
}

export default databaseOptions;
