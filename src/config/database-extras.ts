import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { type DriverName, parseDatabaseUrl } from './database-url.js';
import type { HostList } from './host-list.js';

/** MikroORM's options of one read replica (`replicas: [{ name, host, port, … }]`). */
export type ReplicaOptions = Record<string, unknown> & { name: string };

/** A database's read replicas: MikroORM options, masked URLs for people and passwords to scrub. */
export interface ResolvedReplicas {
  options: ReplicaOptions[];
  maskedUrls: string[];
  passwords: string[];
  /** Each replica's host list (`undefined`: a single host). */
  hostLists: (HostList | undefined)[];
}

/**
 * Parses a database's replica URLs with our URL rules. A replica speaks the primary's protocol, so a
 * URL of another engine (or SQLite, which has no replicas) is refused at start-up.
 */
export function replicaOptions(key: string, driver: DriverName, replicas: unknown, rootPath: string): ResolvedReplicas {
  const out: ResolvedReplicas = { options: [], maskedUrls: [], passwords: [], hostLists: [] };
  if (replicas === undefined) return out;
  if (!Array.isArray(replicas) || replicas.some((r) => typeof r !== 'string' || r.trim() === '')) {
    throw new InvalidOptionsError(messages.replicasWrongType(key), { key });
  }
  if (driver === 'sqlite' && replicas.length > 0) throw new InvalidOptionsError(messages.sqliteReplicas(key), { key });
  replicas.forEach((url: string, index) => {
    const parsed = parseDatabaseUrl(key, url, rootPath);
    if (family(parsed.driver) !== family(driver)) {
      throw new InvalidOptionsError(messages.replicaEngine(key, parsed.maskedUrl, driver), { key });
    }
    const { schema: _, ...connection } = parsed.options;
    out.options.push({ ...connection, name: `${key}-replica-${index + 1}` });
    out.maskedUrls.push(parsed.maskedUrl);
    out.hostLists.push(parsed.hostList);
    if (parsed.password) out.passwords.push(parsed.password);
    out.passwords.push(...parsed.secrets);
  });
  return out;
}

/** The key whose entities a database holds: its `entitiesOf`, else its own. */
export function entitiesOfOption(key: string, value: unknown, databases: Readonly<Record<string, unknown>>): string {
  const target =
    typeof value === 'object' && value !== null ? (value as { entitiesOf?: unknown }).entitiesOf : undefined;
  if (target === undefined) return key;
  const configured = Object.keys(databases);
  const targetValue = typeof target === 'string' ? databases[target] : undefined;
  const nested =
    typeof targetValue === 'object' && targetValue !== null ? (targetValue as Record<string, unknown>) : {};
  if (
    typeof target !== 'string' ||
    target === key ||
    !configured.includes(target) ||
    nested.entitiesOf !== undefined ||
    nested.tenants !== undefined
  ) {
    throw new InvalidOptionsError(messages.entitiesOfInvalid(key, String(target), configured), { key });
  }
  return target;
}

function family(driver: DriverName): string {
  return driver === 'mariadb' ? 'mysql' : driver;
}
