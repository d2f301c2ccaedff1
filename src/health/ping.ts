import type { DbService } from '../db.service.js';
import type { DriverName } from '../config/database-url.js';

/** How one database answered a ping; safe to show (masked URL, scrubbed error). */
export interface PingResult {
  key: string;
  status: 'up' | 'down';
  driver: DriverName;
  /** The URL with its password masked. */
  url: string;
  /** Round trip of the ping, or time until it failed or timed out. */
  latencyMs: number;
  /** Why it is down. */
  error?: string;
}

export interface PingOptions {
  /**
   * How long to wait for the connection and `select 1` before reporting `down`.
   * @default 1000
   */
  timeout?: number;
}

const NOT_CONNECTED = 'Connection not established';

/**
 * Pings one database: opens the connection first if it is not open yet (MikroORM 7 connects
 * lazily), then runs `select 1`; never waits longer than the timeout, never throws.
 */
export async function pingDatabase(db: DbService, key: string, options: PingOptions = {}): Promise<PingResult> {
  const { driver, url } = db.info(key);
  const timeout = options.timeout ?? 1000;
  const orm = db.orm(key);
  const begin = performance.now();
  let timer: NodeJS.Timeout | undefined;
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
  try {
    await Promise.race([attempt(), expired]);
    return { key, status: 'up', driver, url, latencyMs: elapsed(begin) };
  } catch (error) {
    const message = error instanceof Error ? error.message || error.name : String(error);
    return { key, status: 'down', driver, url, latencyMs: elapsed(begin), error: db.redact(key, message) };
  } finally {
    clearTimeout(timer);
  }
}

function elapsed(begin: number): number {
  return Math.round((performance.now() - begin) * 10) / 10;
}
