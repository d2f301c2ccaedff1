/** Network-level failures: the server is gone, restarting, refusing, or the pool cannot get a connection. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN', // DNS could not answer (yet)
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'MULTIDB_POOL_TIMEOUT', // PoolTimeoutError: every pooled connection stayed busy
  'MULTIDB_DATABASE_CLOSED', // DatabaseClosedError, TenantClosedError: used after close
  'MULTIDB_DATABASE_MISSING', // DatabaseMissingError: a database opened on demand is not there
  'MULTIDB_NO_HOST', // NoUsableHostError: no server of a host list answered as asked
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
  /Connection terminated|terminating connection|timeout exceeded when trying to connect|Pool is closed|connect ECONNREFUSED|is not queryable|connection is in closed state|Not connected to Primary Component|WSREP has not yet prepared node/i;

/**
 * Refusals a server gives while a connection is being opened: the login (user, password, role,
 * host), the database (missing, no access) or the transport (SSL/TLS). Some of these codes also
 * answer statements on an open connection (MariaDB's `use <missing>` is 1049), which are bad
 * queries, not outages: they count only for errors raised while opening a connection.
 */
const CONNECT_REFUSALS = new Set([
  '28P01', // PostgreSQL: password authentication failed
  '28000', // PostgreSQL: invalid authorization (no pg_hba entry, role may not log in)
  '3D000', // PostgreSQL: database does not exist
  '53300', // PostgreSQL: too many connections
  'ER_ACCESS_DENIED_ERROR', // 1045: wrong user or password
  'ER_DBACCESS_DENIED_ERROR', // 1044: no access to the database
  'ER_BAD_DB_ERROR', // 1049: unknown database
  'ER_HOST_NOT_PRIVILEGED', // 1130: host may not connect
  'ER_HOST_IS_BLOCKED', // 1129
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR', // 1698
  'ER_SECURE_TRANSPORT_REQUIRED', // the server wants TLS
  'HANDSHAKE_NO_SSL_SUPPORT', // mysql2: SSL asked of a server without it
  'HANDSHAKE_SSL_ERROR',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
/** pg gives SSL refusals without a code. */
const CONNECT_REFUSAL_MESSAGES = /does not support SSL|SSL connection|secure connection|certificate/i;

/** Errors raised while a database was opening a connection (marked by the connection wrappers). */
const raisedWhileConnecting = new WeakSet<object>();

/** Marks an error as raised while opening a connection; returns it. */
export function markConnectError<T>(error: T): T {
  if (typeof error === 'object' && error !== null) raisedWhileConnecting.add(error);
  return error;
}

/** Whether an error was raised while a connection was being opened (see markConnectError). */
export function raisedOpeningConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && raisedWhileConnecting.has(error);
}

/** Carries the mark over to the error MikroORM converted `raw` into. */
export function carryConnectMark<T>(raw: unknown, converted: T): T {
  return typeof raw === 'object' && raw !== null && raisedWhileConnecting.has(raw)
    ? markConnectError(converted)
    : converted;
}

/**
 * Whether an error means the database cannot be reached right now (as opposed to a bad query): the
 * server is down or refusing, the connection died, the pool has no connection to give, or a new
 * connection was refused (wrong password, missing database, unknown host, SSL refused).
 */
export function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message, severity, fatal } = e as Record<string, unknown>;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // PostgreSQL ends a session with FATAL; mysql2 marks `fatal` the errors that closed the connection
    if (severity === 'FATAL' || severity === 'PANIC' || fatal === true) return true;
    if (typeof e === 'object' && raisedWhileConnecting.has(e) && isConnectRefusal(code, message)) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isUnavailable(inner))) return true;
  }
  return false;
}

function isConnectRefusal(code: unknown, message: unknown): boolean {
  return (
    (typeof code === 'string' && CONNECT_REFUSALS.has(code)) ||
    (typeof message === 'string' && CONNECT_REFUSAL_MESSAGES.test(message))
  );
}
