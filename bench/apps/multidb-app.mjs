/**
 * Scenario 3, side A: nestjs-multidb. PostgreSQL is `default`, SQLite is `lite`; the repositories
 * come from @InjectRepository; MultiDbModule's own middleware opens the request context.
 */
import { itemSchema } from '../lib/entities.mjs';
import { multidb } from '../lib/multidb.mjs';
import { makeModule } from '../lib/nest.mjs';
import { readTwoController } from './read-two.controller.mjs';

/** @param {{ sqliteFile: string, pgUrl: string }} env */
export function createModule(env) {
  const PgItem = itemSchema({ name: 'PgItem' });
  const LiteItem = itemSchema({ name: 'LiteItem', database: 'lite' });
  return makeModule('MultiDbHttpApp', {
    imports: [
      multidb.MultiDbModule.setup({
        databases: { default: env.pgUrl, lite: `sqlite:///${env.sqliteFile}` },
        entities: [PgItem, LiteItem],
      }),
    ],
    controllers: [readTwoController(multidb.getRepositoryToken(LiteItem), multidb.getRepositoryToken(PgItem))],
  });
}
