import { isAbsolute, resolve } from 'node:path';
import { MalformedUrlError, UnsupportedSchemeError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import {
  defaultPort,
  type HostAddress,
  type HostList,
  splitHostList,
  TARGET_PARAMS,
  targetOption,
} from './host-list.js';
import { hiddenPassword, isSecretName, maskUrl } from './mask.js';

/** The driver families a URL can select. */
export type DriverName = 'postgresql' | 'mysql' | 'mariadb' | 'sqlite';

const SCHEMES: Readonly<Record<string, DriverName>> = {
  postgresql: 'postgresql',
  postgres: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mariadb',
  sqlite: 'sqlite',
};
const SUPPORTED = ['postgresql://', 'postgres://', 'mysql://', 'mariadb://', 'sqlite://', '<scheme>+<anything>://'];
export const SQLITE_MEMORY = ':memory:';

/** The file a SQLite `dbName` opens (relative: from the cwd, as SQLite reads it); none for memory or a `file:` URI. */
export const sqliteFileOf = (dbName: unknown): string | undefined =>
  typeof dbName !== 'string' || dbName === '' || dbName === SQLITE_MEMORY || dbName.startsWith('file:')
    ? undefined
    : resolve(dbName);

/** What a database URL says, as MikroORM connection options. */
export interface ParsedDatabaseUrl {
  /** The MikroORM driver the scheme picks. */
  driver: DriverName;
  /** The URL with its password masked, safe for messages and logs. */
  maskedUrl: string;
  /** The password, so that it can be scrubbed from driver messages. */
  password: string | undefined;
  /** Values of secret query parameters (`sslpassword`, `access_token`, `api_key`, …), scrubbed the same way. */
  secrets: string[];
  /** Connection options for MikroORM (`host`, `port`, `user`, `password`, `dbName`, `schema`, `driverOptions`). */
  options: Record<string, unknown>;
  /** For a SQLite file: its absolute path (the folder is created before start-up). */
  sqliteFile: string | undefined;
  /** Several hosts (`db1:5432,db2:5432`), or a `targetSessionAttrs` other than `any`: the failover list. */
  hostList?: HostList | undefined;
}

/**
 * Parses a SQLAlchemy-style database URL. The scheme picks the driver (`+suffix` is ignored),
 * SQLite paths follow SQLAlchemy (three slashes: relative to `rootPath`, four: absolute), and the
 * query string passes through: `schema` to MikroORM, everything else to the driver's options.
 */
export function parseDatabaseUrl(key: string, url: string, rootPath: string): ParsedDatabaseUrl {
  const maskedUrl = maskUrl(url);
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url.trim());
  if (!match) {
    throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, "it does not start with 'scheme://'"), { key });
  }
  const scheme = (match[1] as string).toLowerCase();
  const driver = SCHEMES[scheme.split('+')[0] as string];
  if (!driver) {
    throw new UnsupportedSchemeError(messages.unsupportedScheme(key, maskedUrl, scheme, SUPPORTED), { key });
  }
  const rest = match[2] as string;
  return driver === 'sqlite'
    ? parseSqlite(key, rest, maskedUrl, rootPath)
    : parseServer(key, driver, `${scheme}://${rest}`, maskedUrl);
}

/** Connection options that, given next to a URL, win over what it says of where the database is. */
const LOCATION_OPTIONS = ['host', 'port', 'user', 'dbName', 'schema'] as const;

/** A URL next to explicit options, which win: its masked form naming those that differ, and the SQLite file opened. */
export function withExplicitOptions(
  parsed: ParsedDatabaseUrl,
  explicit: Record<string, unknown>,
): Pick<ParsedDatabaseUrl, 'maskedUrl' | 'sqliteFile'> {
  const differ = LOCATION_OPTIONS.filter(
    (name) => explicit[name] !== undefined && explicit[name] !== parsed.options[name],
  );
  if (differ.length === 0) return parsed;
  const shown = differ.map((name) => `${name} ${String(explicit[name])}`).join(', ');
  const sqliteFile =
    parsed.driver !== 'sqlite' || explicit.dbName === undefined ? parsed.sqliteFile : sqliteFileOf(explicit.dbName);
  return { maskedUrl: `${parsed.maskedUrl} (overridden: ${shown})`, sqliteFile };
}

function parseSqlite(key: string, rest: string, maskedUrl: string, rootPath: string): ParsedDatabaseUrl {
  const [pathPart = '', query = ''] = rest.split('?', 2);
  if (pathPart !== '' && !pathPart.startsWith('/')) {
    const reason =
      "a SQLite URL has no host: use 'sqlite:///relative/file.db', 'sqlite:////absolute/file.db' or 'sqlite://' for memory";
    throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, reason), { key });
  }
  const path = decode(key, maskedUrl, pathPart.slice(1), 'the file path');
  const inMemory = path === '' || path === SQLITE_MEMORY;
  const file = inMemory ? undefined : isAbsolute(path) ? path : resolve(rootPath, path);
  const params = new URLSearchParams(query);
  for (const name of TARGET_PARAMS) targetOption(key, 'sqlite', params.get(name) ?? undefined);
  return {
    driver: 'sqlite',
    maskedUrl,
    password: undefined,
    secrets: secretValues(params),
    options: { dbName: file ?? SQLITE_MEMORY, ...queryOptions(params) },
    sqliteFile: file,
  };
}

function parseServer(key: string, driver: DriverName, given: string, maskedUrl: string): ParsedDatabaseUrl {
  const { url, hosts } = splitHostList(key, driver, given, maskedUrl);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, 'it cannot be parsed'), { key });
  }
  if (!parsed.hostname) {
    throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, 'it names no host'), { key });
  }
  const dbName = decode(key, maskedUrl, parsed.pathname.replace(/^\//, ''), 'the database name');
  if (!dbName || dbName.includes('/')) {
    throw new MalformedUrlError(
      messages.malformedUrl(key, maskedUrl, 'it names no database (the path after the host)'),
      { key },
    );
  }
  if (parsed.port && !/^\d+$/.test(parsed.port)) {
    throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, `port '${parsed.port}' is not a number`), {
      key,
    });
  }
  const password = parsed.password ? decode(key, maskedUrl, parsed.password, 'the password') : undefined;
  assertMaskAgrees(key, given, maskedUrl, parsed.password, [parsed.hostname, dbName, parsed.search]);
  const options: Record<string, unknown> = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    dbName,
    ...queryOptions(parsed.searchParams),
  };
  if (parsed.port) options.port = Number(parsed.port);
  if (parsed.username) options.user = decode(key, maskedUrl, parsed.username, 'the user name');
  if (password !== undefined) options.password = password;
  const first: HostAddress = { host: options.host as string, port: Number(parsed.port || 0) };
  const hostList = withTarget(key, driver, hosts, first, parsed.searchParams);
  if (hostList) {
    options.host = hostList.hosts[0]?.host;
    options.port = hostList.hosts[0]?.port;
  }
  return {
    driver,
    maskedUrl,
    password,
    secrets: secretValues(parsed.searchParams),
    options,
    sqliteFile: undefined,
    hostList,
  };
}

/** The failover list: several hosts, or one host with a `targetSessionAttrs` that must be checked. */
function withTarget(
  key: string,
  driver: DriverName,
  hosts: HostAddress[] | undefined,
  first: HostAddress,
  params: URLSearchParams,
): HostList | undefined {
  const given = TARGET_PARAMS.map((name) => params.get(name)).find((v) => v !== null);
  const target = targetOption(key, driver, given ?? undefined) ?? 'any';
  if (hosts === undefined && target === 'any') return undefined;
  const port = first.port || defaultPort(driver);
  return { hosts: hosts ?? [{ host: first.host, port }], target };
}

/** Percent-decodes one part of a URL; a broken escape (`%zz`) is the user's to fix, not a crash. */
function decode(key: string, maskedUrl: string, part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new MalformedUrlError(
      messages.malformedUrl(key, maskedUrl, `${what} has an invalid %-escape (write % as %25)`),
      { key },
    );
  }
}

/** `schema` is MikroORM's own option; every other parameter goes to the driver, numbers and booleans typed. */
function queryOptions(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const driverOptions: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if ((TARGET_PARAMS as readonly string[]).includes(name)) continue; // ours: the host list's target
    if (name === 'schema') out.schema = value;
    else driverOptions[name] = coerce(value);
  }
  if (Object.keys(driverOptions).length > 0) out.driverOptions = driverOptions;
  return out;
}

/** The values of secret parameters (booleans aside: scrubbing every 'true' would only garble messages). */
function secretValues(params: URLSearchParams): string[] {
  const out: string[] = [];
  for (const [name, value] of params) {
    if (isSecretName(name) && value !== '' && value !== 'true' && value !== 'false') out.push(value);
  }
  return out;
}

function coerce(value: string): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/**
 * A `/`, `?` or `#` left unescaped in a user name or password ends the URL's host part early:
 * the parser then reads the rest of the password as host, database name or query, which messages
 * quote, while the masked URL hides it. Refused, so what the mask hides never reaches a message.
 */
function assertMaskAgrees(
  key: string,
  url: string,
  maskedUrl: string,
  password: string,
  parts: readonly string[],
): void {
  const hidden = hiddenPassword(url)?.password;
  // the parser found the password the mask hides: they agree (even if the database has its name)
  if (
    !hidden ||
    hidden === password ||
    !parts.some((part) => part.includes(hidden) || safeDecode(part).includes(hidden))
  )
    return;
  const reason =
    "a '/', '?' or '#' in its user name or password ends the host part early: percent-encode them (%2F, %3F, %23)";
  throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, reason), { key });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
