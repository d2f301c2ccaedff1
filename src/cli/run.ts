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
import { loadConfig } from './config-loader.js';
import { Failures } from './failures.js';
import { commandHelp, DEFAULT_TENANT_CONCURRENCY, usage } from './help.js';
import { formatLines, formatSummary, type KeyLine, type OutputStream, Progress } from './output.js';
import { expandTargets, selectTargets } from './targets.js';

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  cwd: string;
}

const ARGS = {
  db: { type: 'string', multiple: true },
  config: { type: 'string', short: 'c' },
  name: { type: 'string' },
  to: { type: 'string' },
  class: { type: 'string' },
  blank: { type: 'boolean' },
  initial: { type: 'boolean' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  concurrency: { type: 'string' },
  confirm: { type: 'string' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Runs one CLI invocation and returns its exit code (0 ok, 1 a database failed or changed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // read before parsing: even a command line that does not parse answers in the form asked for
  const json = argv.includes('--json');
  const failures = new Failures(io, { json, verbose: argv.includes('--verbose') });
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof ARGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: ARGS, allowPositionals: true, strict: true });
  } catch (error) {
    return failures.usage((error as Error).message, usage());
  }
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  const spec = name ? COMMANDS[name] : undefined;
  if (name && !spec) return failures.usage(`Unknown command '${name}'.`, usage());
  failures.command = name;
  if (values.help || !name || !spec) {
    const help = spec && name ? commandHelp(name, spec) : usage();
    io.stdout.write(json ? `${JSON.stringify({ command: name ?? null, ok: true, help }, null, 2)}\n` : help);
    return 0;
  }
  failures.createsDatabase = spec.createsDatabase;
  if (extra.length > 0) return failures.usage(`Unexpected argument '${extra[0]}'.`, usage());
  const misplaced = (['name', 'to', 'blank', 'initial', 'class', 'confirm'] as const).find(
    (f) => values[f] !== undefined && !spec.flags.includes(f),
  );
  if (misplaced) return failures.usage(`${name} does not take --${misplaced}.`, commandHelp(name, spec));
  try {
    return await execute(name, spec, values, io, failures);
  } catch (error) {
    return failures.fail(error);
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

async function execute(
  name: string,
  spec: CommandSpec,
  values: Record<string, unknown>,
  io: CliIo,
  failures: Failures,
): Promise<number> {
  const requested = (values.db as string[] | undefined) ?? [];
  if (spec.db === 'one' && requested.length !== 1) {
    return failures.usage(`${name} works on exactly one database: name it with --db <key>.`, commandHelp(name, spec));
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    const got = String(values.concurrency);
    return failures.usage(`--concurrency must be a positive integer, got '${got}'.`, commandHelp(name, spec));
  }
  const loaded = await loadConfig(values.config as string | undefined, io.cwd);
  // we print one line per database; MikroORM's own migrator log would interleave with it (and break --json)
  const options = { ...loaded.options, migrationOptions: { ...loaded.options.migrationOptions, silent: true } };
  const resolved = resolveOptions(options);
  failures.secrets = resolved.databases.flatMap((c) => c.secrets);
  const plainKeys = resolved.databases.map((c) => c.key);
  let selection: ReturnType<typeof selectTargets>;
  try {
    selection = selectTargets(
      requested,
      plainKeys,
      resolved.templates.map((t) => t.key),
    );
  } catch (error) {
    if (error instanceof MultiDbError) return failures.usage(error, commandHelp(name, spec));
    throw error;
  }
  const toStderr = (message: string) => io.stderr.write(`${failures.scrub(message)}\n`);
  const logger = { log: () => undefined, warn: toStderr, error: toStderr };
  const ensureDatabase = spec.createsDatabase ? undefined : false;
  const started = await openDatabases(options, { keys: selection.keys, logger, ensureDatabase });
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
    const progress = new Progress(io.stderr, targets.length, name, values.progress === true);
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
    report(name, outcomes.map(unwrap), io, failures, {
      json: values.json === true,
      summary: selection.tenants.length > 0,
    });
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
  io: CliIo,
  failures: Failures,
  { json, summary }: { json: boolean; summary: boolean },
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
        : { key: o.key, ok: false, ms: Math.round(o.ms), error: failures.explain(o.error, true) },
    );
    io.stdout.write(`${JSON.stringify({ command, ok: outcomes.every((o) => o.ok), databases: rows }, null, 2)}\n`);
    return;
  }
  const lines: KeyLine[] = outcomes.map((o) =>
    o.ok
      ? { key: o.key, status: o.value.changed ? 'changed' : 'ok', summary: o.value.summary, ms: o.ms }
      : { key: o.key, status: 'failed', summary: failures.explain(o.error, true), ms: o.ms },
  );
  if (lines.length > 0) io.stdout.write(formatLines(command, lines));
  if (summary || lines.length > Progress.THRESHOLD) io.stdout.write(formatSummary(command, lines));
}
