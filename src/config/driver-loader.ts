import { type IDatabaseDriver, type Configuration, Utils } from '@mikro-orm/core';
import { DriverNotInstalledError } from '../errors/multi-db.error.js';
import type { DriverName } from './database-url.js';

/** A MikroORM driver class. */
export type DriverClass = new (config: Configuration) => IDatabaseDriver;

/** Loads a module by specifier; swapped in tests to simulate missing packages. */
export type ModuleImporter = (specifier: string) => Promise<Record<string, unknown>>;

interface DriverPackage {
  packageName: string;
  exportName: string;
  /** Used when this package is not installed (MariaDB servers speak the MySQL protocol). */
  fallback?: DriverName;
}

const PACKAGES: Readonly<Record<DriverName, DriverPackage>> = {
  postgresql: { packageName: '@mikro-orm/postgresql', exportName: 'PostgreSqlDriver' },
  mysql: { packageName: '@mikro-orm/mysql', exportName: 'MySqlDriver' },
  mariadb: { packageName: '@mikro-orm/mariadb', exportName: 'MariaDbDriver', fallback: 'mysql' },
  sqlite: { packageName: '@mikro-orm/sqlite', exportName: 'SqliteDriver' },
};

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

/**
 * `importer` that imports each specifier once: a start-up imports every key's driver, and Node
 * resolves a bare specifier again on each dynamic import (a tenth of a 10-key start).
 */
export function importingOnce(importer: ModuleImporter = defaultImporter): ModuleImporter {
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  return (specifier) => {
    const loading = modules.get(specifier) ?? importer(specifier);
    modules.set(specifier, loading);
    return loading;
  };
}

/** The driver package a URL's driver family uses first. */
export function driverPackageOf(driver: DriverName): string {
  return PACKAGES[driver].packageName;
}

/**
 * Imports the driver of one database on demand: drivers are optional peer dependencies, so a
 * missing one is reported with the exact package (and version) to install.
 */
export async function loadDriver(
  key: string,
  driver: DriverName,
  importer: ModuleImporter = defaultImporter,
): Promise<DriverClass> {
  const pkg = PACKAGES[driver];
  let mod: Record<string, unknown>;
  try {
    mod = await importer(pkg.packageName);
  } catch (error) {
    if (!isModuleNotFound(error, pkg.packageName)) throw error;
    if (pkg.fallback) return loadDriver(key, pkg.fallback, importer);
    throw new DriverNotInstalledError(key, pkg.packageName, Utils.getORMVersion(), error);
  }
  const driverClass = mod[pkg.exportName];
  if (typeof driverClass !== 'function') {
    throw new DriverNotInstalledError(key, pkg.packageName, Utils.getORMVersion());
  }
  return driverClass as DriverClass;
}

function isModuleNotFound(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  // Node says ERR_MODULE_NOT_FOUND; bundlers and Vite-based test runners only say it in words
  const notFound =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find|Could not resolve/.test(message);
  return notFound && message.includes(packageName);
}
