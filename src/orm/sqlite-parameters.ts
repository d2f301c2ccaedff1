import { isRaw, Utils } from '@mikro-orm/core';

/** A query as SQLite receives it with its values bound: `sql` with `?` placeholders, one value each. */
export interface BoundQuery {
  readonly sql: string;
  readonly values: unknown[];
}

/**
 * At most this many values are bound; a longer query (a large batch insert) keeps its literals.
 * SQLite's oldest limit on parameters, so no build of it refuses a query this sends.
 */
export const MAX_BOUND_VALUES = 999;

/**
 * What makes a template other than plain, where a `?` might not be one value: string literals and
 * quoted identifiers (`'`, `"`), escapes (`\?`, which MikroORM turns into a literal `?`), SQLite's
 * named and numbered parameters (`$a`, `:a`, `@a`, `?1`), identifier placeholders (`??`), comments.
 */
const NOT_PLAIN = /['"\\$:@]|--|\/\*|\?[?\d]/;

const INT64_LIMIT = 2 ** 63;
const UNBOUND = Symbol('unbound');

/**
 * `query` with `params` bound instead of written into its text, when that gives SQLite the very
 * statement MikroORM's literals give it (MikroORM 7.2.1 inlines every value, SqlitePlatform's
 * `quoteValue`/`escape`): a plain template whose every `?` is one value, and values whose SQLite
 * type the binding keeps (an integer binds as an INTEGER, as its literal reads). Undefined for
 * anything else, which then runs as MikroORM writes it: a template with quotes, comments or
 * identifier placeholders, raw fragments, arrays, objects that are not plain, NaN, Infinity.
 */
export function bindParameters(query: unknown, params: unknown): BoundQuery | undefined {
  if (typeof query !== 'string' || !Array.isArray(params)) return undefined;
  if (params.length === 0 || params.length > MAX_BOUND_VALUES || NOT_PLAIN.test(query)) return undefined;
  let placeholders = 0;
  for (let at = query.indexOf('?'); at !== -1; at = query.indexOf('?', at + 1)) placeholders++;
  if (placeholders !== params.length) return undefined;
  const values = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    const value = sqliteValue(params[i]);
    if (value === UNBOUND) return undefined;
    values[i] = value;
  }
  return { sql: query, values };
}

/** The value better-sqlite3 binds for the SQL value MikroORM's literal of `value` stands for; UNBOUND when none does exactly. */
function sqliteValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      // the literal `5` is an INTEGER, a bound JS number a REAL (`5 / 2` is 2, `5.0 / 2` is 2.5);
      // integers past int64 and non-integers are REALs either way; NaN and Infinity are identifiers
      if (Number.isInteger(value) && Math.abs(value) < INT64_LIMIT) return BigInt(value);
      return Number.isFinite(value) ? value : UNBOUND;
    case 'bigint':
      return value >= -(2n ** 63n) && value < 2n ** 63n ? value : UNBOUND;
    case 'boolean':
      return value ? 1n : 0n; // SQLite's `true` and `false` are the integers 1 and 0
    case 'undefined':
      return null;
    case 'object':
      return objectValue(value);
    default:
      return UNBOUND;
  }
}

function objectValue(value: object | null): unknown {
  if (value === null) return null;
  if (value instanceof Date) {
    const ms = value.getTime(); // SqlitePlatform writes a Date as its epoch milliseconds
    return Number.isFinite(ms) ? BigInt(ms) : UNBOUND;
  }
  if (Buffer.isBuffer(value)) return value; // X'…', a BLOB
  if (!isRaw(value) && Utils.isPlainObject(value)) return JSON.stringify(value); // quoteValue: JSON text
  return UNBOUND;
}
