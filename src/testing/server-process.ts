/**
 * A throwaway database server process: start, stop, destroy, and the process-wide clean-up that
 * takes every server down with the test process, even when it crashes.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  canConnect,
  chown,
  freePort,
  type Ids,
  isAlive,
  readOrEmpty,
  sleep,
  sleepSync,
  tail,
} from './process-tools.js';

/** A database server started by {@link startPostgres} or {@link startMariaDb} for tests. */
export interface ThrowawayServer {
  /** Which server it is. */
  readonly engine: 'postgresql' | 'mariadb';
  /** It listens on loopback only. */
  readonly host: '127.0.0.1';
  /** A free port picked at start. */
  readonly port: number;
  /** The user to log in as (a superuser of this server). */
  readonly user: string;
  /** The generated password (masked in every message of nestjs-multidb). */
  readonly password: string;
  /** The temporary folder holding the server's data, socket and log. */
  readonly dir: string;
  /** The server process while it runs. */
  readonly pid: number | undefined;
  /** The URL of `database` on this server, with user and password; `scheme` defaults to the engine's. */
  url(database: string, scheme?: string): string;
  /** Creates a database (if it does not exist). */
  createDatabase(name: string): Promise<void>;
  /** Runs one statement with the engine's CLI client; stdout minus its final newline (tab-separated rows, no headers). */
  query(sql: string, database?: string): Promise<string>;
  /** Stops the server and keeps its data (`start()` runs it again on the same port). */
  stop(): Promise<void>;
  /** Starts the stopped server again and waits until it answers. */
  start(): Promise<void>;
  /** Stops the server and removes its temporary folder; it cannot be started again. */
  destroy(): Promise<void>;
}

const BOOT_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
export const isRoot = process.getuid?.() === 0;

export interface Engine {
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

export class Server implements ThrowawayServer {
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

export async function boot(server: Server, init: () => Promise<void>): Promise<ThrowawayServer> {
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
export async function prepare(prefix: string, owner: Ids) {
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
