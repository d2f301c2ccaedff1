import type { Constructor } from '@mikro-orm/core';
import type { DbService } from '../db.service.js';
import { forEachKey } from '../migrations/per-key.js';

/**
 * Empties the registered entities' tables of the given databases (all when none given), keeping
 * the schema; identity columns start again at 1 where the database resets them on truncate
 * (PostgreSQL, MySQL/MariaDB; SQLite's autoincrement counters are reset too).
 */
export async function truncateAll(db: DbService, ...keys: string[]): Promise<void> {
  await forEachKey('truncateAll', keys.length > 0 ? keys : db.keys, async (key) => {
    const orm = db.orm(key);
    await orm.schema.clear({ truncate: true });
    if (orm.config.getPlatform().constructor.name.includes('Sqlite')) {
      const tables = orm.getMetadata().getAll();
      const names = [...tables.values()].map((m) => `'${m.tableName}'`).join(', ');
      const exists = await orm.em.getConnection().execute("select 1 from sqlite_master where name = 'sqlite_sequence'");
      if (names && exists.length > 0) await orm.schema.execute(`delete from sqlite_sequence where name in (${names})`);
    }
  });
}

/** Runs a `@mikro-orm/seeder` seeder against one database. */
export async function seed(db: DbService, key: string, seeder: Constructor<unknown>): Promise<void> {
  await db.orm(key).seeder.seed(seeder as never);
}
