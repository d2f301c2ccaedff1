import { redact } from '../config/mask.js';
import { CliUsageError } from '../errors/config-errors.js';
import { DatabaseMissingError, MultiDbError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { OutputStream } from './output.js';

/** `password=…`, `"secret": "…"` and the like outside URLs (maskUrl handles URLs). */
const SECRET_ASSIGNMENTS = /\b(password|passwd|pwd|secret|token)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi;

/** Masks URLs' passwords, the given secrets and `password=…` pairs in a text we did not write. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return redact(text, secrets).replace(SECRET_ASSIGNMENTS, '$1$2***');
}

const MAX_CAUSES = 4;

/** How the CLI shows a failure: one scrubbed line on stderr, or one JSON object on stdout. */
export class Failures {
  /** The command being run, once it is known. */
  command: string | undefined;
  /** Whether the command creates missing databases (a missing one is explained otherwise). */
  createsDatabase = true;
  /** Every configured database's secrets, once the config is loaded. */
  secrets: readonly string[] = [];

  constructor(
    private readonly io: { stdout: OutputStream; stderr: OutputStream },
    private readonly mode: { json: boolean; verbose: boolean },
  ) {}

  /** Masks URLs' passwords, the configured databases' secrets and `password=…` pairs. */
  scrub(text: string): string {
    return scrubSecrets(text, this.secrets);
  }

  /**
   * One line saying what went wrong: our own errors as they are; for one database's line (`line`),
   * a driver's error by its message; for the whole run, anything else named as unexpected.
   */
  explain(error: unknown, line = false): string {
    let text: string;
    if (error instanceof DatabaseMissingError && !this.createsDatabase && this.command && error.key) {
      text = messages.cliDatabaseMissing(this.command, error.key, error.url, error.database, error.file);
    } else if (error instanceof MultiDbError || (line && error instanceof Error)) {
      text = error.message || error.name;
    } else {
      const hint = this.mode.verbose ? '' : ' (run again with --verbose to see its stack)';
      text = `Unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : `failure: ${safeString(error)}`}${hint}`;
    }
    return this.scrub(text.replace(/\s*\n\s*/g, ' ').trim());
  }

  /** A usage error: exit code 2, with the help that applies. */
  usage(error: string | MultiDbError, help: string): number {
    this.#print(typeof error === 'string' ? new CliUsageError(error) : error, help);
    return 2;
  }

  /** Any other failure of the whole run: exit code 1. */
  fail(error: unknown): number {
    this.#print(error);
    return 1;
  }

  #print(error: unknown, help?: string): void {
    const message = this.explain(error);
    const stack = this.mode.verbose ? this.#stack(error) : undefined;
    if (this.mode.json) {
      const { name, key } =
        error instanceof Error ? (error as Error & { key?: string }) : { name: 'Error', key: undefined };
      const body = { name, message, ...(key === undefined ? {} : { key }), ...(stack ? { stack } : {}) };
      this.io.stdout.write(
        `${JSON.stringify({ command: this.command ?? null, ok: false, error: body, databases: [] }, null, 2)}\n`,
      );
      return;
    }
    this.io.stderr.write(`${message}\n${stack ? `${stack}\n` : ''}${help ? `\n${help}` : ''}`);
  }

  /** The stack of the error and of its causes, scrubbed. */
  #stack(error: unknown): string | undefined {
    const parts: string[] = [];
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < MAX_CAUSES; e = e.cause, depth++) {
      if (e.stack) parts.push(`${depth === 0 ? '' : 'Caused by: '}${this.scrub(e.stack)}`);
    }
    return parts.length > 0 ? parts.join('\n') : undefined;
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return 'a value that cannot be shown';
  }
}
