import { InvalidOptionsError, MalformedUrlError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { DriverName, ParsedDatabaseUrl } from './database-url.js';

/**
 * Which server of a host list a new connection keeps, libpq's `target_session_attrs`: `any` (the
 * first that answers), `read-write` (`transaction_read_only` is off), `read-only` (it is on),
 * `primary` (not in recovery), `standby` (in recovery), `prefer-standby` (a standby if one answers,
 * else any). MySQL and MariaDB take `any` only: the first server that answers and, in a Galera
 * cluster, is synced (`wsrep_ready` ON, `wsrep_local_state` 4).
 */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

export const TARGET_SESSION_ATTRS: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
];

/** One server of a host list. */
export interface HostAddress {
  /** Host name or address. */
  host: string;
  /** Port (the engine's default filled in). */
  port: number;
}

/** The servers a connection may use, in order, and which one it keeps. */
export interface HostList {
  /** The servers, in the order a new connection tries them. */
  hosts: HostAddress[];
  /** Which server a connection keeps. */
  target: TargetSessionAttrs;
}

const DEFAULT_PORTS: Readonly<Record<DriverName, number>> = { postgresql: 5432, mysql: 3306, mariadb: 3306, sqlite: 0 };
/** The URL query parameter, in our spelling and libpq's. */
export const TARGET_PARAMS = ['targetSessionAttrs', 'target_session_attrs'] as const;

/** `db1:5432` (`[::1]:5432` for IPv6): how a host appears in messages (it carries no secret). */
export function describeHost(address: HostAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Splits the authority of a server URL (`user:pw@db1:5432,db2:5432`) into its user info and its
 * hosts. Returns the URL rewritten with the first host only (for the WHATWG URL parser, which
 * refuses host lists) and the list itself when there is more than one host.
 */
export function splitHostList(
  key: string,
  driver: DriverName,
  url: string,
  maskedUrl: string,
): { url: string; hosts: HostAddress[] | undefined } {
  const start = url.indexOf('://') + 3;
  const end = firstOf(url, ['/', '?', '#'], start);
  const authority = url.slice(start, end);
  const at = authority.lastIndexOf('@');
  const hostPart = authority.slice(at + 1);
  if (!hostPart.includes(',')) return { url, hosts: undefined };
  const hosts = hostPart.split(',').map((entry, index) =>
    parseHost(driver, entry, index, (reason) => {
      throw new MalformedUrlError(messages.malformedUrl(key, maskedUrl, reason), { key });
    }),
  );
  assertDistinct(hosts, (reason) => new MalformedUrlError(messages.malformedUrl(key, maskedUrl, reason), { key }));
  const first = hostPart.split(',')[0] as string;
  return { url: `${url.slice(0, start)}${authority.slice(0, at + 1)}${first}${url.slice(end)}`, hosts };
}

/**
 * The `hosts` option (`['db1:5432', { host: 'db2', port: 5432 }]`), checked: a non-empty array of
 * `host[:port]` strings or `{ host, port? }` objects, no host twice.
 */
export function hostsOption(key: string, driver: DriverName, value: unknown): HostAddress[] {
  const fail = (reason: string): never => {
    throw new InvalidOptionsError(messages.hostsOptionInvalid(key, reason), { key });
  };
  if (driver === 'sqlite') fail('a SQLite database has no server, so it takes no host list');
  if (!Array.isArray(value) || value.length === 0) fail("give a non-empty array such as ['db1:5432', 'db2:5432']");
  const hosts = (value as unknown[]).map((entry, index) => {
    if (typeof entry === 'string') return parseHost(driver, entry, index, fail);
    if (typeof entry === 'object' && entry !== null && typeof (entry as { host?: unknown }).host === 'string') {
      const { host, port, ...rest } = entry as { host: string; port?: unknown };
      if (Object.keys(rest).length > 0) fail(`host ${index + 1} has unknown fields (${Object.keys(rest).join(', ')})`);
      if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)) {
        fail(`the port of host ${index + 1} must be an integer from 1 to 65535`);
      }
      return parseHost(driver, port === undefined ? host : `${bracket(host)}:${port}`, index, fail);
    }
    return fail(`host ${index + 1} must be a 'host:port' string or a { host, port } object`);
  });
  assertDistinct(hosts, (reason) => new InvalidOptionsError(messages.hostsOptionInvalid(key, reason), { key }));
  return hosts;
}

/** `targetSessionAttrs`, from the URL or the options: one of TARGET_SESSION_ATTRS, `any` only for MySQL/MariaDB. */
export function targetOption(key: string, driver: DriverName, value: unknown): TargetSessionAttrs | undefined {
  if (value === undefined) return undefined;
  if (driver === 'sqlite') {
    throw new InvalidOptionsError(
      messages.targetSessionAttrsInvalid(key, String(value), ['(none: SQLite has no server)']),
      { key },
    );
  }
  const allowed = driver === 'postgresql' ? TARGET_SESSION_ATTRS : (['any'] as const);
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionsError(messages.targetSessionAttrsInvalid(key, String(value), allowed), { key });
  }
  return value as TargetSessionAttrs;
}

/** The primary's host list: the URL's, or the `hosts` option's; `targetSessionAttrs` from either (the option wins). */
export function hostListOf(
  key: string,
  parsed: ParsedDatabaseUrl,
  hosts: unknown,
  target: unknown,
): HostList | undefined {
  const fromOption = hosts === undefined ? undefined : hostsOption(key, parsed.driver, hosts);
  if (fromOption && parsed.hostList && parsed.hostList.hosts.length > 1) {
    throw new InvalidOptionsError(messages.hostsTwice(key), { key });
  }
  const chosen = targetOption(key, parsed.driver, target) ?? parsed.hostList?.target ?? 'any';
  const list = fromOption ?? parsed.hostList?.hosts;
  if (list === undefined) {
    if (chosen === 'any') return undefined;
    const { host, port } = parsed.options as { host: string; port?: number };
    return { hosts: [{ host, port: port ?? defaultPort(parsed.driver) }], target: chosen };
  }
  return { hosts: list, target: chosen };
}

/** The default port of a driver's servers. */
export function defaultPort(driver: DriverName): number {
  return DEFAULT_PORTS[driver];
}

function parseHost(driver: DriverName, entry: string, index: number, fail: (reason: string) => never): HostAddress {
  const text = entry.trim();
  const which = `host ${index + 1} of the host list`;
  if (text === '') return fail(`${which} is empty (a stray comma?)`);
  const match = /^(\[[^\]]+\]|[^:[\]/?#@]+)(?::(.*))?$/.exec(text);
  if (!match) return fail(`${which} ('${text}') is not a host name or 'host:port'`);
  const portText = match[2];
  if (portText !== undefined && !/^\d+$/.test(portText))
    return fail(`the port of ${which} ('${text}') is not a number`);
  const port = portText === undefined ? defaultPort(driver) : Number(portText);
  if (port < 1 || port > 65535) return fail(`the port of ${which} ('${text}') is outside 1-65535`);
  let hostname: string;
  try {
    hostname = new URL(`http://${match[1]}/`).hostname;
  } catch {
    return fail(`${which} ('${text}') is not a host name or 'host:port'`);
  }
  // the URL parser lower-cases and normalises the name; keep the brackets off IPv6 addresses
  return { host: hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

function assertDistinct(hosts: HostAddress[], error: (reason: string) => Error): void {
  const seen = new Set<string>();
  for (const address of hosts) {
    const name = describeHost(address);
    if (seen.has(name)) throw error(`the host list names ${name} twice`);
    seen.add(name);
  }
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function firstOf(text: string, chars: readonly string[], from: number): number {
  let best = text.length;
  for (const c of chars) {
    const i = text.indexOf(c, from);
    if (i >= 0 && i < best) best = i;
  }
  return best;
}
