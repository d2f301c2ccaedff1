import { existsSync } from 'node:fs';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { DatabaseMissingError } from '../errors/multi-db.error.js';

/** The configuration with MikroORM's ensureDatabase off (read-only CLI commands). */
export function withoutEnsureDatabase(config: ResolvedDatabase): ResolvedDatabase {
  return { ...config, options: { ...config.options, ensureDatabase: false } };
}

/** better-sqlite3 creates a missing file (and we its folder): not when the database may not be created. */
export function assertSqliteFileExists(config: ResolvedDatabase): void {
  const file = config.sqliteFile;
  if (file !== undefined && config.options.ensureDatabase === false && !existsSync(file)) {
    throw new DatabaseMissingError(config.key, config.maskedUrl, file, true);
  }
}

/** PostgreSQL 3D000 and MySQL/MariaDB 1049 at connect: the server answers, the database is not there. */
export function missingDatabase(error: unknown, config: ResolvedDatabase): DatabaseMissingError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    if (code === '3D000' || code === 'ER_BAD_DB_ERROR' || errno === 1049) {
      return new DatabaseMissingError(config.key, config.maskedUrl, String(config.options.dbName ?? ''), false, error);
    }
  }
  return undefined;
}
