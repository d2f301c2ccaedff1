import { Inject } from '@nestjs/common';
import { DbService } from '../db.service.js';
import { InvalidOptionsError, TransactionSetupError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { TransactionOptions } from './transaction.options.js';

/** Options of `@MultiDbTransactional()`. */
export interface MultiDbTransactionalOptions extends Pick<TransactionOptions, 'twoPhase'> {
  /** The database keys whose transactions the method runs in. */
  databases: string[];
}

/** Where the decorator has Nest inject DbService into the instance. */
const DB_SERVICE = Symbol('nestjs-multidb:transactional');

/**
 * Runs a provider's method inside `DbService.transaction(databases, …)`: repositories and
 * EntityManagers it uses join one transaction per database, committed when the method returns and
 * rolled back when it throws. The class must be a Nest provider (DbService is injected into it).
 */
export function MultiDbTransactional(options: MultiDbTransactionalOptions): MethodDecorator {
  if (!Array.isArray(options?.databases) || options.databases.length === 0)
    throw new InvalidOptionsError(messages.transactionKeysMissing());
  return (target, name, descriptor) => {
    Inject(DbService)(target, DB_SERVICE);
    const method = descriptor.value as unknown as (...args: unknown[]) => unknown;
    const where = `${target.constructor.name}.${String(name)}`;
    const wrapped = function (this: { [DB_SERVICE]?: DbService }, ...args: unknown[]) {
      const db = this[DB_SERVICE];
      if (!db) return Promise.reject(new TransactionSetupError(messages.transactionalNotInjected(where)));
      return db.transaction(options.databases, () => method.apply(this, args), { twoPhase: options.twoPhase });
    };
    Object.defineProperty(wrapped, 'name', { value: method.name });
    descriptor.value = wrapped as never;
  };
}
