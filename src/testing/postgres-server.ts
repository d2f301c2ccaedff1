/** Throwaway PostgreSQL servers for tests, from the local Debian binaries, as the `postgres` OS user when run as root. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chown, type Ids, launch, osUser, requireBinary, run, words } from './process-tools.js';
import { boot, isRoot, prepare, Server, type ThrowawayServer } from './server-process.js';

const PG_ROOT = '/usr/lib/postgresql';

/** Debian installs each major version in /usr/lib/postgresql/<version>/bin. */
function newestPostgresBin(): string {
  const versions = fs.existsSync(PG_ROOT) ? fs.readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return path.join(PG_ROOT, newest, 'bin');
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** `max_prepared_transactions` (two-phase commit needs it above 0). @default 10 */
  maxPreparedTransactions?: number;
  /** The folder with `initdb` and `postgres`. @default $MULTIDB_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin */
  binDir?: string;
}

/** Starts a PostgreSQL server in a temp folder on a free 127.0.0.1 port, as the `postgres` OS user when run as root. */
export async function startPostgres(options: PostgresOptions = {}): Promise<ThrowawayServer> {
  return launchPostgres(
    options,
    'multidb-pg-',
    undefined,
    'initdb',
    async ({ tool, data, dir, password, asPostgres }) => {
      const pwfile = path.join(dir, 'pwfile');
      fs.writeFileSync(pwfile, password, { mode: 0o600 });
      chown(pwfile, asPostgres);
      const initArgs = words('-U postgres --auth=scram-sha-256 -E UTF8 --no-locale --no-sync --no-instructions');
      await run(tool, ['-D', data, `--pwfile=${pwfile}`, ...initArgs], {}, asPostgres);
      fs.rmSync(pwfile);
    },
  );
}

/** What fills a new PostgreSQL server's data folder (initdb, or a base backup of a primary). */
export interface PostgresDataSetup {
  /** The path of the setup tool (`initdb`, `pg_basebackup`), checked before anything else. */
  tool: string;
  dir: string;
  data: string;
  password: string;
  asPostgres: Ids;
  run: typeof run;
}

/**
 * A PostgreSQL server in a temp folder whose data folder `setup` fills. Internal to
 * nestjs-multidb/testing (the replica starter builds on it).
 */
export async function launchPostgres(
  options: PostgresOptions,
  prefix: string,
  fixedPassword: string | undefined,
  setupTool: string,
  setup: (ctx: PostgresDataSetup) => Promise<void>,
): Promise<ThrowawayServer> {
  const bin = options.binDir ?? process.env.MULTIDB_PG_BIN ?? newestPostgresBin();
  const tool = requireBinary(`${bin}/${setupTool}`, 'postgresql');
  const postgres = requireBinary(`${bin}/postgres`, 'postgresql');
  const psql = requireBinary(fs.existsSync(`${bin}/psql`) ? `${bin}/psql` : '/usr/bin/psql', 'postgresql-client');
  // initdb and postgres refuse to run as root
  const asPostgres = isRoot ? osUser('postgres') : {};
  const prepared = await prepare(prefix, asPostgres);
  const { dir, port } = prepared;
  const password = fixedPassword ?? prepared.password;
  const data = path.join(dir, 'data');
  const settings = {
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    max_prepared_transactions: options.maxPreparedTransactions ?? 10,
  };
  const serverArgs = ['-D', data, '-p', String(port), '-k', dir];
  serverArgs.push(...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]));
  const clientArgs = [...words('-X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -F'), '\t', '-p', String(port)];
  const server = new Server(dir, port, password, {
    engine: 'postgresql',
    user: 'postgres',
    scheme: 'postgresql',
    stopSignal: 'SIGINT', // postgres' "fast" shutdown; SIGTERM ("smart") would wait for open client pools
    crashSignal: 'SIGQUIT',
    launch: (log) => launch(postgres, serverArgs, log, 'SIGQUIT', asPostgres),
    query: (sql, database = 'postgres') =>
      run(psql, [...clientArgs, '-d', database, '-c', sql], { PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }),
    createDatabaseSql: (name) => `CREATE DATABASE "${name.replaceAll('"', '""')}"`,
  });
  return boot(server, () => setup({ tool, dir, data, password, asPostgres, run }));
}
