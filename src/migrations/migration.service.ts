import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { type IMigrator, type MigrationDiff, type MigrationRow, Utils } from '@mikro-orm/core';
import { DbService } from '../db.service.js';
import { type KeyOutcome, MigrationsNotInstalledError, MultiDbError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { MULTIDB_MODULE_OPTIONS } from '../multi-db.constants.js';
import type { MultiDbModuleOptions } from '../multi-db.options.js';
import { createSchema, dropSchema, updateSchema } from '../orm/schema-tools.js';
import { assertOpen } from '../orm/seal.js';
import { schemaMigrator } from '../tenants/schema-provisioning.js';
import { forEachKey, onlyValue } from './per-key.js';

/** How to create a migration. */
export interface CreateMigrationOptions {
  /** Appended to the generated file name. */
  name?: string;
  /** An empty migration to fill by hand. */
  blank?: boolean;
  /** The whole current schema; marked as executed when the tables already exist. */
  initial?: boolean;
}

/** A created migration; `fileName` is empty when the entities had no changes. */
export interface CreatedMigration {
  /** The file written under `<directory>/<key>/`; empty when nothing changed. */
  fileName: string;
  /** The migration's source code. */
  code: string;
  /** The schema diff it was made from (MikroORM's `up` and `down` statements). */
  diff: MigrationDiff;
}

/** One database's migrations: executed (with dates) and pending. */
export interface MigrationStatus {
  /** Applied migrations with their dates, oldest first. */
  executed: MigrationRow[];
  /** Names of the migrations not applied yet, in order. */
  pending: string[];
}

/**
 * Per-database migrations with `@mikro-orm/migrations`: database `key` keeps its migrations in
 * `<migrationOptions.directory>/<key>/` and its own history table. Operations over several keys
 * run concurrently, each database on its own; if any fails, a DatabaseOperationError lists every
 * key's outcome. No key means all databases.
 */
@Injectable()
export class MigrationService implements OnModuleInit {
  readonly #logger = new Logger('MultiDbModule');

  constructor(
    private readonly db: DbService,
    @Optional() @Inject(MULTIDB_MODULE_OPTIONS) private readonly options?: MultiDbModuleOptions,
  ) {}

  /** Nest calls it at start-up: with `migrationOptions.runOnStart`, applies every database's pending migrations. */
  async onModuleInit(): Promise<void> {
    if (!this.options?.migrationOptions?.runOnStart) return;
    const away = this.db.unreachableAtStart;
    for (const key of away) this.#logger.warn(messages.runOnStartSkipped(key));
    const keys = this.db.keys.filter((key) => !away.includes(key));
    if (keys.length > 0) await this.up(keys);
  }

  /** Creates a migration for one database from the entity diff (or blank, or initial). */
  async create(key: string, options: CreateMigrationOptions = {}): Promise<CreatedMigration> {
    const outcomes = await this.#run('migration:create', [key], async (k) => {
      const migrator = this.#migrator(k) as SqlMigrator;
      const result = options.initial
        ? await migrator.createInitial(undefined, options.name, options.blank)
        : await migrator.create(undefined, options.blank ?? false, false, options.name);
      return result as CreatedMigration;
    });
    return onlyValue(outcomes);
  }

  /** Applies pending migrations (optionally up to a named one) of the given databases. */
  up(keys: readonly string[] = [], options: { to?: string } = {}): Promise<KeyOutcome<string[]>[]> {
    return this.#run('migration:up', keys, async (k) => {
      const schema = this.#schema(k);
      if (!options.to && !schema) return names(await this.#migrator(k).up());
      return names(await this.#migrator(k).up({ ...(options.to ? { to: options.to } : {}), ...schema }));
    });
  }

  /** Reverts one database's last migration, or every migration after `to` (`to: 0` reverts all). */
  async down(key: string, options: { to?: string | 0 } = {}): Promise<string[]> {
    if (!key) throw new MultiDbError(messages.downNeedsKey());
    const outcomes = await this.#run('migration:down', [key], async (k) =>
      names(
        await this.#migrator(k).down(
          options.to === undefined && !this.#schema(k) ? undefined : { to: options.to, ...this.#schema(k) },
        ),
      ),
    );
    return onlyValue(outcomes);
  }

  /** Executed and pending migrations of the given databases. */
  status(keys: readonly string[] = []): Promise<KeyOutcome<MigrationStatus>[]> {
    return this.#run('migration:list', keys, async (k) => {
      const migrator = this.#migrator(k);
      // one after the other: in a schema tenant each may create the schema's history table
      const executed = await migrator.getExecuted(this.#schema(k));
      const pending = await migrator.getPending(this.#schema(k));
      return { executed, pending: names(pending) };
    });
  }

  /** Pending migration names of the given databases. */
  pending(keys: readonly string[] = []): Promise<KeyOutcome<string[]>[]> {
    return this.#run('migration:pending', keys, async (k) =>
      names(await this.#migrator(k).getPending(this.#schema(k))),
    );
  }

  /** Whether each database's entities differ from what its migrations produce (`true`: a migration is needed). */
  check(keys: readonly string[] = []): Promise<KeyOutcome<boolean>[]> {
    return this.#run('migration:check', keys, (k) => this.#migrator(k).checkSchema());
  }

  /** Schema commands without migrations, per database. */
  schema(action: 'create' | 'drop' | 'update' | 'fresh', keys: readonly string[] = []): Promise<KeyOutcome<void>[]> {
    const run = { create: createSchema, drop: dropSchema, update: updateSchema, fresh: freshSchema }[action];
    // a schema tenant's tables are its schema's (the template's one ORM serves every tenant)
    return this.#run(`schema:${action}`, keys, (k) => run(this.db.orm(k), this.db.tenantSchema(k)));
  }

  async #run<T>(operation: string, keys: readonly string[], fn: (key: string) => Promise<T>): Promise<KeyOutcome<T>[]> {
    const selected = keys.length === 0 ? this.db.keys : [...new Set(keys)];
    for (const key of selected) assertOpen(this.db.orm(key)); // unknown or closed keys fail before anything runs
    return forEachKey(operation, selected, fn, (key, text) => this.db.redact(key, text));
  }

  /** A schema-mode tenant's migrations run in its schema, with the history table there. */
  #schema(key: string): { schema: string } | undefined {
    const schema = this.db.tenantSchema(key);
    return schema === undefined ? undefined : { schema };
  }

  #migrator(key: string): IMigrator {
    try {
      // schema tenants share one ORM: each run gets a Migrator of its own (schema-provisioning.ts)
      if (this.db.tenantSchema(key) !== undefined) return schemaMigrator(this.db.orm(key)) ?? this.db.orm(key).migrator;
      return this.db.orm(key).migrator;
    } catch (error) {
      if (error instanceof MultiDbError) throw error;
      throw new MigrationsNotInstalledError(messages.migrationsNotInstalled(key, Utils.getORMVersion()), { key });
    }
  }
}

async function freshSchema(orm: Parameters<typeof createSchema>[0], schema?: string): Promise<void> {
  await dropSchema(orm, schema);
  await createSchema(orm, schema);
}

/** `@mikro-orm/migrations`' Migrator takes a name (and blank) for initial migrations too. */
interface SqlMigrator extends IMigrator {
  createInitial(path?: string, name?: string, blank?: boolean): Promise<CreatedMigration>;
}

function names(list: readonly { name: string }[]): string[] {
  return list.map((m) => m.name);
}
