/** Process and file-system helpers of the throwaway servers (Linux, Debian binaries). */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MultiDbError } from '../errors/multi-db.error.js';

const SETPRIV = '/usr/bin/setpriv';

export type Ids = { uid?: number; gid?: number };

/** A database server binary the throwaway servers need is not installed. */
export class MissingServerBinaryError extends MultiDbError {
  constructor(
    /** The missing program, e.g. `initdb`. */
    readonly binary: string,
    /** The Debian package that provides it. */
    readonly aptPackage: string,
  ) {
    super(`${binary} is not installed; install it with "apt-get install -y ${aptPackage}" (Debian/Ubuntu).`);
  }
}

/** Spawns the server so that it receives `deathSignal` when we die (setpriv execs, so the pid stays the server's). */
export function launch(bin: string, args: string[], log: number, deathSignal: string, ids: Ids = {}): ChildProcess {
  const [cmd, argv] = fs.existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', deathSignal, '--', bin, ...args]]
    : [bin, args];
  return spawn(cmd, argv, { stdio: ['ignore', log, log], env: cleanEnv({}), ...ids });
}

export function run(cmd: string, args: string[], env: Record<string, string>, ids: Ids = {}): Promise<string> {
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
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PG|MYSQL|MARIADB)/.test(key)));
  return { ...env, ...extra };
}

export function requireBinary(file: string, aptPackage: string): string {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    throw new MissingServerBinaryError(file, aptPackage);
  }
}

export function osUser(name: string): Required<Ids> {
  const entry = new RegExp(`^${name}:[^:]*:(\\d+):(\\d+):`, 'm').exec(fs.readFileSync('/etc/passwd', 'utf8'));
  if (!entry) throw new MissingServerBinaryError(`the "${name}" OS user`, 'postgresql');
  return { uid: Number(entry[1]), gid: Number(entry[2]) };
}

export function chown(file: string, owner: Ids): void {
  if (owner.uid !== undefined && owner.gid !== undefined) fs.chownSync(file, owner.uid, owner.gid);
}

export async function freePort(): Promise<number> {
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

export function canConnect(port: number): Promise<boolean> {
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
export function isAlive(pid: number): boolean {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  return stat !== '' && stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

export function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function tail(file: string, lines = 30): string {
  return readOrEmpty(file).trimEnd().split('\n').slice(-lines).join('\n');
}

/** Splits constant option strings (no paths or user values in them). */
export const words = (options: string) => options.split(' ');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
