import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { InvalidOptionsError, InvalidTenantKeyError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { DatabaseOptions, TenantDatabase, TenantTemplateOptions } from '../multi-db.options.js';

/** Letters, digits, `_` and `-`: a tenant key ends up in file paths and database names. */
export const TENANT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** Replaced by the tenant key in a template's URL. */
export const TENANT_PLACEHOLDER = '{tenant}';
export const DEFAULT_MAX_OPEN = 100;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= MAX_TIMER_MS;
}

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
    const { maxOpen = DEFAULT_MAX_OPEN, database, list, slotTimeout } = tenants;
    if (!Number.isInteger(maxOpen) || maxOpen < 1) throw fail("'tenants.maxOpen' must be a positive integer");
    if (slotTimeout !== undefined && !isTimeout(slotTimeout)) {
      throw fail(`'tenants.slotTimeout' must be a number of milliseconds from 1 to ${MAX_TIMER_MS}`);
    }
    if (database !== undefined && typeof database !== 'function') throw fail("'tenants.database' must be a function");
    if (list !== undefined && typeof list !== 'function') throw fail("'tenants.list' must be a function");
    if (options.entitiesOf !== undefined) throw fail("a template cannot take 'entitiesOf'");
    // in-memory SQLite gives every tenant a database of its own anyway (swapDatabases(…, 'sqlite') in tests)
    const inMemory = /^sqlite(\+[^:]*)?:\/\/(\/:memory:)?$/i.test(base.url.trim());
    if (database === undefined && !inMemory && !base.url.includes(TENANT_PLACEHOLDER)) {
      throw fail(`its url must contain ${TENANT_PLACEHOLDER} (or give 'tenants.database')`);
    }
    this.maxOpen = maxOpen;
    this.list = list;
    this.#database = database;
    this.#base = base;
    // a broken URL pattern fails at start-up, not at the first tenant
    const probe = this.#merge('tenant', undefined);
    this.slotTimeout = slotTimeout ?? probe.acquireTimeout;
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
    return this.#merge(tenant, override ?? (await this.#database?.(tenant)));
  }

  #merge(tenant: string, own: TenantDatabase | undefined): ResolvedDatabase {
    const fill = (text: string) => text.replaceAll(TENANT_PLACEHOLDER, tenant);
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
