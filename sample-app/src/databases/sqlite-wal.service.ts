import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DbService } from 'nestjs-multidb';

/**
 * Switches every SQLite file to write-ahead logging once the databases are up: in the default
 * rollback-journal mode each commit waits for its own fsync (docs/production.md: Production notes).
 */
@Injectable()
export class SqliteWalService implements OnApplicationBootstrap {
  constructor(private readonly db: DbService) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const key of this.db.keys) {
      if (this.db.info(key).driver !== 'sqlite') continue;
      const connection = this.db.orm(key).em.getConnection() as unknown as { execute(sql: string): Promise<unknown> };
      await connection.execute('pragma journal_mode = wal');
    }
  }
}
