/**
 * A database's connection pool, one shape for every engine, times in milliseconds (like
 * `acquireTimeout`). Mapped onto pg (`min`, `max`, `idleTimeoutMillis`, `maxLifetimeSeconds`) and
 * mysql2 (`connectionLimit`, `idleTimeout`, `maxIdle`; `maxLifetime` is done by nestjs-multidb). SQLite
 * has one connection and no pool: `idleTimeout` and `maxLifetime` are ignored there. Unknown keys are
 * refused. Driver options you set yourself (`driverOptions: { maxIdle }`) win over the mapping.
 */
export interface PoolOptions {
  /**
   * Connections pg keeps open while idle, past `idleTimeout`. mysql2 keeps no minimum: it opens
   * connections on demand and closes every idle one after `idleTimeout`.
   * @default 0
   */
  min?: number;
  /**
   * Most connections open at once (a positive integer).
   * @default 10 (pg's and mysql2's default)
   */
  max?: number;
  /**
   * Milliseconds an unused connection stays in the pool before it is closed. Keep it below the
   * server's own idle limit (MySQL/MariaDB `wait_timeout`, a proxy's or load balancer's idle timeout)
   * so that the pool, not the server, closes idle connections.
   * @default the driver's: 10000 for pg, never for mysql2
   */
  idleTimeout?: number;
  /**
   * Milliseconds after which a connection is retired: once older than this, it is closed when it is
   * next released (pg also closes an idle one at once) and replaced by a new one on demand, so that
   * connections follow a failover's DNS change and never outlive server or proxy limits. A connection
   * is never closed while a query or transaction uses it. SQLAlchemy's `pool_recycle` (in seconds).
   * @default undefined (a connection lives until its idle timeout or an error)
   */
  maxLifetime?: number;
  /** MikroORM's name of `idleTimeout`, accepted too; give one of the two. */
  idleTimeoutMillis?: number;
}

/** How a database's connections behave when its server is slow, busy or away; per database or in `common`. */
export interface ConnectionPolicy {
  /**
   * Start the application even when this database cannot be reached: start-up logs a warning
   * instead of failing, health reports it down, its requests fail (HTTP 503 through
   * `DatabaseUnavailableFilter`), and it is used again by itself once the server answers.
   * @default false
   */
  lazy?: boolean;
  /**
   * Milliseconds a query waits for a pooled connection (every connection busy, or a new one being
   * opened) before it fails with a `PoolTimeoutError` naming the database. Bounds what pg and
   * mysql2 would otherwise wait forever.
   * @default 10000
   */
  acquireTimeout?: number;
  /**
   * Milliseconds closing this database (application shutdown, `DbService.close()`, a tenant's
   * eviction) waits for connections still in use — an open transaction, a running query — before
   * it destroys them (their uncommitted work is rolled back) and logs a warning naming the key and
   * how many were busy. New work is refused from the moment closing starts. `0` destroys them at once.
   * @default 10000
   */
  shutdownTimeout?: number;
  /**
   * SQLite: run each query as MikroORM's `?` template with its values bound, and keep the
   * connection's last 100 compiled statements. MikroORM writes every value into the SQL, so SQLite
   * would compile each query anew (about 10 µs, a fifth of a primary-key `findOne`). A query whose
   * values cannot be bound as exactly the SQL value of their literals (arrays, raw fragments, NaN…)
   * runs as MikroORM writes it; logs always show the values. `false`: every query as MikroORM
   * writes it. No effect on PostgreSQL, MySQL or MariaDB.
   * @default true
   */
  reuseStatements?: boolean;
}
