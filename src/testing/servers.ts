/**
 * Throwaway PostgreSQL / MariaDB servers for tests, started from the locally installed Debian
 * binaries in a temp dir on a random 127.0.0.1 port. Never touches the system services.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { MultiDbError } from '../errors/multi-db.error.js';

export interface ThrowawayServer {
  readonly engine: 'postgresql' | 'mariadb';
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The temporary folder holding the server's data, socket and log. */
  readonly dir: string;
  /** The server process while it runs. */
  readonly pid: number | undefined;
  url(database: string, scheme?: string): string;
  createDatabase(name: string): Promise<void>;
  /** Runs one statement with the engine's CLI client; stdout minus its final newline (tab-separated rows, no headers). */
  query(sql: string, database?: string): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A database server binary the throwaway servers need is not installed. */
export class MissingServerBinaryError extends MultiDbError {
  constructor(
    readonly binary: string,
    readonly aptPackage: string,
  ) {
    super(`${binary} is not installed; install it with "apt-get install -y ${aptPackage}" (Debian/Ubuntu).`);
  }
}

const PG_ROOT = '/usr/lib/postgresql';

/** Debian installs each major version in /usr/lib/postgresql/<version>/bin. */
function newestPostgresBin(): string {
  const versions = fs.existsSync(PG_ROOT) ? fs.readdirSync(PG_ROOT).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return path.join(PG_ROOT, newest, 'bin');
}
const SETPRIV = '/usr/bin/setpriv';
const BOOT_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const isRoot = process.getuid?.() === 0;

export type Ids = { uid?: number; gid?: number };

interface Engine {
  readonly engine: ThrowawayServer['engine'];
  readonly user: string;
  readonly scheme: string;
  readonly stopSignal: NodeJS.Signals;
  /** sent when our process dies (pdeathsig / exit hook); postgres' SIGQUIT also frees its shared memory */
  readonly crashSignal: 'SIGQUIT' | 'SIGKILL';
  launch(log: number): ChildProcess;
  query(sql: string, database?: string): Promise<string>;
  createDatabaseSql(name: string): string;
}

class Server implements ThrowawayServer {
  readonly host = '127.0.0.1';
  child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  readonly engine: Engine['engine'];
  readonly user: string;
  readonly dir: string;
  readonly port: number;
  readonly password: string;
  private readonly e: Engine;

  // plain fields rather than parameter properties keep this file runnable by node's type stripping
  constructor(dir: string, port: number, password: string, engine: Engine) {
    this.dir = dir;
    this.port = port;
    this.password = password;
    this.e = engine;
    this.engine = engine.engine;
    this.user = engine.user;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  get crashSignal() {
    return this.e.crashSignal;
  }

  url(database: string, scheme = this.e.scheme): string {
    const auth = `${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}`;
    return `${scheme}://${auth}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  async createDatabase(name: string): Promise<void> {
    await this.query(this.e.createDatabaseSql(name)).catch((error: unknown) => {
      if (!/already exists/i.test(String(error))) throw error;
    });
  }

  query(sql: string, database?: string): Promise<string> {
    return this.e.query(sql, database).then((out) => out.replace(/\n$/, ''));
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`${this.engine} server in ${this.dir} was destroyed`);
    if (this.child) return;
    const logFile = path.join(this.dir, 'server.log');
    const log = fs.openSync(logFile, 'a');
    let spawnError: Error | undefined;
    const child = this.e.launch(log);
    this.child = child;
    fs.closeSync(log);
    this.exited = new Promise((resolve) => {
      child.once('exit', resolve);
      child.once('error', (error) => {
        spawnError = error;
        resolve(error);
      });
    });
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let lastError: unknown;
    for (;;) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) {
        this.child = undefined;
        const reason = spawnError?.message ?? `exit code ${child.exitCode ?? child.signalCode}`;
        throw new Error(`${this.engine} in ${this.dir} exited during startup (${reason}):\n${tail(logFile)}`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `${this.engine} in ${this.dir} not ready after ${BOOT_TIMEOUT_MS} ms (${String(lastError)}):\n${tail(logFile)}`,
        );
      }
      if (await canConnect(this.port)) {
        try {
          await this.e.query('select 1');
          return;
        } catch (error) {
          lastError = error;
        }
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(this.e.stopSignal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

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

/** Starts a MariaDB server in a temp folder on a free 127.0.0.1 port; root logs in with a generated password. */
export async function startMariaDb(): Promise<ThrowawayServer> {
  const installDb = requireBinary('/usr/bin/mariadb-install-db', 'mariadb-server');
  const mariadbd = requireBinary('/usr/sbin/mariadbd', 'mariadb-server');
  const client = requireBinary('/usr/bin/mariadb', 'mariadb-client');
  const { dir, port, password } = await prepare('multidb-maria-', {});
  // --no-defaults (must come first) keeps both server and client away from /etc/mysql
  const common = ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, ...(isRoot ? ['--user=root'] : [])];
  const serverArgs = [
    ...common,
    `--port=${port}`,
    `--socket=${path.join(dir, 'mysqld.sock')}`,
    `--pid-file=${path.join(dir, 'mysqld.pid')}`,
    `--tmpdir=${dir}`,
    ...words('--bind-address=127.0.0.1 --skip-log-bin --skip-name-resolve --max-connections=200'),
    ...words('--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0'),
    // what Debian's /etc/mysql config would set; the compiled-in default is latin1
    ...words('--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci'),
  ];
  const clientArgs = [
    `-P${port}`,
    ...words('--protocol=TCP -h 127.0.0.1 -uroot -N -B --default-character-set=utf8mb4'),
  ];
  const server = new Server(dir, port, password, {
    engine: 'mariadb',
    user: 'root',
    scheme: 'mysql',
    stopSignal: 'SIGTERM',
    crashSignal: 'SIGKILL',
    launch: (log) => launch(mariadbd, serverArgs, log, 'SIGKILL'),
    query: (sql, database) =>
      run(client, ['--no-defaults', ...clientArgs, '-e', sql, ...(database ? [database] : [])], {
        MYSQL_PWD: password,
      }),
    createDatabaseSql: (name) => `CREATE DATABASE IF NOT EXISTS \`${name.replaceAll('`', '``')}\``,
  });
  return boot(server, async () => {
    // Set the root password during bootstrap, so the server never runs passwordless. FLUSH PRIVILEGES
    // loads the grant tables, which bootstrap mode otherwise skips; bootstrap reads one statement per line.
    const initSql = path.join(dir, 'init.sql');
    const grants = ['localhost', '127.0.0.1', '%'].flatMap((host) => [
      `CREATE USER IF NOT EXISTS 'root'@'${host}';`,
      `ALTER USER 'root'@'${host}' IDENTIFIED BY '${password}';`,
      `GRANT ALL ON *.* TO 'root'@'${host}' WITH GRANT OPTION;`,
    ]);
    fs.writeFileSync(initSql, ['FLUSH PRIVILEGES;', ...grants].join('\n'), { mode: 0o600 });
    const initArgs = words('--auth-root-authentication-method=normal --skip-test-db');
    await run(installDb, [...common, ...initArgs, `--extra-file=${initSql}`], {});
    fs.rmSync(initSql);
  });
}

// ---- process-wide cleanup: servers die with us even if the test run crashes ----

const live = new Set<Server>();
let hooked = false;

function killAllSync(): void {
  for (const server of live) {
    const pid = server.child?.pid;
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, server.crashSignal);
      for (let i = 0; i < 100 && isAlive(pid); i++) sleepSync(20);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(server.dir, { recursive: true, force: true });
  }
  live.clear();
}

function track(server: Server): void {
  live.add(server);
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllSync();
      // we replaced the default handler; if nobody else handles it, die the default way
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

async function boot(server: Server, init: () => Promise<void>): Promise<ThrowawayServer> {
  track(server);
  try {
    await init();
    await server.start();
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}

/** Temp dir (with an owner pid file, see sweepStaleDirs), free port and a fresh password. */
async function prepare(prefix: string, owner: Ids) {
  sweepStaleDirs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  chown(dir, owner);
  const password = `pw_${globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;
  return { dir, port: await freePort(), password };
}

/** Removes dirs left by test processes that were SIGKILLed (their servers got the pdeathsig already). */
function sweepStaleDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!/^multidb-(pg|pg-replica|maria)-/.test(name)) continue;
    const dir = path.join(os.tmpdir(), name);
    const owner = Number(readOrEmpty(path.join(dir, 'owner.pid')));
    try {
      if (owner > 0 && !isAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {} // another process may be sweeping it too
  }
}

// ---- small helpers ----

/** Spawns the server so that it receives `deathSignal` when we die (setpriv execs, so the pid stays the server's). */
function launch(bin: string, args: string[], log: number, deathSignal: string, ids: Ids = {}): ChildProcess {
  const [cmd, argv] = fs.existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', deathSignal, '--', bin, ...args]]
    : [bin, args];
  return spawn(cmd, argv, { stdio: ['ignore', log, log], env: cleanEnv({}), ...ids });
}

function run(cmd: string, args: string[], env: Record<string, string>, ids: Ids = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: cleanEnv(env), timeout: 60_000, maxBuffer: 64 << 20, ...ids },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(cmd)} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

/** Our env without PG* / MYSQL* variables that could point the clients elsewhere. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PG|MYSQL|MARIADB)/.test(key)));
  return { ...env, ...extra };
}

function requireBinary(file: string, aptPackage: string): string {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    throw new MissingServerBinaryError(file, aptPackage);
  }
}

function osUser(name: string): Required<Ids> {
  const entry = new RegExp(`^${name}:[^:]*:(\\d+):(\\d+):`, 'm').exec(fs.readFileSync('/etc/passwd', 'utf8'));
  if (!entry) throw new MissingServerBinaryError(`the "${name}" OS user`, 'postgresql');
  return { uid: Number(entry[1]), gid: Number(entry[2]) };
}

function chown(file: string, owner: Ids): void {
  if (owner.uid !== undefined && owner.gid !== undefined) fs.chownSync(file, owner.uid, owner.gid);
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer().once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (port !== 0 && port !== 5432 && port !== 3306) return port;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True while `pid` exists and is not a zombie (our exit hook cannot reap children). Linux only, like the binaries. */
function isAlive(pid: number): boolean {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  return stat !== '' && stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 30): string {
  return readOrEmpty(file).trimEnd().split('\n').slice(-lines).join('\n');
}

/** Splits constant option strings (no paths or user values in them). */
const words = (options: string) => options.split(' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
