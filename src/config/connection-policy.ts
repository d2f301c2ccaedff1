import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { ConnectionPolicy } from '../multi-db.options.js';
import { checkDuration } from './durations.js';
import { describe } from './values.js';

export const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Removes our connection policy from the merged options (MikroORM has no such options) and checks it. */
export function takeConnectionPolicy(key: string, merged: Record<string, unknown>): Required<ConnectionPolicy> {
  const {
    lazy = false,
    acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT_MS,
    shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT_MS,
    reuseStatements = true,
  } = merged as ConnectionPolicy;
  delete merged.lazy;
  delete merged.acquireTimeout;
  delete merged.shutdownTimeout;
  delete merged.reuseStatements;
  for (const [name, value] of Object.entries({ lazy, reuseStatements })) {
    if (typeof value !== 'boolean')
      throw new InvalidOptionsError(messages.optionWrongType(`${key}.${name}`, 'true or false', describe(value)), {
        key,
      });
  }
  return {
    lazy,
    reuseStatements,
    acquireTimeout: checkDuration(key, 'acquireTimeout', acquireTimeout),
    // 0: destroy busy connections at once
    shutdownTimeout: checkDuration(key, 'shutdownTimeout', shutdownTimeout, 0),
  };
}
