import { sep } from 'node:path';
import { sqliteFileOf } from './database-url.js';
import type { ResolvedDatabase } from './resolve-databases.js';

/** A name a database's configuration hands to the server or the file system, and the longest it may be. */
export interface Identifier {
  /** `database name`, `schema`, `file name`, `path`, `replica 1 database name`… */
  what: string;
  value: string;
  size: number;
  limit: number;
  unit: 'bytes' | 'characters';
  /** The limit in words: `PostgreSQL's limit of 63 bytes for names`. */
  rule: string;
  /** What happens past it: `PostgreSQL silently cuts longer names short, …`. */
  consequence: string;
}

/** PostgreSQL's NAMEDATALEN - 1. */
export const POSTGRES_NAME_BYTES = 63;
/** MySQL/MariaDB's NAME_CHAR_LEN for database names. */
export const MYSQL_NAME_CHARS = 64;
/** NAME_MAX of Linux, macOS and Windows file systems. */
export const FILE_NAME_BYTES = 255;
/** PATH_MAX (4096) less its terminating NUL. */
export const PATH_BYTES = 4095;
/** SQLite writes `<file>-journal` (and `-wal`, `-shm`) next to the database file. */
const SQLITE_SUFFIX_BYTES = '-journal'.length;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
/** MySQL/MariaDB store a database as a folder, every character but letters, digits and `_` as `@XXXX`. */
const folderBytes = (name: string): number => [...name].reduce((n, c) => n + (/^[A-Za-z0-9_]$/.test(c) ? 1 : 5), 0);

const PG_RULE = `PostgreSQL's limit of ${POSTGRES_NAME_BYTES} bytes for names`;
const PG_CUT =
  'PostgreSQL silently cuts longer names short, so two names that start alike would be one database or schema';
const MYSQL_REFUSES = 'MySQL/MariaDB refuses such a database';

/** Every length-limited name a resolved configuration uses (none for in-memory SQLite). */
export function identifiersOf(config: Pick<ResolvedDatabase, 'driver' | 'options'>): Identifier[] {
  const { options } = config;
  if (config.driver === 'sqlite') {
    const file = sqliteFileOf(String(options.dbName ?? ''));
    return file === undefined ? [] : sqliteNames(file);
  }
  const names: Array<[string, unknown]> = [['database name', options.dbName]];
  if (typeof options.schema === 'string') names.push(['schema', options.schema]);
  const replicas = Array.isArray(options.replicas) ? (options.replicas as Array<{ dbName?: unknown }>) : [];
  for (const [i, r] of replicas.entries()) names.push([`replica ${i + 1} database name`, r.dbName]);
  return names.flatMap(([what, value]) => serverNames(config.driver === 'postgresql', what, String(value ?? '')));
}

/** The first name of a configuration that is longer than its engine allows. */
export function overLimit(config: Pick<ResolvedDatabase, 'driver' | 'options'>): Identifier | undefined {
  return identifiersOf(config).find((id) => id.size > id.limit);
}

/**
 * The longest tenant key (of letters and digits) a URL pattern leaves room for: `sample(tenant)`
 * fills the pattern in; each name grows by one unit per character for every `{tenant}` it holds.
 * `cap` when no name holds the tenant; below 1 when even a one-character key is too long.
 */
export function maxKeyLength(
  sample: (tenant: string) => Pick<ResolvedDatabase, 'driver' | 'options'>,
  cap: number,
): { max: number; limiting: Identifier | undefined } {
  const one = identifiersOf(sample('a'));
  const two = identifiersOf(sample('aa'));
  let max = cap;
  let limiting: Identifier | undefined;
  one.forEach((id, i) => {
    const growth = (two[i]?.size ?? id.size) - id.size;
    const room = growth > 0 ? Math.floor((id.limit - (id.size - growth)) / growth) : id.size > id.limit ? 0 : cap;
    if (room < max) [max, limiting] = [room, id];
  });
  return { max, limiting };
}

function serverNames(postgres: boolean, what: string, value: string): Identifier[] {
  if (postgres) {
    return [
      {
        what,
        value,
        size: bytes(value),
        limit: POSTGRES_NAME_BYTES,
        unit: 'bytes',
        rule: PG_RULE,
        consequence: PG_CUT,
      },
    ];
  }
  return [
    {
      what,
      value,
      size: [...value].length,
      limit: MYSQL_NAME_CHARS,
      unit: 'characters',
      rule: `MySQL/MariaDB's limit of ${MYSQL_NAME_CHARS} characters for names`,
      consequence: MYSQL_REFUSES,
    },
    {
      what: `${what} as a folder on the server`,
      value,
      size: folderBytes(value),
      limit: FILE_NAME_BYTES,
      unit: 'bytes',
      rule: `the server's ${FILE_NAME_BYTES}-byte limit for file names (MySQL/MariaDB store each character other than letters, digits and '_' as 5 bytes: '-' is '@002d')`,
      consequence: MYSQL_REFUSES,
    },
  ];
}

function sqliteNames(path: string): Identifier[] {
  const parts = path.split(sep).filter((p) => p !== '');
  const file = parts.length - 1;
  const cannot = 'the file could not be created or opened';
  const room = `less ${SQLITE_SUFFIX_BYTES} for SQLite's '-journal' file next to it`;
  return [
    {
      what: 'path',
      value: path,
      size: bytes(path),
      limit: PATH_BYTES - SQLITE_SUFFIX_BYTES,
      unit: 'bytes',
      rule: `the ${PATH_BYTES + 1}-byte path limit (PATH_MAX, with its final NUL) ${room}`,
      consequence: cannot,
    },
    ...parts.map(
      (part, i): Identifier => ({
        what: i === file ? 'file name' : 'folder name',
        value: part,
        size: bytes(part),
        limit: i === file ? FILE_NAME_BYTES - SQLITE_SUFFIX_BYTES : FILE_NAME_BYTES,
        unit: 'bytes',
        rule:
          i === file
            ? `the ${FILE_NAME_BYTES}-byte limit for file names ${room}`
            : `the ${FILE_NAME_BYTES}-byte limit for file names`,
        consequence: cannot,
      }),
    ),
  ];
}
