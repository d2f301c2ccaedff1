/**
 * Entities without decorators (EntitySchema), so plain JavaScript works. Each call returns a new
 * schema object: the compared sides never share metadata, only the table they read.
 */
import { EntitySchema } from '@mikro-orm/core';
import { multidb } from './multidb.mjs';

/**
 * A small table: integer primary key, two strings, an integer and a timestamp.
 * @param {{ name?: string, tableName?: string, database?: string }} [options] `database`: the
 *   nestjs-multidb key it lives in (default: 'default')
 */
export function itemSchema({ name = 'Item', tableName = 'items', database } = {}) {
  const schema = new EntitySchema({
    name,
    tableName,
    properties: {
      id: { type: 'integer', primary: true },
      sku: { type: 'string', length: 32 },
      title: { type: 'string' },
      price: { type: 'integer' },
      createdAt: { type: 'datetime' },
    },
  });
  return database ? multidb.inDatabase(database, schema) : schema;
}

/**
 * `count` rows with ids 1..count, the same for every run.
 * @param {number} count
 */
export function itemRows(count) {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    sku: `SKU-${String(i + 1).padStart(6, '0')}`,
    title: `Item number ${i + 1}`,
    price: ((i * 7919) % 10_000) + 1,
    createdAt: new Date(base + i * 60_000),
  }));
}

/**
 * Ids 1..rows in a scrambled but fixed order, so consecutive ops read different rows.
 * @param {number} i
 * @param {number} rows
 */
export const idAt = (i, rows) => ((i * 7919) % rows) + 1;

/**
 * Plain object of an item, for HTTP responses (no serializer differences between the apps).
 * @param {any} item
 */
export const plainItem = (item) => (item ? { id: item.id, sku: item.sku, title: item.title, price: item.price } : null);
