import { launchPostgres, type PostgresOptions } from './postgres-server.js';
import type { ThrowawayServer } from './server-process.js';

/**
 * Starts a streaming read replica of a throwaway PostgreSQL primary (`startPostgres()`): a base
 * backup taken with `pg_basebackup -R` (which writes the standby's connection settings), started
 * as a hot standby on its own free port. The primary's defaults allow it: `wal_level = replica`
 * and a `host replication` entry for 127.0.0.1 in pg_hba.conf. Its user and password are the
 * primary's; it serves reads only (`pg_is_in_recovery()` is true).
 */
export async function startPostgresReplica(
  primary: ThrowawayServer,
  options: PostgresOptions = {},
): Promise<ThrowawayServer> {
  if (primary.engine !== 'postgresql')
    throw new Error(`startPostgresReplica needs a PostgreSQL primary, got ${primary.engine}`);
  const prefix = 'multidb-pg-replica-';
  return launchPostgres(options, prefix, primary.password, 'pg_basebackup', async ({ tool, data, asPostgres, run }) => {
    const args = ['-h', primary.host, '-p', String(primary.port), '-U', primary.user, '-D', data];
    await run(
      tool,
      [...args, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'],
      { PGPASSWORD: primary.password },
      asPostgres,
    );
  });
}
