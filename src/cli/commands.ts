import type { DbService } from '../db.service.js';
import type { MigrationService } from '../migrations/migration.service.js';
import { onlyValue } from '../migrations/per-key.js';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';

/** What a command gets: the services over the opened databases and the parsed flags. */
export interface CommandContext {
  db: DbService;
  migrations: MigrationService;
  flags: { name?: string; blank?: boolean; initial?: boolean; to?: string; class?: string; confirm?: string };
}

/** What a command did for one database. */
export interface KeyResult {
  summary: string;
  data: unknown;
  /** The database needs attention (a migration to create): the command exits non-zero. */
  changed?: boolean;
}

export interface CommandSpec {
  description: string;
  /** `many`: any number of --db (all when absent); `one`: exactly one --db. */
  db: 'many' | 'one';
  flags: ReadonlyArray<'name' | 'blank' | 'initial' | 'to' | 'class' | 'confirm'>;
  /**
   * Whether a missing database is created first (MikroORM's ensureDatabase), as commands that build
   * a schema need. The others (read-only ones, and those that only undo) report it missing instead.
   */
  createsDatabase: boolean;
  run(ctx: CommandContext, key: string): Promise<KeyResult>;
}

const list = (names: readonly string[]): string =>
  names.length === 0 ? 'none' : `${names.length}: ${names.join(', ')}`;

const schema = (action: 'create' | 'drop' | 'update' | 'fresh', description: string, done: string): CommandSpec => ({
  description,
  db: 'many',
  flags: [],
  createsDatabase: action !== 'drop',
  run: async ({ migrations }, key) => {
    await migrations.schema(action, [key]);
    return { summary: done, data: null };
  },
});

/** Every command, built from one table (help, argument checks and output come from it). */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  'migration:create': {
    description: 'Create a migration from the entity diff (or --blank, or --initial) in <directory>/<key>/',
    db: 'many',
    flags: ['name', 'blank', 'initial'],
    createsDatabase: true,
    run: async ({ migrations, flags }, key) => {
      const created = await migrations.create(key, { name: flags.name, blank: flags.blank, initial: flags.initial });
      return {
        summary: created.fileName ? `created ${created.fileName}` : 'no changes, nothing created',
        data: { fileName: created.fileName || null, up: created.diff.up, down: created.diff.down },
      };
    },
  },
  'migration:up': {
    description: 'Apply pending migrations (--to <name> stops after that one)',
    db: 'many',
    flags: ['to'],
    createsDatabase: true,
    run: async ({ migrations, flags }, key) => {
      const applied = onlyValue(await migrations.up([key], { to: flags.to }));
      return { summary: `applied ${list(applied)}`, data: { applied } };
    },
  },
  'migration:down': {
    description: 'Revert the last migration of one database (--to <name> reverts every one after it; --to 0 all)',
    db: 'one',
    flags: ['to'],
    createsDatabase: false,
    run: async ({ migrations, flags }, key) => {
      const to = flags.to === '0' ? 0 : flags.to;
      const reverted = await migrations.down(key, { to });
      return { summary: `reverted ${list(reverted)}`, data: { reverted } };
    },
  },
  'migration:list': {
    description: 'List executed migrations per database, with their dates',
    db: 'many',
    flags: [],
    createsDatabase: false,
    run: async ({ migrations }, key) => {
      const status = onlyValue(await migrations.status([key]));
      const executed = status.executed.map((m) => `${m.name} @ ${new Date(m.executed_at).toISOString()}`);
      return {
        summary: `executed ${list(executed)}; pending ${status.pending.length}`,
        data: {
          executed: status.executed.map((m) => ({ name: m.name, executedAt: m.executed_at })),
          pending: status.pending,
        },
      };
    },
  },
  'migration:pending': {
    description: 'List pending migrations per database',
    db: 'many',
    flags: [],
    createsDatabase: false,
    run: async ({ migrations }, key) => {
      const pending = onlyValue(await migrations.pending([key]));
      return { summary: `pending ${list(pending)}`, data: { pending } };
    },
  },
  'migration:check': {
    description: 'Check whether the entities differ from what the migrations produce (exit 1 if any does)',
    db: 'many',
    flags: [],
    createsDatabase: false,
    run: async ({ migrations }, key) => {
      const changed = onlyValue(await migrations.check([key]));
      const summary = changed
        ? `entities differ from the migrations: run migration:create --db ${key}`
        : 'entities match the migrations';
      return { summary, data: { changed }, changed };
    },
  },
  'seed:run': {
    description: "Run a seeder (--class, default: the database's defaultSeeder) from <seederOptions.directory>/<key>/",
    db: 'one',
    flags: ['class'],
    createsDatabase: false,
    run: async ({ db, flags }, key) => {
      const orm = db.orm(key);
      const seeder = flags.class ?? orm.config.get('seeder').defaultSeeder ?? 'DatabaseSeeder';
      await orm.seeder.seedString(seeder);
      return { summary: `ran ${seeder}`, data: { seeder } };
    },
  },
  'tenant:create': {
    description: "Create schema-mode tenants' schemas and migrate them (--db '<template>:<tenant>', several allowed)",
    db: 'many',
    flags: [],
    createsDatabase: true,
    run: async ({ db }, key) => {
      const tenant = tenantOf(db, key);
      const applied = await db.tenants.create(tenant, key);
      return { summary: `schema ${db.tenantSchema(key)} ready, applied ${list(applied)}`, data: { applied } };
    },
  },
  'tenant:drop': {
    description: "Drop a schema-mode tenant's schema and its rows (--db '<template>:<tenant>' --confirm <tenant>)",
    db: 'one',
    flags: ['confirm'],
    createsDatabase: false,
    run: async ({ db, flags }, key) => {
      const tenant = tenantOf(db, key);
      const schema = db.tenantSchema(key);
      await db.tenants.drop(tenant, { confirm: flags.confirm ?? '' }, key);
      return { summary: `schema ${schema} dropped`, data: { schema } };
    },
  },
  'schema:create': schema(
    'create',
    "Create the entities' missing tables (existing tables and rows are kept)",
    'missing tables created',
  ),
  'schema:drop': schema('drop', "Drop the registered entities' tables (nothing else)", 'entity tables dropped'),
  'schema:update': schema(
    'update',
    'Update tables to match the entities (never drops a table it does not own)',
    'schema updated',
  ),
  'schema:fresh': schema('fresh', "Drop and recreate the entities' tables (their rows are lost)", 'tables recreated'),
};

/** The tenant a `--db '<template>:<tenant>'` line runs for; a plain key names no tenant. */
function tenantOf(db: CommandContext['db'], key: string): string {
  const tenant = db.currentTenant;
  if (tenant === undefined) throw new InvalidOptionsError(messages.tenantSelectorNeeded(key), { key });
  return tenant;
}
