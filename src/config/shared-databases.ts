import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { databaseIdentity } from './database-identity.js';
import { overLimit } from './identifier-limits.js';
import type { ResolvedDatabase } from './resolve-databases.js';

/**
 * Start-up checks of the configured databases' names: each fits its engine's limits, and no two
 * keys point at one database unless one of them says `sharesDatabaseWith` the other (keys that
 * share with the same key share with each other too).
 */
export function assertDatabasesApart(
  databases: readonly ResolvedDatabase[],
  raw: Readonly<Record<string, unknown>>,
): void {
  for (const db of databases) {
    const name = overLimit(db);
    if (name) throw new InvalidOptionsError(messages.databaseNameTooLong(db.key, db.maskedUrl, name), { key: db.key });
  }
  const sharing = new SharingGroups(raw);
  const seen = new Map<string, string>();
  for (const db of databases) {
    const identity = databaseIdentity(db);
    if (!identity) continue;
    const first = seen.get(identity.id);
    if (first === undefined) seen.set(identity.id, db.key);
    else if (!sharing.together(first, db.key)) {
      throw new InvalidOptionsError(messages.databasesShared(first, db.key, identity.text), { key: db.key });
    }
  }
}

/** The keys joined by `sharesDatabaseWith`, validated (a small union-find). */
class SharingGroups {
  readonly #parent = new Map<string, string>();

  constructor(raw: Readonly<Record<string, unknown>>) {
    const keys = Object.keys(raw);
    for (const key of keys) {
      const target = optionOf(raw[key], 'sharesDatabaseWith');
      if (target === undefined) continue;
      const isTemplate = (k: unknown) => typeof k === 'string' && optionOf(raw[k], 'tenants') !== undefined;
      if (typeof target !== 'string' || target === key || !keys.includes(target) || isTemplate(target)) {
        throw new InvalidOptionsError(messages.sharesDatabaseWithInvalid(key, String(target), keys), { key });
      }
      this.#parent.set(this.#root(key), this.#root(target));
    }
  }

  together(a: string, b: string): boolean {
    return this.#root(a) === this.#root(b);
  }

  #root(key: string): string {
    let current = key;
    for (let next = this.#parent.get(current); next !== undefined; next = this.#parent.get(current)) current = next;
    return current;
  }
}

function optionOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
