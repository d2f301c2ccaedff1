import { isAbsolute, join, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { DatabaseOptions, MikroOrmOptions, MultiDbModuleOptions } from '../multi-db.options.js';
import { withModuleAwareGenerator } from '../migrations/module-aware-generator.js';
import { TenantTemplate } from '../tenants/tenant-template.js';
import { type DriverName, parseDatabaseUrl, withExplicitOptions } from './database-url.js';
import { entitiesOfOption, replicaOptions } from './database-extras.js';
import { assertDatabasesApart } from './shared-databases.js';
import { assertKnownOptions, type OptionsScope } from './known-options.js';
import { isSecretName } from './mask.js';
import { fromMikroOrmConfig } from './mikro-orm-config-input.js';
import { type HostList, hostListOf } from './host-list.js';
import { assertCoordinator, assertKeysDistinctIgnoringCase, assertOptionsShape, KEY_PATTERN } from './options-shape.js';
import { takeConnectionPolicy } from './connection-policy.js';
import { takePool, withDriverOptions, withPoolAliasResolved } from './pool-options.js';
import { describe, isPlainObject } from './values.js';

export { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS } from './connection-policy.js';
export { assertOptionsShape } from './options-shape.js';

export const DEFAULT_KEY = 'default';
export const DEFAULT_MIGRATIONS_DIRECTORY = 'migrations';
export const DEFAULT_SEEDERS_DIRECTORY = 'seeders';

/** One configured database, validated and merged, before its ORM starts. */
export interface ResolvedDatabase {
  /** Its key (`<template>:<tenant>` for a tenant database). */
  key: string;
  /** The key whose entities it holds: its own, its `entitiesOf`, or its tenant template's. */
  entityKey: string;
  driver: DriverName;
  maskedUrl: string;
  /** Its read replicas' URLs, passwords masked. */
  maskedReplicas: string[];
  /**
   * The failover host list of each of its connections, the primary first and then its replicas in
   * order (`undefined`: a single host, used as is). See orm/host-failover.ts.
   */
  hostLists: (HostList | undefined)[];
  /** Secrets to scrub from any driver message about this database. */
  secrets: string[];
  sqliteFile: string | undefined;
  /** Start without it when it cannot be reached (`lazy: true`). */
  lazy: boolean;
  /** Milliseconds a query waits for a pooled connection. */
  acquireTimeout: number;
  /** Milliseconds closing waits for connections in use before destroying them. */
  shutdownTimeout: number;
  /** SQLite: bind values and keep compiled statements (`reuseStatements`). */
  reuseStatements: boolean;
  /** MikroORM options without `driver` resolution and entities. */
  options: MikroOrmOptions & Record<string, unknown>;
}

/** The databases opened at start-up and the tenant templates, validated. */
export interface ResolvedOptions {
  /** Every configured key, templates included, `default` first. */
  keys: string[];
  databases: ResolvedDatabase[];
  templates: TenantTemplate[];
}

/** Validates `databases` and merges common, URL and per-database options; keys come back `default` first. */
export function resolveDatabases(options: MultiDbModuleOptions): ResolvedDatabase[] {
  return resolveOptions(options).databases;
}

/** Like `resolveDatabases`, plus the tenant templates (keys with `tenants`), which open no database themselves. */
export function resolveOptions(options: MultiDbModuleOptions): ResolvedOptions {
  assertOptionsShape(options);
  const rootPath = options.rootPath ?? process.cwd();
  const map = normaliseDatabases(options.databases, rootPath);
  const keys = Object.keys(map);
  const ordered = [DEFAULT_KEY, ...keys.filter((k) => k !== DEFAULT_KEY)];
  const migrations = perKeyFolders(options.rootPath, options.migrationOptions, DEFAULT_MIGRATIONS_DIRECTORY, [
    'runOnStart',
  ]);
  const seeders = perKeyFolders(options.rootPath, options.seederOptions, DEFAULT_SEEDERS_DIRECTORY, []);
  assertKnownOptions('common', undefined, options.common ?? {});
  const common = withPoolAliasResolved("MultiDbModule's 'common'", options.common ?? {});
  const resolve = (name: string, value: unknown, entityKey: string, scope: OptionsScope): ResolvedDatabase => {
    const db = resolveOne(name, value, common, rootPath, entityKey, scope);
    // a database sharing another key's entities shares its migrations too; seed data stays its own
    db.options.migrations = withModuleAwareGenerator(migrations(entityKey, db.options.migrations));
    db.options.seeder = seeders(scope === 'tenant' ? entityKey : name, db.options.seeder);
    return db;
  };
  const out: ResolvedOptions = { keys: ordered, databases: [], templates: [] };
  for (const key of ordered) {
    const value = map[key];
    if (TenantTemplate.isTemplate(value)) {
      const own = toDatabaseOptions(key, value);
      assertKnownOptions('database', key, own);
      const template = new TenantTemplate(key, own, (tenant, merged) =>
        resolve(`${key}:${tenant}`, merged, key, 'tenant'),
      );
      out.templates.push(template);
    } else {
      out.databases.push(resolve(key, value, entitiesOfOption(key, value, map), 'database'));
    }
  }
  assertDatabasesApart(out.databases, map);
  assertCoordinator(
    options.transactions,
    ordered,
    out.templates.map((t) => t.key),
  );
  return out;
}

/**
 * Settings shared by every database plus one folder per key (`<directory>/<key>/`, relative to
 * `rootPath`); a database's own settings win, and an explicit `path` replaces the folder.
 */
function perKeyFolders(
  rootPath: string | undefined,
  shared: { directory?: string } | undefined,
  defaultDirectory: string,
  ours: readonly string[],
): (key: string, own: unknown) => Record<string, unknown> {
  const { directory = defaultDirectory, ...rest } = (shared ?? {}) as { directory?: string } & Record<string, unknown>;
  const common = Object.fromEntries(Object.entries(rest).filter(([name]) => !ours.includes(name)));
  const root = isAbsolute(directory) ? directory : resolve(rootPath ?? process.cwd(), directory);
  return (key, own) => {
    const mine = (own ?? {}) as { path?: string; pathTs?: string };
    // one folder serves compiled and TypeScript runs alike, unless the database names both
    const path = mine.path ?? mine.pathTs ?? join(root, key);
    return { ...common, ...mine, path, pathTs: mine.pathTs ?? path };
  };
}

function normaliseDatabases(databases: unknown, rootPath: string): Record<string, unknown> {
  if (databases === undefined || databases === null) throw new InvalidOptionsError(messages.databasesMissing());
  if (typeof databases === 'string') return { [DEFAULT_KEY]: databases };
  if (typeof databases !== 'object' || Array.isArray(databases)) {
    throw new InvalidOptionsError(messages.databasesWrongType(describe(databases)));
  }
  const keys = Object.keys(databases);
  if (keys.length === 0) throw new InvalidOptionsError(messages.databasesEmpty());
  if (!keys.includes(DEFAULT_KEY)) throw new InvalidOptionsError(messages.defaultMissing(keys));
  for (const key of keys) {
    if (!KEY_PATTERN.test(key)) throw new InvalidOptionsError(messages.invalidKey(key), { key });
  }
  assertKeysDistinctIgnoringCase(keys);
  const given = databases as Record<string, unknown>;
  return Object.fromEntries(keys.map((key) => [key, fromMikroOrmConfig(key, given[key], rootPath)]));
}

function resolveOne(
  key: string,
  value: unknown,
  common: MikroOrmOptions,
  rootPath: string,
  entityKey: string,
  scope: OptionsScope,
): ResolvedDatabase {
  const own = toDatabaseOptions(key, value);
  assertKnownOptions(scope, key, own);
  const {
    url,
    replicas,
    entitiesOf: _,
    tenants: __,
    sharesDatabaseWith: ___,
    hosts,
    targetSessionAttrs,
    ...explicit
  } = withPoolAliasResolved(`Database '${key}'`, own, key);
  const parsed = parseDatabaseUrl(key, url, rootPath);
  const hostList = hostListOf(key, parsed, hosts, targetSessionAttrs);
  if (hostList) Object.assign(parsed.options, { host: hostList.hosts[0]?.host, port: hostList.hosts[0]?.port });
  const readers = replicaOptions(key, parsed.driver, replicas, rootPath);
  const merged = mergeOptions(
    mergeOptions(common as Record<string, unknown>, parsed.options),
    explicit as Record<string, unknown>,
  );
  const { lazy, acquireTimeout, shutdownTimeout, reuseStatements } = takeConnectionPolicy(key, merged);
  // given only as no-ops (none, or this key), and set by us: below, and at start-up
  delete merged.entities;
  delete merged.entitiesTs;
  const forDriver = takePool(key, parsed.driver, merged);
  merged.driverOptions = withDriverOptions(merged.driverOptions, forDriver);
  if (merged.driverOptions === undefined) delete merged.driverOptions;
  merged.contextName = key;
  merged.discovery = { warnWhenNoEntities: false, ...(merged.discovery as object | undefined) };
  if (readers.options.length > 0) {
    // a replica with driver options of its own (from its URL) gets the pool's too
    merged.replicas = readers.options.map((r) =>
      r.driverOptions === undefined ? r : { ...r, driverOptions: withDriverOptions(r.driverOptions, forDriver) },
    );
  }
  const secrets = [
    parsed.password,
    typeof merged.password === 'string' ? merged.password : undefined,
    ...parsed.secrets,
    ...secretsIn(merged.driverOptions),
    ...readers.passwords,
  ];
  const shown = withExplicitOptions(parsed, explicit as Record<string, unknown>);
  return {
    key,
    entityKey,
    driver: parsed.driver,
    maskedUrl: shown.maskedUrl,
    maskedReplicas: readers.maskedUrls,
    hostLists: [hostList, ...readers.hostLists],
    secrets: [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length > 0))],
    sqliteFile: shown.sqliteFile,
    lazy,
    acquireTimeout,
    shutdownTimeout,
    reuseStatements,
    options: merged,
  };
}

function toDatabaseOptions(key: string, value: unknown): DatabaseOptions {
  if (typeof value === 'string') return { url: value };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(messages.databaseWrongType(key, describe(value)), { key });
  }
  const url = (value as { url?: unknown }).url;
  if (typeof url !== 'string' || url.trim() === '') throw new InvalidOptionsError(messages.urlMissing(key), { key });
  return value as DatabaseOptions;
}

/** Later wins; plain-object values (pool, driverOptions, discovery, …) merge one level deep. */
function mergeOptions(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(over)) {
    const prev = out[name];
    out[name] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
  }
  return out;
}

/** String values of secret-named driver options (`sslpassword`, `ssl.key`, …), one level of nesting deep. */
function secretsIn(driverOptions: unknown, depth = 0): string[] {
  if (!isPlainObject(driverOptions) || depth > 1) return [];
  return Object.entries(driverOptions).flatMap(([name, value]) =>
    typeof value === 'string' ? (isSecretName(name) ? [value] : []) : secretsIn(value, depth + 1),
  );
}
