/**
 * Every user-facing message in one place (those of transactions in transaction-messages.ts): each names what is wrong (database key, entity)
 * and says how to fix it. URLs reaching this file are already masked.
 */
import { transactionMessages } from './transaction-messages.js';

const list = (keys: readonly string[]): string => keys.map((k) => `'${k}'`).join(', ');
const busy = (max: number | undefined): string =>
  max === undefined
    ? 'every pooled connection is busy'
    : max === 1
      ? 'its one connection is busy'
      : `all ${max} pooled connections are busy`;

export const messages = {
  optionsWrongType: (got: string): string =>
    `MultiDbModule: the options must be an object such as { databases: { default: 'sqlite:///data/app.db' } }, got ${got}.`,
  optionWrongType: (name: string, wanted: string, got: string): string =>
    `MultiDbModule: '${name}' must be ${wanted}, got ${got}.`,
  databasesMissing: (): string =>
    "MultiDbModule: the 'databases' option is missing. Pass a URL string or a map of database keys to URLs, e.g. { databases: { default: 'sqlite:///data/app.db' } }.",
  databasesWrongType: (got: string): string =>
    `MultiDbModule: 'databases' must be a URL string or an object mapping database keys to URLs or option objects, got ${got}.`,
  databasesEmpty: (): string =>
    "MultiDbModule: 'databases' is empty. Configure at least the 'default' database, e.g. { databases: { default: 'sqlite:///data/app.db' } }.",
  defaultMissing: (keys: readonly string[]): string =>
    `MultiDbModule: no 'default' database is configured (configured keys: ${list(keys)}). Add a 'default' key: entities without 'static __database__' live there.`,
  databaseWrongType: (key: string, got: string): string =>
    `Database '${key}': expected a URL string or an options object with a 'url', got ${got}.`,
  urlMissing: (key: string): string =>
    `Database '${key}': its options object has no 'url'. Add one, e.g. { url: 'postgresql://user:password@host:5432/name' }.`,
  malformedUrl: (key: string, url: string, reason: string): string =>
    `Database '${key}': malformed URL '${url}': ${reason}. Expected the form scheme://user:password@host:port/database (see docs/configuration.md, Database URLs).`,
  unsupportedScheme: (key: string, url: string, scheme: string, supported: readonly string[]): string =>
    `Database '${key}': unsupported URL scheme '${scheme}' in '${url}'. Supported schemes: ${supported.join(', ')}.`,
  invalidKey: (key: string): string =>
    `Database key '${key}' is not valid: use letters, digits, '_' and '-' only, starting with a letter.`,
  driverNotInstalled: (key: string, pkg: string, version: string): string =>
    `Database '${key}' needs the driver package '${pkg}', which is not installed. Install it with: npm install ${pkg}@${version}`,
  entityUnknownDatabase: (entity: string, key: string, keys: readonly string[]): string =>
    `Entity '${entity}' declares __database__ = '${key}', but no database '${key}' is configured (configured keys: ${list(keys)}). Add '${key}' to 'databases' or change the entity's __database__.`,
  entityInvalidDatabase: (entity: string, got: string): string =>
    `Entity '${entity}': __database__ must be a non-empty string naming a configured database key, got ${got}. Set it to a key, or remove it to use 'default'.`,
  crossDatabaseRelation: (entity: string, key: string, property: string, target: string, targetKey: string): string =>
    `Entity '${entity}' (database '${key}') has relation '${property}' to '${target}', which lives in database '${targetKey}'. Relations cannot cross databases: store the id as a plain property and load it through that database's repository.`,
  unknownKey: (key: string, keys: readonly string[]): string =>
    `Unknown database key '${key}'. Configured keys: ${list(keys)}. Add it to MultiDbModule's 'databases' option or use one of those keys.`,
  undeclaredKeys: (keys: readonly string[], configured: readonly string[]): string =>
    `MultiDbModule.setupAsync declared databaseKeys ${list(keys)} that the options factory did not configure (configured keys: ${list(configured)}). Configure them in the factory's 'databases' or remove them from 'databaseKeys'.`,
  unregisteredEntity: (entity: string, keys: readonly string[]): string =>
    `Entity '${entity}' is not registered with any database (configured keys: ${list(keys)}). Add it to MultiDbModule.setup({ entities }) or to MultiDbModule.forFeature([...]).`,
  connectionFailed: (key: string, url: string, reason: string): string =>
    `Database '${key}' (${url}) could not be reached at start-up: ${reason}. Check that the server is running and the URL is right.`,
  initFailed: (key: string, url: string, reason: string): string =>
    `Database '${key}' (${url}) failed to initialise: ${reason}`,
  migrationsNotInstalled: (key: string, version: string): string =>
    `Database '${key}': migrations need the package '@mikro-orm/migrations'. Install it with: npm install @mikro-orm/migrations@${version}`,
  operationFailed: (
    operation: string,
    failed: readonly { key: string; message: string }[],
    succeeded: readonly string[],
  ): string =>
    `${operation} failed for ${failed.map((f) => `'${f.key}'`).join(', ')}: ${failed.map((f) => `[${f.key}] ${f.message}`).join('; ')}` +
    (succeeded.length > 0 ? ` (succeeded: ${succeeded.map((k) => `'${k}'`).join(', ')})` : ''),
  downNeedsKey: (): string =>
    'migration:down reverts one database at a time: name it with --db <key> (or pass a key to down()).',
  poolTimeout: (key: string, ms: number, max: number | undefined): string =>
    `Database '${key}': no connection became free within ${ms} ms (${busy(max)}, or the server did not accept a new one in time). Raise this database's 'pool.max', shorten long transactions, or raise its 'acquireTimeout'.`,
  lazyStartDown: (key: string, url: string, reason: string): string =>
    `Database '${key}' (${url}) is not reachable: ${reason}. Starting without it because it is 'lazy': its requests fail (HTTP 503 through DatabaseUnavailableFilter) until the server answers, then it is used again without a restart.`,
  runOnStartSkipped: (key: string): string =>
    `Database '${key}' was not reachable at start-up, so its pending migrations were not applied. Apply them when it is back: nestjs-multidb migration:up --db ${key}`,
  mariaDbThroughMySql: (key: string, url: string): string =>
    `Database '${key}' (${url}) is a MariaDB server driven by @mikro-orm/mysql, whose schema introspection misreads MariaDB's column defaults (migration:check and schema diffs never come out clean). Use a mariadb:// URL and install @mikro-orm/mariadb.`,
  replicasWrongType: (key: string): string =>
    `Database '${key}': 'replicas' must be an array of URLs of the same engine, e.g. ['postgresql://reader:password@replica-1:5432/app'].`,
  sqliteReplicas: (key: string): string =>
    `Database '${key}': SQLite has no read replicas. Remove 'replicas' or use a PostgreSQL, MySQL or MariaDB database.`,
  replicaEngine: (key: string, url: string, driver: string): string =>
    `Database '${key}': replica '${url}' is not a ${driver} URL. A replica speaks its primary's protocol: use the primary's scheme.`,
  entitiesOfInvalid: (key: string, target: string, keys: readonly string[]): string =>
    `Database '${key}': entitiesOf '${target}' must name another configured key that has entities of its own (not itself, not a tenant template, not one with its own entitiesOf); configured keys: ${list(keys)}.`,
  templateInvalid: (key: string, reason: string): string =>
    `Tenant template '${key}': ${reason}. Example: ${key}: { url: 'sqlite:///data/tenants/{tenant}.db', tenants: { maxOpen: 50 } }.`,
  invalidTenant: (key: string, tenant: string): string =>
    `Tenant '${tenant}' of '${key}' is not a valid tenant key: use 1 to 63 letters, digits, '_' and '-', starting with a letter or digit (tenant keys end up in file names and database names).`,
  unknownTenant: (key: string, tenant: string, attached: number): string =>
    `Tenant '${tenant}' is not attached to '${key}' (${attached} tenants attached). Attach it first with db.attach('${tenant}'), or return it from the template's tenants.list().`,
  noTenant: (key: string): string =>
    `Database '${key}' is a tenant template and no tenant is selected here. Configure MultiDbModule's tenantResolver (for HTTP requests) or run the code inside db.runForTenant(tenant, fn).`,
  tenantClosed: (key: string, tenant: string): string =>
    `Tenant database '${key}:${tenant}' is closed (the application is shutting down, or the tenant was detached). Attach it again, or stop using it after shutdown.`,
  templateNeeded: (templates: readonly string[]): string =>
    templates.length === 0
      ? "No tenant template is configured: give a database a 'tenants' option, e.g. tenant: { url: 'sqlite:///data/tenants/{tenant}.db', tenants: {} }."
      : `Several tenant templates are configured (${list(templates)}): name the one you mean.`,
  tenantSelectorNeeded: (template: string): string =>
    `'${template}' is a tenant template: select its tenants with --db '${template}:*' (every known tenant) or --db ${template}:<tenant>.`,
  replicaDown: (key: string, url: string, reason: string, retryMs: number): string =>
    `Database '${key}': read replica ${url} cannot be reached (${reason}); its reads go to the primary, and it is tried again in ${retryMs / 1000} s.`,
  noTenantsListed: (template: string): string =>
    `No tenants of '${template}' are known: its tenants.list() returned none (or is not configured). Give the template a tenants.list() that reads your tenant catalogue.`,
  ...transactionMessages,
  // which database a configuration points at: names too long, tenants and keys that would share one
  tenantKeyTooLong: (key: string, tenant: string, name: NameOverLimit, max: number): string =>
    `Tenant '${tenant}' of '${key}' is not a valid tenant key here: its ${name.what} '${name.value}' is ${name.size} ${name.unit}, over ${name.rule} (${name.consequence}). With the URL pattern of '${key}', tenant keys can have at most ${max} characters (DbService.maxTenantKeyLength('${key}')): use a shorter tenant key, or give this tenant a shorter name through tenants.database / attach().`,
  tenantKeyCase: (key: string, tenant: string, where: string): string =>
    `Tenant '${tenant}' of '${key}' is not a valid tenant key here: it has upper-case letters and names ${where}, where case does not tell names apart on case-insensitive file systems (macOS, Windows) and MySQL/MariaDB servers with lower_case_table_names = 1 or 2, so '${tenant}' and '${tenant.toLowerCase()}' would share one database. Tenant keys are not lower-cased for you: use '${tenant.toLowerCase()}' (lower-case keys in tenants.list(), attach() and tenantResolver).`,
  templateSelectsNothing: (driver: string): string =>
    `{tenant} is not in the part of its url that selects the database, so every tenant would share one database: put it in ${
      driver === 'sqlite'
        ? "the file path ('sqlite:///data/tenants/{tenant}.db')"
        : driver === 'postgresql'
          ? "the database name ('postgresql://app:secret@db/tenant_{tenant}') or the schema ('postgresql://app:secret@db/app?schema=tenant_{tenant}')"
          : "the database name ('mysql://app:secret@db/tenant_{tenant}')"
    }, not in the host, user, password or another parameter (for a server per tenant, return its URL from tenants.database)`,
  templateNameTooLong: (name: NameOverLimit): string =>
    `its ${name.what} '${name.value}' leaves no room for a tenant key under ${name.rule}`,
  databaseNameTooLong: (key: string, url: string, name: NameOverLimit): string =>
    `Database '${key}' (${url}): its ${name.what} '${name.value}' is ${name.size} ${name.unit}, over ${name.rule} (${name.consequence}). Use a shorter name.`,
  databasesShared: (first: string, second: string, where: string): string =>
    `Databases '${first}' and '${second}' both point at ${where}, so they would read and write the same tables. Point '${second}' at a database of its own; if sharing is intended (another pool or entity set over the same tables), say so with sharesDatabaseWith: '${first}' on '${second}'.`,
  sharesDatabaseWithInvalid: (key: string, target: string, keys: readonly string[]): string =>
    `Database '${key}': sharesDatabaseWith '${target}' must name another configured database key (not itself, not a tenant template); configured keys: ${list(keys)}.`,
  tenantDatabaseShared: (key: string, tenant: string, other: string, where: string): string =>
    `Tenant '${tenant}' of '${key}' cannot be attached: its database is ${where}, which '${other}' already uses, and two tenants must never share a database. Give '${tenant}' a database of its own in tenants.database / attach() (or detach '${other}' first).`,
  tenantBusy: (key: string, tenant: string, maxOpen: number, ms: number): string =>
    `Tenant '${tenant}' of '${key}' ${ms === 0 ? 'could not wait (a synchronous first use, such as em.getKysely() before any query)' : `waited ${ms} ms`} for a free place among the template's 'tenants.maxOpen' (${maxOpen}) open tenant databases, and every one stayed in use by a running request or runForTenant. Raise 'tenants.maxOpen' (keeping the servers' connection limits in mind), shorten the handlers that hold a tenant database (long polls, SSE, slow transactions: release it before waiting), or raise 'tenants.slotTimeout'.`,
  tenantReleased: (key: string, tenant: string): string =>
    `Tenant database '${key}:${tenant}' is closed for this work: tenant '${tenant}' of '${key}' was used after the work that selected it ended (its HTTP response closed — the client may have gone away — or its runForTenant function returned), so its database is no longer held for it (and may have been closed to make room for another tenant). Await every use inside the request or the runForTenant function; for work that outlives it, call db.runForTenant('${tenant}', fn) there.`,
  tenantUnreachable: (key: string, url: string, reason: string): string =>
    `Database '${key}' (${url}) could not be reached: ${reason}. Check that the tenant's server is running and its URL is right; the next use tries again.`,
  // options that would be ignored, pools, entity lists (t14-config)
  unknownOption: (where: string, option: string, suggestion: string): string =>
    `${where}: unknown option '${option}' (did you mean '${suggestion}'?). An option nestjs-multidb does not know would be ignored, so it is refused: use MikroORM's options, ours (url, lazy, acquireTimeout, shutdownTimeout, replicas, entitiesOf, tenants, sharesDatabaseWith) and pool: { min, max, idleTimeout, maxLifetime } (docs/configuration.md, Options).`,
  entitiesPerDatabase: (where: string, option: string): string =>
    `${where}: '${option}' cannot be set per database or in 'common'. List every entity, as a class or schema (paths and globs are not loaded), in MultiDbModule.setup({ entities }) or MultiDbModule.forFeature([...]): each goes to the database its static __database__ names (use 'entitiesOf' to give a database another key's entities).`,
  contextNameIsKey: (where: string): string =>
    `${where}: 'contextName' is set by nestjs-multidb (to the database key, so request contexts find each database). Remove it.`,
  optionNotInScope: (where: string, option: string, common: boolean): string =>
    common
      ? `${where}: '${option}' belongs to one database, not to 'common'. Set it in that database's options.`
      : `${where}: a tenant's options cannot set '${option}': it belongs to the template. Set it on the template's key.`,
  poolMinAboveMax: (key: string, min: number, max: number): string =>
    `Database '${key}': 'pool.min' (${min}) is larger than 'pool.max' (${max}). Lower 'pool.min' or raise 'pool.max'.`,
  poolAliasConflict: (where: string, idleTimeout: unknown, idleTimeoutMillis: unknown): string =>
    `${where}: 'pool.idleTimeout' (${String(idleTimeout)}) and 'pool.idleTimeoutMillis' (${String(idleTimeoutMillis)}) are the same option (MikroORM's name and ours) with different values. Keep one.`,
  entityNotAClass: (where: string, index: number, got: string): string =>
    `${where}: entities[${index}] is ${got}, not an entity. Pass entity classes or EntitySchema / defineEntity objects; paths and globs such as 'dist/**/*.entity.js' are not loaded (folder discovery cannot tell which database an entity belongs to): import the classes and list them, in setup({ entities }) or MultiDbModule.forFeature([...]).`,
  keysDifferInCase: (a: string, b: string): string =>
    `MultiDbModule: database keys '${a}' and '${b}' differ only in case. A key names folders (migrations/<key>/, seeders/<key>/) that collide on case-insensitive file systems: rename one of them.`,
  unknownCoordinator: (key: string, keys: readonly string[]): string =>
    `MultiDbModule: 'transactions.coordinator' names '${key}', which is not a configured database (configured keys: ${list(keys)}). Set it to the key of a PostgreSQL or MySQL/MariaDB database.`,
  coordinatorIsTemplate: (key: string): string =>
    `MultiDbModule: 'transactions.coordinator' names '${key}', a tenant template, which has no database of its own. Set it to the key of a PostgreSQL or MySQL/MariaDB database.`,
  // closing (issue #14)
  databaseClosed: (key: string): string =>
    `Database '${key}' is closed (DbService.close() or application shutdown ran), so it refuses work instead of opening a new connection pool. Finish using its ORM, EntityManagers and repositories before closing, or start the application again.`,
  tenantEvicted: (key: string, tenant: string): string =>
    `Tenant database '${key}:${tenant}' is closed: it was detached, closed to make room for another tenant (tenants.maxOpen), or the application is shutting down. Don't keep a tenant's ORM, EntityManager or repository past its request or runForTenant call: take db.em('${key}') again inside db.runForTenant('${tenant}', fn).`,
  shutdownTimedOut: (key: string, busy: number, ms: number): string =>
    `Database '${key}': ${busy} connection${busy === 1 ? ' was' : 's were'} still busy (an open transaction or a running query) ${ms} ms after closing began, so ${busy === 1 ? 'it was' : 'they were'} destroyed and their uncommitted work rolled back. Finish transactions before shutdown, or raise this database's 'shutdownTimeout'.`,
  pingClosed: (key: string): string =>
    `Database '${key}' is closed (DbService.close() ran, or the application is shutting down): it is not reopened for a health check.`,
  databaseMissing: (key: string, url: string, database: string, file: boolean): string =>
    `Database '${key}' (${url}): ${file ? `the SQLite file '${database}'` : `the database '${database}'`} does not exist, and ensureDatabase is false for it, so it is not created. Create it, or leave ensureDatabase on (the default) to have it created when the database opens.`,
  cliDatabaseMissing: (command: string, key: string, url: string, database: string, file: boolean): string =>
    `Database '${key}' (${url}): ${file ? `the SQLite file '${database}'` : `the database '${database}'`} does not exist. ${command} does not create databases: create it with nestjs-multidb migration:up --db ${key} (or schema:create --db ${key}), then run ${command} again.`,
  configFileThrew: (path: string, reason: string): string =>
    `Config file '${path}' threw while loading: ${reason}. Fix it (run again with --verbose to see the stack).`,
  // --- schema-mode tenants (issue #15) ---
  schemaTenantOwnDatabase: (key: string, tenant: string): string =>
    `Tenant '${tenant}' of '${key}': a schema-mode template gives every tenant a schema in its one database, so a tenant cannot have a database or options of its own. Attach it without options, or use mode 'database' for tenants that need their own database.`,
  dropNeedsConfirm: (key: string, tenant: string, schema: string): string =>
    `Tenant '${tenant}' of '${key}': dropping it deletes the schema '${schema}' and every row in it. Call drop('${tenant}', { confirm: '${tenant}' }) (CLI: tenant:drop --db ${key}:${tenant} --confirm ${tenant}) to really drop it.`,
  twoPhaseTenant: (key: string): string =>
    `Tenant template '${key}' cannot take part in a two-phase transaction: its databases come and go with their tenants, and recovery could not find a prepared transaction again. Use db.transaction([...]) without twoPhase for tenant databases.`,
  schemaModeOnly: (key: string, what: string): string =>
    `Tenant template '${key}': ${what} works on schema-mode templates only (tenants: { mode: 'schema' }); a database-mode tenant's database is created and dropped by its server's tools.`,
  // a database given as a MikroORM config (src/config/mikro-orm-config-input.ts)
  configNoEngine: (key: string): string =>
    `Database '${key}': its options give no 'url' and no MikroORM 'driver' or 'clientUrl', so the engine is unknown. Add a URL ({ url: 'postgresql://user:password@host:5432/name' }) or the driver your MikroORM config runs: defineConfig({ driver: PostgreSqlDriver, dbName, host, … }) (or the defineConfig of @mikro-orm/postgresql, /mysql, /mariadb, /sqlite, which sets it).`,
  configDriverUnsupported: (key: string, got: string): string =>
    `Database '${key}': its MikroORM 'driver' must be PostgreSqlDriver, MySqlDriver, MariaDbDriver or SqliteDriver (or a subclass of one), got ${got}. Use one of them, or give a 'url' (postgresql://, mysql://, mariadb://, sqlite://).`,
  configDisagrees: (key: string, url: string, option: string, detail: string): string =>
    `Database '${key}': its 'url' (${url}) and its MikroORM '${option}' disagree (${detail}). Give one of them: remove '${option}', or make it name the same database.`,
  configNoDbName: (key: string, engine: string): string =>
    engine === 'sqlite'
      ? `Database '${key}': its MikroORM config names no SQLite database. Add 'dbName': a file path (relative to rootPath) or ':memory:'.`
      : `Database '${key}': its MikroORM config (${engine}) names no database. Add 'dbName', or a 'clientUrl' with the database after the host.`,
  configOptionWrongType: (key: string, option: string, wanted: string): string =>
    `Database '${key}': its MikroORM '${option}' must be ${wanted}.`,
  configReplicaOption: (key: string, option: string): string =>
    `Database '${key}': a replica given as MikroORM options may only set host, port, user, password and dbName (each missing one is the primary's), not '${option}'. Give that replica as a URL instead ('postgresql://reader:password@replica-1:5432/app').`,
  configClientUrlWrongType: (key: string): string =>
    `Database '${key}': its MikroORM 'clientUrl' must be a non-empty URL string such as 'postgresql://user:password@host:5432/name'.`,
  configEntityElsewhere: (key: string, entity: string, declared: string, entityKey: string): string =>
    `Database '${key}': its 'entities' list entity '${entity}', which routing gives '${declared}' (its static __database__), not '${entityKey}'. A key's own entity list may only name entities that go there: set static __database__ = '${entityKey}' on '${entity}', or remove it from this list and list it in MultiDbModule.setup({ entities }) or MultiDbModule.forFeature([...]) instead.`,
  // --- host lists and failover (issue #19) ---
  hostsOptionInvalid: (key: string, reason: string): string =>
    `Database '${key}': its 'hosts' option is invalid: ${reason}. Give the servers in order, e.g. hosts: ['db1:5432', 'db2:5432'] (or list them in the URL: postgresql://user:pw@db1:5432,db2:5432/app).`,
  hostsTwice: (key: string): string =>
    `Database '${key}': its URL lists several hosts and its 'hosts' option gives them again. Give the host list once, in the URL or in 'hosts'.`,
  targetSessionAttrsInvalid: (key: string, value: string, allowed: readonly string[]): string =>
    `Database '${key}': targetSessionAttrs '${value}' is not supported here; use one of ${allowed.map((a) => `'${a}'`).join(', ')}. (MySQL and MariaDB host lists are sequential: the first server that answers, and is synced in a Galera cluster.)`,
  connectionLost: (key: string, url: string, reason: string): string =>
    `Database '${key}' (${url}): the connection to its server was lost (${reason}); the statement or transaction in progress did not complete and was not retried. Retry the request once the database answers: the next connection tries its host list again.`,
  noHostAnswered: (
    key: string,
    url: string,
    target: string,
    hosts: readonly string[],
    reasons: readonly string[],
  ): string =>
    `Database '${key}' (${url}): no server of its host list is usable as '${target}': ${hosts.map((h, i) => `${h} (${reasons[i] ?? 'not tried'})`).join('; ')}. Start or promote a server of the list, or fix the list; the next connection tries every host again.`,
  metricsNotInstalled: (reason: string): string =>
    `nestjs-multidb/metrics needs the package 'prom-client', which could not be loaded (${reason}). Install it with: npm install prom-client`,
  metricsAlreadyRegistered: (name: string): string =>
    `The metric '${name}' is already registered in this prom-client registry (a second MultiDbMetricsModule or registerMultiDbMetrics on it?). Give each a registry of its own or a different 'prefix', or unregister the first.`,
  metricsShutDown: (): string =>
    'The application was shut down and its nestjs-multidb metrics were taken out of their registry: start the application again to collect them.',
} as const;

/** The parts of an over-long name that messages show. */
interface NameOverLimit {
  what: string;
  value: string;
  size: number;
  unit: string;
  rule: string;
  consequence: string;
}
