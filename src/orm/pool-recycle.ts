/** The parts of a Kysely driver we wrap (Kysely is MikroORM's, not our dependency). */
interface KyselyDriver {
  acquireConnection(options?: unknown): Promise<object>;
  releaseConnection(connection: object): Promise<void>;
}
interface KyselyDialect {
  createDriver(): KyselyDriver;
}
/** Kysely's MySQL connection: `killSession` destroys the mysql2 connection (removing it from its pool). */
interface KillableConnection {
  killSession(controlConnectionProvider?: unknown): Promise<void>;
}
/** A MikroORM connection's configuration, where the resolved `pool` is kept. */
interface WithConfig {
  config?: { get(name: 'pool'): { maxLifetime?: unknown } | undefined };
}

/**
 * Retires connections older than `pool.maxLifetime` where the driver's pool cannot: mysql2 has no
 * maximum lifetime (pg's pool does it itself, `maxLifetimeSeconds`, so config/pool-options.ts keeps
 * `maxLifetime` in `pool` for MySQL/MariaDB only). A connection is retired when it is released once
 * older than that, and one found too old when taken from the pool is retired and another taken, so a
 * long-idle connection is not used again; one in use is never interrupted. Its age counts from its
 * first use. Returns the dialect, its `createDriver` wrapped (nothing changes without `maxLifetime`).
 */
export function retireAgedConnections<D extends KyselyDialect>(dialect: D, connection: object): D {
  const maxLifetime = (connection as WithConfig).config?.get('pool')?.maxLifetime;
  if (typeof maxLifetime !== 'number') return dialect;
  const createDriver = dialect.createDriver.bind(dialect);
  dialect.createDriver = () => {
    const driver = createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    const release = driver.releaseConnection.bind(driver);
    const firstUse = new WeakMap<object, number>();
    const aged = (c: object) => Date.now() - (firstUse.get(c) ?? Date.now()) >= maxLifetime;
    const retire = async (c: object) => {
      firstUse.delete(c);
      // with no query running, killSession only destroys the connection (its KILL is for a running query)
      if (typeof (c as Partial<KillableConnection>).killSession !== 'function') return release(c);
      await (c as KillableConnection).killSession();
    };
    driver.acquireConnection = async (options) => {
      for (;;) {
        const c = await acquire(options);
        if (!firstUse.has(c)) firstUse.set(c, Date.now());
        else if (aged(c)) {
          await retire(c);
          continue;
        }
        return c;
      }
    };
    driver.releaseConnection = (c) => (aged(c) ? retire(c) : release(c));
    return driver;
  };
  return dialect;
}
