import { databaseIdentity } from '../config/database-identity.js';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';

/**
 * Which database each configured key and attached tenant uses, over every template: a tenant is
 * refused when its database is one that another tenant (of any template) or a configured key
 * already uses, however it got there (URL pattern, `tenants.database`, `attach` override). The
 * same tenant of two templates may use one database: its data meets no other tenant's.
 */
export class DatabaseClaims {
  /** Database identity → who uses it (`default`, `tenant:acme`). */
  readonly #owners = new Map<string, Set<string>>();
  /** Who → the identity of the database it uses. */
  readonly #claimed = new Map<string, string>();

  /** Starts with the configured keys' databases (those that share one by `sharesDatabaseWith` included). */
  constructor(configured: readonly ResolvedDatabase[] = []) {
    for (const config of configured) this.#record(config.key, databaseIdentity(config)?.id);
  }

  /** Records a tenant's database (`config.key` is `<template>:<tenant>`); throws when someone else uses it. */
  claim(template: string, tenant: string, config: ResolvedDatabase): void {
    const identity = databaseIdentity(config);
    const other = identity && [...(this.#owners.get(identity.id) ?? [])].find((owner) => tenantOf(owner) !== tenant);
    if (identity && other !== undefined) {
      throw new InvalidOptionsError(messages.tenantDatabaseShared(template, tenant, other, identity.text), {
        key: template,
      });
    }
    this.release(config.key);
    this.#record(config.key, identity?.id);
  }

  /** Frees what `owner` (`<template>:<tenant>`) used, for another tenant. */
  release(owner: string): void {
    const id = this.#claimed.get(owner);
    if (id === undefined) return;
    this.#claimed.delete(owner);
    const owners = this.#owners.get(id);
    owners?.delete(owner);
    if (owners?.size === 0) this.#owners.delete(id);
  }

  #record(owner: string, id: string | undefined): void {
    if (id === undefined) return;
    this.#claimed.set(owner, id);
    const owners = this.#owners.get(id) ?? new Set<string>();
    owners.add(owner);
    this.#owners.set(id, owners);
  }
}

/** The tenant an owner (`<template>:<tenant>`) stands for; `undefined` for a configured key (no `:`). */
function tenantOf(owner: string): string | undefined {
  const colon = owner.indexOf(':');
  return colon < 0 ? undefined : owner.slice(colon + 1);
}
