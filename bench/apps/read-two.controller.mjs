/**
 * The endpoint both HTTP apps serve, written once: GET /items/:id reads the item with that id from
 * the SQLite database and from the PostgreSQL database (concurrently) and returns both. The two
 * apps differ only in how they provide the two repositories (their injection tokens).
 */
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { plainItem } from '../lib/entities.mjs';

/**
 * @param {unknown} liteToken injection token of the SQLite repository
 * @param {unknown} pgToken injection token of the PostgreSQL repository
 */
export function readTwoController(liteToken, pgToken) {
  class ItemsController {
    /**
     * @param {import('@mikro-orm/core').EntityRepository<any>} lite
     * @param {import('@mikro-orm/core').EntityRepository<any>} pg
     */
    constructor(lite, pg) {
      this.lite = lite;
      this.pg = pg;
    }

    /** @param {string} id */
    async read(id) {
      const key = Number(id);
      const [lite, pg] = await Promise.all([this.lite.findOne({ id: key }), this.pg.findOne({ id: key })]);
      return { lite: plainItem(lite), pg: plainItem(pg) };
    }
  }
  // the decorators of `@Controller('items') class { constructor(@Inject(a) lite, @Inject(b) pg) … @Get(':id') read(@Param('id') id) }`
  Inject(liteToken)(ItemsController, undefined, 0);
  Inject(pgToken)(ItemsController, undefined, 1);
  const read = Object.getOwnPropertyDescriptor(ItemsController.prototype, 'read');
  Get(':id')(ItemsController.prototype, 'read', /** @type {PropertyDescriptor} */ (read));
  Param('id')(ItemsController.prototype, 'read', 0);
  Controller('items')(ItemsController);
  return ItemsController;
}
