import { parseArgs } from 'node:util';
import { DbService } from '../db.service.js';
import { DatabaseOperationError, type KeyOutcome, MultiDbError } from '../errors/multi-db.error.js';
import { MigrationService } from '../migrations/migration.service.js';
import { forEachKey } from '../migrations/per-key.js';
import { messages } from '../errors/messages.js';
import { resolveOptions } from '../config/resolve-databases.js';
import { openDatabases } from '../orm/open-databases.js';
import type { TenantDatabases } from '../tenants/tenant-databases.js';
import { COMMANDS, type CommandSpec, type KeyResult } from './commands.js';
import { DEFAULT_CONFIG_FILES, loadConfig } from './config-loader.js';
import { formatLines, formatSummary, type KeyLine, type OutputStream, Progress } from './output.js';
import { expandTargets, selectTargets } from './targets.js';

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
}

const BIN = 'nestjs-multidb';
/** Tenant databases migrated at once unless --concurrency says otherwise. */
const DEFAULT_TENANT_CONCURRENCY = 4;
const ARGS = {
  db: { type: 'string', multiple: true },
  config: { type: 'string', short: 'c' },
  name: { type: 'string' },
  to: { type: 'string' },
  class: { type: 'string' },
  blank: { type: 'boolean' },
  initial: { type: 'boolean' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs one CLI invocation and returns its exit code (0 ok, 1 a database failed or changed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof ARGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: ARGS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${usage()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  const spec = name ? COMMANDS[name] : undefined;
  if (values.help || !name) {
    io.stdout.write(spec && name ? commandHelp(name, spec) : usage());
    return name && !spec ? 2 : 0;
  }
  if (!spec || extra.length > 0) {
    io.stderr.write(`${spec ? `Unexpected argument '${extra[0]}'` : `Unknown command '${name}'`}.\n\n${usage()}`);
    return 2;
  }
  const misplaced = (['name', 'to', 'blank', 'initial', 'class'] as const).find(
    (f) => values[f] !== undefined && !spec.flags.includes(f),
  );
  if (misplaced) {
    io.stderr.write(`${name} does not take --${misplaced}.\n\n${commandHelp(name, spec)}`);
    return 2;
  }
  try {
    return await execute(name, spec, values, io);
  } catch (error) {
    io.stderr.write(`${error instanceof MultiDbError ? error.message : String((error as Error)?.stack ?? error)}\n`);
    return 1;
  }
}

/**
 * How many databases to work on at once. A tenant being migrated holds one of its template's
 * `maxOpen` places, so more tenants than that at once would only queue for a place (and fail with
 * TenantBusyError after `slotTimeout` behind a long migration): never more than the smallest maxOpen.
 */
function concurrencyOf(
  wanted: number | undefined,
  tenants: readonly { template: string }[],
  templates: TenantDatabases,
): number | undefined {
  if (tenants.length === 0) return wanted;
  const places = tenants.map((t) => templates.registry(t.template).template.maxOpen);
  return Math.min(wanted ?? DEFAULT_TENANT_CONCURRENCY, ...places);
}

async function execute(name: string, spec: CommandSpec, values: Record<string, unknown>, io: CliIo): Promise<number> {
  const requested = (values.db as string[] | undefined) ?? [];
  if (spec.db === 'one' && requested.length !== 1) {
    io.stderr.write(`${name} works on exactly one database: name it with --db <key>.\n`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    io.stderr.write(`--concurrency must be a positive integer, got '${String(values.concurrency)}'.\n`);
    return 2;
  }
  const loaded = await loadConfig(values.config as string | undefined, io.cwd);
  // we print one line per database; MikroORM's own migrator log would interleave with it (and break --json)
  const options = { ...loaded.options, migrationOptions: { ...loaded.options.migrationOptions, silent: true } };
  const resolved = resolveOptions(options);
  const plainKeys = resolved.databases.map((c) => c.key);
  const selection = selectTargets(
    requested,
    plainKeys,
    resolved.templates.map((t) => t.key),
  );
  const toStderr = (message: string) => io.stderr.write(`${message}\n`);
  const logger = { log: () => undefined, warn: toStderr, error: toStderr };
  const started = await openDatabases(options, { keys: selection.keys, logger });
  const db = new DbService(started);
  try {
    const targets = await expandTargets(selection, started.tenants);
    for (const { template, tenant } of selection.tenants) {
      if (tenant === '*' && started.tenants.registry(template).list().length === 0) {
        io.stderr.write(`${messages.noTenantsListed(template)}\n`);
      }
    }
    const byName = new Map(targets.map((t) => [t.name, t]));
    const ctx = { db, migrations: new MigrationService(db), flags: values };
    const progress = new Progress(io.stderr, targets.length, name);
    const limit = concurrencyOf(concurrency, selection.tenants, started.tenants);
    let outcomes: KeyOutcome<KeyResult>[];
    try {
      const runOne = async (target: string) => {
        const { key, tenant } = byName.get(target) as { key: string; tenant?: string };
        try {
          return await (tenant === undefined ? spec.run(ctx, key) : db.runForTenant(tenant, () => spec.run(ctx, key)));
        } finally {
          progress.tick();
        }
      };
      outcomes = await forEachKey(name, [...byName.keys()], runOne, undefined, limit);
    } catch (error) {
      if (!(error instanceof DatabaseOperationError)) throw error;
      outcomes = error.outcomes as KeyOutcome<KeyResult>[];
    } finally {
      progress.clear();
    }
    report(name, outcomes.map(unwrap), values.json === true, io, selection.tenants.length > 0);
    return outcomes.every((o) => o.ok && !o.value.changed) ? 0 : 1;
  } finally {
    await db.close();
  }
}

/** A command calls the service for one key, which reports its own single-key failure: show that one. */
function unwrap(outcome: KeyOutcome<KeyResult>): KeyOutcome<KeyResult> {
  if (outcome.ok || !(outcome.error instanceof DatabaseOperationError)) return outcome;
  const inner = outcome.error.outcomes.find((o) => !o.ok);
  return inner && !inner.ok ? { ...outcome, error: inner.error } : outcome;
}

function report(
  command: string,
  outcomes: readonly KeyOutcome<KeyResult>[],
  json: boolean,
  io: CliIo,
  summary: boolean,
): void {
  if (json) {
    const rows = outcomes.map((o) =>
      o.ok
        ? {
            key: o.key,
            ok: true,
            changed: o.value.changed ?? false,
            ms: Math.round(o.ms),
            summary: o.value.summary,
            result: o.value.data,
          }
        : { key: o.key, ok: false, ms: Math.round(o.ms), error: o.error.message },
    );
    io.stdout.write(`${JSON.stringify({ command, ok: outcomes.every((o) => o.ok), databases: rows }, null, 2)}\n`);
    return;
  }
  const lines: KeyLine[] = outcomes.map((o) =>
    o.ok
      ? { key: o.key, status: o.value.changed ? 'changed' : 'ok', summary: o.value.summary, ms: o.ms }
      : { key: o.key, status: 'failed', summary: o.error.message, ms: o.ms },
  );
  if (lines.length > 0) io.stdout.write(formatLines(command, lines));
  if (summary || lines.length > Progress.THRESHOLD) io.stdout.write(formatSummary(command, lines));
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const rows = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.description}`);
  return `Usage: ${BIN} <command> [--db <key> …] [--config <file>] [--json]

Commands:
${rows.join('\n')}

Options:
  --db <key>       a database key; repeat for several; all databases when absent.
                   Tenants: --db '<template>:*' (every known tenant) or --db <template>:<tenant>
  --concurrency <n>  databases worked on at once (default: all configured keys, ${DEFAULT_TENANT_CONCURRENCY} with tenants, at most tenants.maxOpen)
  --config <file>  the module options (default: ${DEFAULT_CONFIG_FILES.join(', ')})
  --json           machine-readable output
  --help           this help, or a command's (${BIN} <command> --help)
`;
}

function commandHelp(name: string, spec: CommandSpec): string {
  const flags: Record<string, string> = {
    name: '--name <name>    appended to the migration file name',
    blank: '--blank          an empty migration to fill by hand',
    initial: '--initial        the whole current schema (marked executed when the tables exist)',
    to: '--to <name>      the migration to stop at',
    class: '--class <name>   the seeder class (default: the configured defaultSeeder)',
  };
  const db =
    spec.db === 'one'
      ? '--db <key>       the database (required, exactly one)'
      : "--db <key>       a database key; repeatable; all when absent; '<template>:*' every tenant";
  return `Usage: ${BIN} ${name} [options]

${spec.description}

Options:
  ${[db, ...spec.flags.map((f) => flags[f])].join('\n  ')}
  --config <file>  the module options (default: ${DEFAULT_CONFIG_FILES.join(', ')})
  --json           machine-readable output
`;
}
