import { createHash } from 'node:crypto';

/** Every global transaction id we create starts with this. */
export const GLOBAL_ID_PREFIX = 'multidb';

/**
 * One database's share of a two-phase transaction, named `multidb.<log tag>.<log row id>.<key>`.
 * The tag (a hash of the coordinator database and table) keeps apps that share a database server
 * apart: recovery only ever touches transactions of its own coordinator log.
 */
export interface GlobalId {
  readonly tag: string;
  readonly id: number;
  readonly key: string;
}

/** The tag of a coordinator log: 8 hex digits of its database and table names. */
export function logTag(database: string, table: string): string {
  return createHash('sha256').update(`${database}/${table}`).digest('hex').slice(0, 8);
}

/** PostgreSQL's gid, and how global ids are shown. */
export function formatGlobalId({ tag, id, key }: GlobalId): string {
  return `${transactionPrefix(tag)}${id}.${key}`;
}

/** The part shared by all global ids of one coordinator log (MySQL's XA `gtrid` is it plus the row id). */
export function transactionPrefix(tag: string): string {
  return `${GLOBAL_ID_PREFIX}.${tag}.`;
}

/** MySQL/MariaDB `xid`: gtrid `multidb.<tag>.<id>`, bqual `<key>`. */
export function xaId({ tag, id, key }: GlobalId): string {
  return `'${transactionPrefix(tag)}${id}','${key}'`;
}

/** Reads a global id of this tag back (undefined for anyone else's transactions). */
export function parseGlobalId(text: string, tag: string): GlobalId | undefined {
  const prefix = transactionPrefix(tag);
  if (!text.startsWith(prefix)) return undefined;
  const match = /^(\d+)\.([A-Za-z][A-Za-z0-9_-]*)$/.exec(text.slice(prefix.length));
  if (!match) return undefined;
  return { tag, id: Number(match[1]), key: match[2] as string };
}
