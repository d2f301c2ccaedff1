import { connectionsOf } from '../orm/pool-guard.js';
import { acquireTimeoutsOf } from '../orm/pool-stats.js';
import type { Database } from '../orm/start-databases.js';
import type { TenantPools } from './tenant-registry.js';

/**
 * The pools of a template's tenant databases for db.stats(): a closing one still counts until it is
 * closed, then its acquire timeouts are kept, so that the template's timeout counter never goes down.
 */
export class TenantPoolLedger {
  readonly #closing = new Set<Database>();
  #retiredTimeouts = 0;

  closing(database: Database): void {
    this.#closing.add(database);
  }

  closed(database: Database): void {
    if (!this.#closing.delete(database)) return;
    for (const connection of connectionsOf(database.orm)) this.#retiredTimeouts += acquireTimeoutsOf(connection);
  }

  /** `open`: the databases holding a place now. */
  pools(open: readonly Database[]): TenantPools {
    return { databases: [...new Set([...open, ...this.#closing])], retiredTimeouts: this.#retiredTimeouts };
  }
}
