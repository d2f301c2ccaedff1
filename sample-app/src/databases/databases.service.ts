import { Injectable } from '@nestjs/common';
import { DbService, pingDatabase, type PingResult } from 'nestjs-multidb';

export interface TableCount {
  table: string;
  entity: string;
  rows: number | null;
}

export interface DatabaseReport extends PingResult {
  tables: TableCount[];
}

/** What each database is and holds: driver, masked URL, health, tables with their row counts. */
@Injectable()
export class DatabasesService {
  constructor(private readonly db: DbService) {}

  report(): Promise<DatabaseReport[]> {
    return Promise.all(this.db.keys.map((key) => this.#describe(key)));
  }

  async #describe(key: string): Promise<DatabaseReport> {
    const ping = await pingDatabase(this.db, key, { timeout: 1000 });
    const em = this.db.em(key);
    const tables = await Promise.all(
      this.db.entitiesOf(key).map(async (entity) => {
        const meta = this.db.orm(key).getMetadata(entity as never);
        const rows = ping.status === 'up' ? await em.count(meta.class).catch(() => null) : null;
        return { table: meta.tableName, entity: meta.className, rows };
      }),
    );
    return { ...ping, tables: tables.sort((a, b) => a.table.localeCompare(b.table)) };
  }
}
