import type { TenantDatabase } from '../multi-db.options.js';
import { type SchemaTenantAdmin, schemaTenantAdmin } from './schema-provisioning.js';
import type { TenantDatabases } from './tenant-databases.js';
import type { TenantStats } from './tenant-registry.js';

/**
 * DbService's tenant members: attaching, selecting and provisioning tenants of the tenant
 * templates. A base class of DbService, so that the service stays one injectable with one surface.
 */
export abstract class TenantMembers {
  protected constructor(protected readonly tenantDatabases: TenantDatabases) {}

  /** Runs `fn` in one fresh request context over all databases. */
  protected abstract runInFreshContext<T>(fn: () => T): T;

  /** The tenant templates: keys whose `tenants` option gives each tenant a database of its own. */
  get tenantTemplates(): string[] {
    return this.tenantDatabases.templates;
  }

  /**
   * Attaches a tenant (its key: letters, digits, `_`, `-`) to a template (the only one when not named):
   * its database comes from the template's URL pattern, its `tenants.database` factory, or `database`.
   * Nothing is opened until the tenant is used.
   */
  attach(tenant: string, database?: TenantDatabase, template?: string): Promise<void> {
    return this.tenantDatabases.attach(tenant, database, template);
  }

  /** Forgets a tenant; its ORM closes once no request uses it. */
  detach(tenant: string, template?: string): Promise<void> {
    return this.tenantDatabases.registry(template).detach(tenant);
  }

  /** Whether a tenant is attached. */
  has(tenant: string, template?: string): boolean {
    return this.tenantDatabases.registry(template).has(tenant);
  }

  /** The attached tenants. */
  listTenants(template?: string): string[] {
    return this.tenantDatabases.registry(template).list();
  }

  /** How many tenant ORMs are attached, open and in use (and the most ever open at once). */
  tenantStats(template?: string): TenantStats {
    return this.tenantDatabases.stats(template);
  }

  /**
   * The longest tenant key the template's URL pattern leaves room for: the engine's limit on the
   * filled-in name (PostgreSQL 63 bytes, MySQL/MariaDB 64 characters, file names 255 bytes) less the
   * rest of the name; never more than 63 (`TENANT_KEY_PATTERN`). `tenant_{tenant}` on PostgreSQL: 56.
   */
  maxTenantKeyLength(template?: string): number {
    return this.tenantDatabases.registry(template).template.maxKeyLength;
  }

  /** Schema-mode tenants (`tenants: { mode: 'schema' }`): `create` (schema + migrations), `drop` (guarded), `list`. */
  get tenants(): SchemaTenantAdmin {
    return schemaTenantAdmin(this.tenantDatabases);
  }

  /** The tenant selected for the code running now (request or `runForTenant`), if any. */
  get currentTenant(): string | undefined {
    return this.tenantDatabases.current;
  }

  /** For a schema-mode template: the current tenant's schema (migrations run there); else undefined. */
  tenantSchema(key: string): string | undefined {
    return this.tenantDatabases.currentSchema(key);
  }

  /** Runs `fn` for one tenant, in a fresh request context: `em('<template>')` and repositories use its databases. */
  runForTenant<T>(tenant: string, fn: () => T | Promise<T>): Promise<T> {
    return this.tenantDatabases.runFor(tenant, () => this.runInFreshContext(fn));
  }
}
