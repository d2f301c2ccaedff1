import { databaseIdentity, foldsCase } from '../config/database-identity.js';
import { durationRange, isDuration } from '../config/durations.js';
import { maxKeyLength, overLimit } from '../config/identifier-limits.js';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { InvalidOptionsError, InvalidTenantKeyError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { DatabaseOptions, TenantDatabase, TenantTemplateOptions } from '../multi-db.options.js';
import { type PoolShape, poolShapeOf } from '../orm/pool-stats.js';

/** Letters, digits, `_` and `-`: a tenant key ends up in file paths and database names. */
export const TENANT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** The longest key `TENANT_KEY_PATTERN` allows; a template's URL pattern may allow fewer. */
export const MAX_TENANT_KEY_LENGTH = 63;
/** Replaced by the tenant key in a template's URL. */
export const TENANT_PLACEHOLDER = '{tenant}';
export const DEFAULT_MAX_OPEN = 100;
/** A schema-mode template's tenant schema name when `tenants.schema` is not given. */
export const DEFAULT_TENANT_SCHEMA = 'tenant_{tenant}';
type ResolveTenant = (tenant: string, options: DatabaseOptions) => ResolvedDatabase;

/**
 * A database key whose `tenants` option makes it a template: every tenant gets a database of its
 * own, from the template's URL pattern (`{tenant}`), its `database` factory or `attach`'s options.
 */
export class TenantTemplate {
  readonly maxOpen: number;
  /** Milliseconds a tenant waits for a free place among the `maxOpen` before a TenantBusyError. */
  readonly slotTimeout: number;
  readonly list: (() => string[] | Promise<string[]>) | undefined;
  /**
   * The longest tenant key whose database name (or file path) the URL pattern leaves room for:
   * `tenant_{tenant}` on PostgreSQL (63 bytes) allows 56; never more than 63.
   */
  readonly maxKeyLength: number;
  /** `schema`: one schema per tenant on the template's one ORM and pool (see SchemaTenants). */
  readonly mode: 'database' | 'schema';
  /** What each tenant's database is made of by default: driver, pool bounds, replicas (db.stats()). */
  readonly shape: PoolShape;
  readonly #schema: string;
  readonly #database: TenantTemplateOptions['database'];
  readonly #base: DatabaseOptions;

  /** Whether a `databases` entry is a tenant template. */
  static isTemplate(value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { tenants?: unknown }).tenants !== undefined;
  }

  constructor(
    readonly key: string,
    options: DatabaseOptions,
    private readonly resolveTenant: ResolveTenant,
  ) {
    const { tenants, ...base } = options;
    const fail = (reason: string) => new InvalidOptionsError(messages.templateInvalid(key, reason), { key });
    if (key === 'default') throw fail("'default' cannot be a tenant template: use another key");
    if (typeof tenants !== 'object' || tenants === null || Array.isArray(tenants)) {
      throw fail("'tenants' must be an object of tenant options");
    }
    const { maxOpen = DEFAULT_MAX_OPEN, database, list, slotTimeout, mode = 'database', schema } = tenants;
    if (mode !== 'database' && mode !== 'schema') throw fail("'tenants.mode' must be 'database' or 'schema'");
    this.mode = mode;
    this.#schema = schema ?? DEFAULT_TENANT_SCHEMA;
    if (mode === 'schema') assertSchemaMode(base.url, this.#schema, tenants, fail);
    else if (schema !== undefined) throw fail("'tenants.schema' is for mode 'schema' only");
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw fail("'tenants.maxOpen' must be a positive integer");
    if (slotTimeout !== undefined && !isDuration(slotTimeout)) {
      throw fail(`'tenants.slotTimeout' must be ${durationRange()}`);
    }
    if (database !== undefined && typeof database !== 'function') throw fail("'tenants.database' must be a function");
    if (list !== undefined && typeof list !== 'function') throw fail("'tenants.list' must be a function");
    if (options.entitiesOf !== undefined) throw fail("a template cannot take 'entitiesOf'");
    if (options.sharesDatabaseWith !== undefined) {
      throw fail("a template cannot take 'sharesDatabaseWith': its tenants never share a database");
    }
    // in-memory SQLite gives every tenant a database of its own anyway (swapDatabases(…, 'sqlite') in tests)
    const inMemory = /^sqlite(\+[^:]*)?:\/\/(\/:memory:)?$/i.test(base.url.trim());
    if (mode === 'database' && database === undefined && !inMemory && !base.url.includes(TENANT_PLACEHOLDER)) {
      throw fail(`its url must contain ${TENANT_PLACEHOLDER} (or give 'tenants.database')`);
    }
    this.maxOpen = maxOpen;
    this.list = list;
    this.#database = database;
    this.#base = base;
    // a broken URL pattern fails at start-up, not at the first tenant
    const sample = (tenant: string) => this.#merge(tenant, undefined);
    if (base.url.includes(TENANT_PLACEHOLDER)) {
      const [a, b] = [databaseIdentity(sample('a')), databaseIdentity(sample('b'))];
      if (a && b && a.place === b.place) throw fail(messages.templateSelectsNothing(a.engine));
    }
    const { max, limiting } = maxKeyLength(sample, MAX_TENANT_KEY_LENGTH);
    if (max < 1 && limiting) throw fail(messages.templateNameTooLong(limiting));
    this.maxKeyLength = max;
    const typical = sample('tenant');
    this.slotTimeout = slotTimeout ?? typical.acquireTimeout;
    this.shape = poolShapeOf(typical);
  }

  /** Schema mode: the tenant's schema name (`tenants.schema` filled in); the key is checked first. */
  schemaOf(tenant: string): string {
    this.assertTenant(tenant);
    return this.#schema.replaceAll(TENANT_PLACEHOLDER, tenant);
  }

  /** Schema mode: the template's one database (no tenant schema), under the template's own key. */
  shared(): ResolvedDatabase {
    const config = this.resolveTenant('shared', { ...this.#base });
    return { ...config, key: this.key, options: { ...config.options, contextName: this.key } };
  }

  /** Refuses a tenant key outside the safe pattern. */
  assertTenant(tenant: unknown): asserts tenant is string {
    if (typeof tenant !== 'string' || !TENANT_KEY_PATTERN.test(tenant)) {
      throw new InvalidTenantKeyError(this.key, String(tenant));
    }
  }

  /** One tenant's database: the template's options, its factory's result, then `override`, merged in that order. */
  async resolve(tenant: string, override?: TenantDatabase): Promise<ResolvedDatabase> {
    this.assertTenant(tenant);
    const config = this.#merge(tenant, override ?? (await this.#database?.(tenant)));
    this.#assertNames(tenant, config);
    return config;
  }

  /** The names a tenant gives its database must fit the engine and never meet another tenant's by case. */
  #assertNames(tenant: string, config: ResolvedDatabase): void {
    const name = overLimit(config);
    if (name) {
      throw new InvalidTenantKeyError(
        this.key,
        tenant,
        messages.tenantKeyTooLong(this.key, tenant, name, this.maxKeyLength),
      );
    }
    const identity = databaseIdentity(config);
    if (!identity || !foldsCase(identity.engine) || tenant === tenant.toLowerCase()) return;
    // only where the key ends up in the name: a factory may map 'Acme' to a database named otherwise
    if ([identity.database, identity.schema ?? ''].some((n) => n.includes(tenant))) {
      throw new InvalidTenantKeyError(this.key, tenant, messages.tenantKeyCase(this.key, tenant, identity.text));
    }
  }

  #merge(tenant: string, own: TenantDatabase | undefined): ResolvedDatabase {
    const fill = (text: string) => text.replaceAll(TENANT_PLACEHOLDER, tenant);
    if (this.mode === 'schema') {
      if (own !== undefined) throw new InvalidOptionsError(messages.schemaTenantOwnDatabase(this.key, tenant));
      // the tenant's schema stands in for its database: its name is what the limits check
      return this.resolveTenant(tenant, {
        ...this.#base,
        schema: this.#schema.replaceAll(TENANT_PLACEHOLDER, tenant),
      } as DatabaseOptions);
    }
    const url = fill(this.#base.url);
    // a tenant's replicas follow the same pattern: postgresql://reader@replica/tenant_{tenant}
    const replicas = Array.isArray(this.#base.replicas)
      ? { replicas: this.#base.replicas.map((r) => fill(String(r))) }
      : {};
    if (own !== undefined && typeof own !== 'string' && (typeof own !== 'object' || own === null)) {
      throw new InvalidOptionsError(messages.templateInvalid(this.key, `tenant '${tenant}' got ${typeof own} options`));
    }
    const extra = typeof own === 'string' ? { url: own } : (own ?? {});
    return this.resolveTenant(tenant, { ...this.#base, url, ...replicas, ...extra } as DatabaseOptions);
  }
}

/** Schema mode: one database (no `{tenant}` in the URL), a schema pattern with `{tenant}`, a server engine. */
function assertSchemaMode(
  url: string,
  schema: string,
  tenants: TenantTemplateOptions,
  fail: (reason: string) => Error,
): void {
  if (typeof schema !== 'string' || !schema.includes(TENANT_PLACEHOLDER)) {
    throw fail(`'tenants.schema' must contain ${TENANT_PLACEHOLDER}, e.g. 'tenant_{tenant}'`);
  }
  if (!/^[A-Za-z0-9_{}]+$/.test(schema)) throw fail("'tenants.schema' may hold only letters, digits, '_' and {tenant}");
  if (url.includes(TENANT_PLACEHOLDER)) {
    throw fail(`mode 'schema' keeps every tenant in one database: its url must not contain ${TENANT_PLACEHOLDER}`);
  }
  if (/^sqlite/i.test(url.trim()))
    throw fail("mode 'schema' needs PostgreSQL, MySQL or MariaDB (SQLite has no schemas)");
  if (tenants.database !== undefined) throw fail("mode 'schema' takes no 'tenants.database' factory");
}
