/**
 * Runs around every e2e test file: turns MikroORM's debug logging on for every ORM, captures every
 * line MikroORM, Nest's logger and the console write, and fails the test (or hook) during which a
 * password of a throwaway server shows up in any of them — raw or %-encoded (docs/configuration.md: Database URLs, masking).
 * Child processes (the CLI tests) are not covered here; those tests check their own output.
 */
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { DefaultLogger, type LoggerOptions } from '@mikro-orm/core';
import { afterAll, afterEach, inject } from 'vitest';

interface Sweep {
  /** Lines captured since the last check. */
  lines: string[];
  /** How many MikroORM debug lines were captured in this file (the sweep checks itself with it). */
  mikroOrmLines: number;
}
const sweep: Sweep = { lines: [], mikroOrmLines: 0 };
(globalThis as { __multidbSweep?: Sweep }).__multidbSweep = sweep;

/** Every throwaway server's password looks like this (src/testing/server-process.ts); %-encoding leaves it as it is. */
const THROWAWAY_PASSWORD = /pw_[0-9a-f]{24}/;
const known = [inject('postgres').password, inject('mariadb').password];
const record = (...parts: unknown[]) => {
  sweep.lines.push(parts.map((p) => (p instanceof Error ? `${p.message}\n${p.stack}` : String(p))).join(' '));
};

// MikroORM: debug on for every ORM, each line captured and still handed to the ORM's own logger, if
// any. Hooked where every ORM gets its logger (Configuration calls DefaultLogger.create), so that ORMs
// created without MikroORM.init are covered too: tenant ORMs and those sharing metadata (#15).
const create = DefaultLogger.create;
DefaultLogger.create = (options: LoggerOptions) => {
  // MikroORM's default writer is console.log.bind(console): only a logger the options gave is called
  const own = options.writer.name === 'bound log' ? undefined : options.writer;
  const writer = (message: string) => {
    sweep.mikroOrmLines++;
    record(message);
    own?.(message);
  };
  return create({ ...options, debugMode: true, writer });
};

// Nest: whatever logger an application asks for (also `logger: false`), every line is captured too
const override = Logger.overrideLogger.bind(Logger);
const capturing = (inner: LoggerService | undefined): LoggerService => {
  const level =
    (name: keyof LoggerService) =>
    (...args: unknown[]) => {
      record(name, ...args);
      (inner?.[name] as ((...a: unknown[]) => void) | undefined)?.apply(inner, args);
    };
  return {
    log: level('log'),
    error: level('error'),
    warn: level('warn'),
    debug: level('debug'),
    verbose: level('verbose'),
    fatal: level('fatal'),
  };
};
Logger.overrideLogger = ((logger: LoggerService | string[] | boolean) => {
  if (Array.isArray(logger)) return override(logger as never);
  return override(capturing(typeof logger === 'object' ? logger : undefined));
}) as typeof Logger.overrideLogger;
override(capturing(new ConsoleLogger()));

// the console and the process' own streams (drivers, Node warnings)
for (const name of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[name].bind(console);
  console[name] = (...args: unknown[]) => {
    record(...args);
    original(...args);
  };
}
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    record(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

function check(where: string): void {
  const lines = sweep.lines.splice(0);
  const leak = lines.find((line) => THROWAWAY_PASSWORD.test(line) || known.some((p) => line.includes(p)));
  if (leak) {
    const shown = leak.replace(new RegExp(THROWAWAY_PASSWORD, 'g'), 'pw_<password>').slice(0, 500);
    throw new Error(`A password appeared in what ${where} logged or printed:\n${shown}`);
  }
}

afterEach((context) => {
  const errors = context.task.result?.errors ?? [];
  for (const error of errors) record(error.message, error.stack);
  check(`test '${context.task.name}'`);
});
afterAll(() => check('the hooks of this file'));
