/**
 * Scenarios 3 and 3b, side A: nestjs-multidb. PostgreSQL is `default`, SQLite is `lite`, and each
 * of `extraSqliteFiles` (3b) is one more database (`extra0`…, an entity of its own) that the
 * endpoint never touches; the repositories come from @InjectRepository; MultiDbModule's own
 * middleware opens the request context.
 */
import { itemSchema } from '../lib/entities.mjs';
import { multidb } from '../lib/multidb.mjs';
import { makeModule } from '../lib/nest.mjs';
import { readTwoController } from './read-two.controller.mjs';

/** @param {{ sqliteFile: string, pgUrl: string, extraSqliteFiles?: string[] }} env */
export function createModule(env) {
  const PgItem = itemSchema({ name: 'PgItem' });
  const LiteItem = itemSchema({ name: 'LiteItem', database: 'lite' });
  const extras = (env.extraSqliteFiles ?? []).map((file, i) => ({
    key: `extra${i}`,
    url: `sqlite:///${file}`,
    entity: itemSchema({ name: `Extra${i}Item`, database: `extra${i}` }),
  }));
  return makeModule('MultiDbHttpApp', {
    imports: [
      multidb.MultiDbModule.setup({
        databases: {
          default: env.pgUrl,
          lite: `sqlite:///${env.sqliteFile}`,
          ...Object.fromEntries(extras.map((e) => [e.key, e.url])),
        },
        entities: [PgItem, LiteItem, ...extras.map((e) => e.entity)],
      }),
    ],
    controllers: [readTwoController(multidb.getRepositoryToken(LiteItem), multidb.getRepositoryToken(PgItem))],
  });
}
