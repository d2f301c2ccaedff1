/**
 * Scenarios 3 and 3b, side B: the same app on @mikro-orm/nestjs, as its docs describe several
 * databases: one MikroOrmModule.forRoot per database with a contextName and
 * registerRequestContext: false, MikroOrmModule.forMiddleware() for one request context over all
 * of them, and forFeature per context for the repositories. Each of `extraSqliteFiles` (3b) is one
 * more forRoot context (an entity of its own) that the endpoint never touches.
 */
import { MikroOrmModule, getRepositoryToken } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { pgOptions } from '../lib/config.mjs';
import { itemSchema } from '../lib/entities.mjs';
import { makeModule } from '../lib/nest.mjs';
import { readTwoController } from './read-two.controller.mjs';

/** @param {{ sqliteFile: string, pgUrl: string, extraSqliteFiles?: string[] }} env */
export function createModule(env) {
  const PgItem = itemSchema({ name: 'PgItem' });
  const LiteItem = itemSchema({ name: 'LiteItem' });
  const extras = (env.extraSqliteFiles ?? []).map((file, i) =>
    MikroOrmModule.forRoot({
      contextName: `extra${i}`,
      registerRequestContext: false,
      driver: SqliteDriver,
      dbName: file,
      entities: [itemSchema({ name: `Extra${i}Item` })],
    }),
  );
  return makeModule('MikroOrmNestjsHttpApp', {
    imports: [
      MikroOrmModule.forRoot({
        contextName: 'pg',
        registerRequestContext: false,
        driver: PostgreSqlDriver,
        ...pgOptions(env.pgUrl),
        entities: [PgItem],
      }),
      MikroOrmModule.forRoot({
        contextName: 'lite',
        registerRequestContext: false,
        driver: SqliteDriver,
        dbName: env.sqliteFile,
        entities: [LiteItem],
      }),
      ...extras,
      MikroOrmModule.forFeature([PgItem], 'pg'),
      MikroOrmModule.forFeature([LiteItem], 'lite'),
      MikroOrmModule.forMiddleware(),
    ],
    controllers: [readTwoController(getRepositoryToken(LiteItem, 'lite'), getRepositoryToken(PgItem, 'pg'))],
  });
}
