import type { MikroORM } from '@mikro-orm/core';

/**
 * Creates what is missing and keeps what exists, like SQLAlchemy's `create_all`: `create()` fails
 * on existing tables, and `update()` by default drops tables it does not know; safe mode does neither.
 */
export async function createSchema(orm: MikroORM, schema?: string): Promise<void> {
  await orm.schema.update({ safe: true, dropTables: false, ...(schema ? { schema } : {}) });
}

/** Brings existing tables in line with the entities; never drops a table it does not own. */
export async function updateSchema(orm: MikroORM, schema?: string): Promise<void> {
  await orm.schema.update({ dropTables: false, ...(schema ? { schema } : {}) });
}

/**
 * Drops the registered entities' tables and nothing else: MikroORM's drop SQL on PostgreSQL also
 * drops every native enum type it finds in the schema, so keep only the enums our entities use.
 */
export async function dropSchema(orm: MikroORM, schema?: string): Promise<void> {
  const ownEnums = new Set<string>();
  for (const meta of orm.getMetadata()) {
    for (const prop of Object.values(meta.properties)) {
      if (prop.nativeEnumName) ownEnums.add(prop.nativeEnumName);
    }
  }
  const sql = await orm.schema.getDropSchemaSQL({ dropMigrationsTable: false, ...(schema ? { schema } : {}) });
  const kept = sql
    .split('\n')
    .filter((line) => !/^drop type\b/i.test(line) || [...ownEnums].some((name) => line.includes(`"${name}"`)));
  await orm.schema.execute(kept.join('\n'));
}
