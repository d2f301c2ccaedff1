import type { IMigrator, MikroORM } from '@mikro-orm/core';
import type { SchemaTenants } from './schema-tenants.js';
import type { TenantDatabases } from './tenant-databases.js';

/** Dropping a tenant's schema deletes its rows: the caller names the tenant a second time. */
export interface DropTenantOptions {
  /** Must equal the tenant key. */
  confirm: string;
}

/** What `DbService.tenants` offers over schema-mode templates (the only one when `template` is not named). */
export interface SchemaTenantAdmin {
  /**
   * Creates a tenant's schema (on MySQL/MariaDB: database) if missing, attaches the tenant and
   * brings its tables up to date: the template's migrations (`<directory>/<template>/`, with a
   * history table in the tenant's schema) when it has any, else the entities' missing tables.
   * Returns the migrations applied.
   */
  create(tenant: string, template?: string): Promise<string[]>;
  /** Drops a tenant's schema and its rows, then detaches it: `{ confirm: tenant }` is required. */
  drop(tenant: string, options: DropTenantOptions, template?: string): Promise<void>;
  /** The attached tenants. */
  list(template?: string): string[];
}

export function schemaTenantAdmin(tenants: TenantDatabases): SchemaTenantAdmin {
  return {
    create: async (tenant, template) =>
      createTenantSchema(tenants.schemaTenants(template, 'db.tenants.create'), tenant),
    drop: async (tenant, options, template) => tenants.schemaTenants(template, 'db.tenants.drop').drop(tenant, options),
    list: (template) => tenants.schemaTenants(template, 'db.tenants.list').list(),
  };
}

/** See SchemaTenantAdmin.create. */
export async function createTenantSchema(tenants: SchemaTenants, tenant: string): Promise<string[]> {
  const schema = tenants.schemaOf(tenant);
  if (!tenants.has(tenant)) await tenants.attach(tenant);
  const { orm, config } = tenants.database();
  const sql =
    config.driver === 'postgresql'
      ? `create schema if not exists "${schema}"`
      : `create database if not exists \`${schema}\``;
  return tenants.provision(async () => {
    await tenants.connect();
    await orm.driver.getConnection().execute(sql);
    return migrateTenantSchema(orm, schema);
  });
}

/** Applies the template's pending migrations in one tenant's schema, or creates its missing tables when it has none. */
export async function migrateTenantSchema(orm: MikroORM, schema: string, to?: string): Promise<string[]> {
  const migrator = schemaMigrator(orm);
  if (migrator) {
    // one after the other: each creates the schema's history table when it is missing
    const executed = await migrator.getExecuted({ schema });
    const pending = await migrator.getPending({ schema });
    if (executed.length + pending.length > 0) {
      const applied = await migrator.up({ schema, ...(to ? { to } : {}) });
      return applied.map((m) => m.name);
    }
  }
  await orm.schema.update({ safe: true, dropTables: false, schema });
  return [];
}

/**
 * A Migrator of its own for one schema's run: MikroORM's Migrator keeps the schema it runs in on the
 * instance (`setRunSchema`), so tenants migrated at once through `orm.migrator` would run in each
 * other's schemas. Undefined when `@mikro-orm/migrations` is not installed.
 */
export function schemaMigrator(orm: MikroORM): IMigrator | undefined {
  let shared: IMigrator;
  try {
    shared = orm.migrator;
  } catch {
    return undefined; // @mikro-orm/migrations not installed: tables from the entities
  }
  const Migrator = shared.constructor as new (em: MikroORM['em']) => IMigrator;
  return new Migrator(orm.em);
}
