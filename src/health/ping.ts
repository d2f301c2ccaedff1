import type { DbService } from '../db.service.js';
import type { DriverName } from '../config/database-url.js';
import { redact } from '../config/mask.js';
import { messages } from '../errors/messages.js';

/** How one database answered a ping; safe to show (masked URL, scrubbed error). */
export interface PingResult {
  /** The key that was pinged. */
  key: string;
  /** `up` when `select 1` answered within the timeout. */
  status: 'up' | 'down';
  /** Absent when the key names no database that can be used here (unknown, or a tenant template outside a tenant). */
  driver?: DriverName;
  /** The URL with its password masked (absent as `driver` is). */
  url?: string;
  /** Round trip of the ping, or time until it failed or timed out. */
  latencyMs: number;
  /** Why it is down. */
  error?: string;
}

/** Options of {@link pingDatabase} and the health indicator. */
export interface PingOptions {
  /**
   * How long to wait for the connection and `select 1` before reporting `down` (ms; a value that
   * is not a positive number falls back to the default).
   * @default 1000
   */
  timeout?: number;
}

const NOT_CONNECTED = 'Connection not established';
const DEFAULT_TIMEOUT_MS = 1000;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Pings one database: opens the connection first if it is not open yet (MikroORM 7 connects
 * lazily), then runs `select 1`; never waits longer than the timeout. Never throws: an unknown
 * key, a tenant template outside a tenant, a closed database or any driver error is reported
 * `down` with its reason (passwords masked).
 */
export async function pingDatabase(db: DbService, key: string, options: PingOptions = {}): Promise<PingResult> {
  const begin = performance.now();
  const timeout = timeoutOf(options);
  let known: Pick<PingResult, 'driver' | 'url'> = {};
  let timer: NodeJS.Timeout | undefined;
  try {
    const { driver, url } = db.info(key);
    known = { driver, url };
    // a closed database's ORM would open a new pool on connect, which nothing would ever close
    if (db.isClosed) throw new Error(messages.pingClosed(key));
    const orm = db.orm(key);
    const attempt = async (): Promise<void> => {
      let check = await orm.checkConnection();
      if (!check.ok && check.reason === NOT_CONNECTED) {
        await orm.connect();
        check = await orm.checkConnection();
      }
      if (!check.ok) throw check.error ?? new Error(check.reason);
    };
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
    });
    await Promise.race([attempt(), expired]);
    return { key, status: 'up', ...known, latencyMs: elapsed(begin) };
  } catch (error) {
    return { key, status: 'down', ...known, latencyMs: elapsed(begin), error: reasonOf(db, key, error) };
  } finally {
    clearTimeout(timer);
  }
}

function timeoutOf(options: PingOptions): number {
  const { timeout } = options;
  if (typeof timeout !== 'number' || !(timeout > 0)) return DEFAULT_TIMEOUT_MS;
  return Math.min(timeout, MAX_TIMER_MS);
}

/** The error's message, scrubbed of the database's secrets (and of any URL's password). */
function reasonOf(db: DbService, key: string, error: unknown): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message || error.name : String(error);
  } catch {
    message = 'unknown error'; // something that cannot even be turned into text
  }
  try {
    return db.redact(key, message);
  } catch {
    return redact(message, []); // the key names no database: no secrets of its own to scrub
  }
}

function elapsed(begin: number): number {
  return Math.round((performance.now() - begin) * 10) / 10;
}
