/** Network-level failures: the server is gone, restarting, refusing, or the pool cannot get a connection. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'MULTIDB_POOL_TIMEOUT', // PoolTimeoutError: every pooled connection stayed busy
  'MULTIDB_DATABASE_CLOSED', // DatabaseClosedError, TenantClosedError: used after close
  '57P01', // PostgreSQL: admin shutdown
  '57P02',
  '57P03', // cannot connect now (starting up)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|terminating connection|timeout exceeded when trying to connect|Pool is closed|connect ECONNREFUSED|is not queryable|connection is in closed state/i;

/** Whether an error means the database cannot be reached right now (as opposed to a bad query). */
export function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isUnavailable(inner))) return true;
  }
  return false;
}
