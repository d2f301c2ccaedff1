import type { CommandSpec } from './commands.js';
import { COMMANDS } from './commands.js';
import { DEFAULT_CONFIG_FILES } from './config-loader.js';

export const BIN = 'nestjs-multidb';
/** Tenant databases migrated at once unless --concurrency says otherwise. */
export const DEFAULT_TENANT_CONCURRENCY = 4;

/** The overview: every command, every common option, the exit codes. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const rows = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.description}`);
  return `Usage: ${BIN} <command> [--db <key> …] [--config <file>] [--json] [--verbose]

Commands:
${rows.join('\n')}

Options:
  --db <key>       a database key; repeat for several; all databases when absent.
                   Tenants: --db '<template>:*' (every known tenant) or --db <template>:<tenant>
  --concurrency <n>  databases worked on at once (default: all configured keys, ${DEFAULT_TENANT_CONCURRENCY} with tenants, at most tenants.maxOpen)
  --config <file>  the module options (default: ${DEFAULT_CONFIG_FILES.join(', ')})
  --json           machine-readable output on stdout, failures included
  --verbose        with a failure, also its stack (passwords masked)
  --progress       draw the progress bar (over more than 5 databases) also when stderr is no terminal
  --help           this help, or a command's (${BIN} <command> --help)

Exit codes: 0 done, 1 a database failed (or migration:check found changes), 2 usage error.
`;
}

/** One command's help, from its table entry. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const flags: Record<string, string> = {
    name: '--name <name>    appended to the migration file name',
    blank: '--blank          an empty migration to fill by hand',
    initial: '--initial        the whole current schema (marked executed when the tables exist)',
    to: '--to <name>      the migration to stop at',
    class: '--class <name>   the seeder class (default: the configured defaultSeeder)',
    confirm: '--confirm <tenant>  the tenant key again: dropping deletes its schema and rows',
  };
  const db =
    spec.db === 'one'
      ? '--db <key>       the database (required, exactly one)'
      : "--db <key>       a database key; repeatable; all when absent; '<template>:*' every tenant";
  const creates = spec.createsDatabase
    ? 'A missing database is created first (ensureDatabase).'
    : 'Never creates a database: a missing one is reported.';
  return `Usage: ${BIN} ${name} [options]

${spec.description}
${creates}

Options:
  ${[db, ...spec.flags.map((f) => flags[f])].join('\n  ')}
  --config <file>  the module options (default: ${DEFAULT_CONFIG_FILES.join(', ')})
  --json           machine-readable output on stdout, failures included
  --verbose        with a failure, also its stack (passwords masked)
`;
}
