import { EntitySchema } from '@mikro-orm/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import {
  DatabaseClosedError,
  InvalidOptionsError,
  MultiDbModule,
  type MultiDbSetupOptions,
  PoolTimeoutError,
} from 'nestjs-multidb';
import { bootLogged, rejection } from '../fixtures/boot.js';

interface Item {
  id: number;
}
const Item = new EntitySchema<Item>({
  name: 'Item',
  tableName: 'items',
  properties: { id: { type: 'number', primary: true } },
});

describe('closing (issue #14): SQLite, one connection', () => {
  it.each([
    ['-1', { default: { url: 'sqlite://', shutdownTimeout: -1 } }, {}, "'default.shutdownTimeout'", 'got -1'],
    [
      "'5s'",
      { default: 'sqlite://', auth: { url: 'sqlite://', shutdownTimeout: '5s' } },
      {},
      "'auth.shutdownTimeout'",
      'got a string',
    ],
    [
      'Infinity (in common)',
      { default: 'sqlite://' },
      { shutdownTimeout: Number.POSITIVE_INFINITY },
      "'default.shutdownTimeout'",
      'got Infinity',
    ],
  ])('shutdownTimeout %s stops start-up naming the key', async (_, databases, common, ...parts) => {
    const error = await rejection(
      (async () =>
        Test.createTestingModule({
          imports: [MultiDbModule.setup({ databases, common } as MultiDbSetupOptions)],
        }).compile())(),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    for (const part of parts) expect(error.message).toContain(part);
  });

  it('a transaction left open holds its one connection until the deadline; a query queued behind it fails as closed, not after acquireTimeout', async () => {
    const { app, db, warnings } = await bootLogged({
      databases: { default: { url: 'sqlite://', shutdownTimeout: 200, acquireTimeout: 60_000 } },
      entities: [Item],
    });
    await db.createAll();
    const holder = db.em().fork();
    await holder.begin();
    await holder.insert(Item, { id: 1 });
    // SQLite has one connection: this query waits for the transaction (up to acquireTimeout)
    const queued = db.em().fork().count(Item, {});
    const closing = db.close();

    const refused = await rejection(queued);
    await closing;
    expect(refused).toBeInstanceOf(DatabaseClosedError);
    expect(refused).not.toBeInstanceOf(PoolTimeoutError);
    expect(warnings.filter((w) => w.includes('still busy'))).toEqual([
      expect.stringContaining(
        "Database 'default': 1 connection was still busy (an open transaction or a running query) 200 ms",
      ),
    ]);
    // after close nothing reopens it: no fresh in-memory database behind the closed one
    const after = await rejection(db.em().fork().count(Item, {}));
    expect(after).toBeInstanceOf(DatabaseClosedError);
    expect((after as DatabaseClosedError).key).toBe('default');
    await app.close();
  });

  it('close() is idempotent, and a closed database refuses schema tools with its key before touching anything', async () => {
    const { app, db } = await bootLogged({ databases: { default: 'sqlite://', meta: 'sqlite://' }, entities: [Item] });
    await Promise.all([db.close(), db.close()]);
    for (const work of [() => db.createAll(), () => db.dropAll('meta'), () => db.orm('meta').connect()]) {
      const error = await rejection(work());
      expect(error).toBeInstanceOf(DatabaseClosedError);
      expect(error.message).toMatch(/^Database '(default|meta)' is closed/);
    }
    await app.close();
  });
});
