import { isUnavailable } from '../errors/unavailable.js';

/** The parts of a Kysely driver this file wraps. */
interface TransactionDriver {
  releaseConnection(connection: object): Promise<void>;
  beginTransaction(connection: object, settings: unknown): Promise<void>;
  commitTransaction(connection: object): Promise<void>;
  rollbackTransaction(connection: object): Promise<void>;
}

/**
 * Kysely (0.28, under MikroORM 7.2.1) keeps a connection checked out for good when BEGIN fails,
 * or when COMMIT or ROLLBACK fails because the connection died: it releases only after they
 * succeed. Each such failure shrinks the pool by one, and closing the ORM then waits forever for
 * the lost connection. Give those connections back: a dead one is dropped by its pool, and a live
 * one whose BEGIN failed is rolled back first. A connection released here is not released twice.
 * Returns the connections given back: a checkout that gets one of them again deletes it (the
 * connection guard does, pool-guard.ts, so that a checkout pays no wrapper of its own here).
 */
export function giveBackFailedTransactions(driver: TransactionDriver): WeakSet<object> {
  const given = new WeakSet<object>();
  const begin = driver.beginTransaction.bind(driver);
  const giveBack = async (connection: object) => {
    if (given.has(connection)) return;
    given.add(connection);
    await driver.releaseConnection(connection).catch(() => {});
  };
  driver.beginTransaction = async (connection, settings) => {
    try {
      await begin(connection, settings);
    } catch (error) {
      await driver.rollbackTransaction(connection).catch(() => {});
      await giveBack(connection);
      throw error;
    }
  };
  for (const name of ['commitTransaction', 'rollbackTransaction'] as const) {
    const end = driver[name].bind(driver);
    driver[name] = async (connection) => {
      try {
        await end(connection);
      } catch (error) {
        if (isUnavailable(error)) await giveBack(connection);
        throw error;
      }
    };
  }
  return given;
}
