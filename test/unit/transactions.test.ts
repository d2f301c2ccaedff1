import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidOptionsError,
  MultiDbTransactional,
  type MultiDbSetupOptions,
  TransactionSetupError,
  UnknownDatabaseError,
} from 'nestjs-multidb';
import { type Booted, boot, memoryDatabases, rejection } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

const entities = [Post, User];
let booted: Booted | undefined;

async function start(options: Partial<MultiDbSetupOptions> = {}): Promise<Booted> {
  booted = await boot({ databases: memoryDatabases, entities, ...options });
  await booted.db.createAll();
  return booted;
}

async function counts(b: Booted): Promise<{ posts: number; users: number }> {
  const [posts, users] = await Promise.all([
    b.db.orm('default').em.fork().count(Post),
    b.db.orm('auth').em.fork().count(User),
  ]);
  return { posts, users };
}

afterEach(async () => {
  await booted?.app.close();
  booted = undefined;
});

describe('transactions options', () => {
  it.each([
    ['transactions of the wrong type', { transactions: 5 }, /'transactions' must be an object, got a number/],
    [
      'a coordinator that is not a key',
      { transactions: { coordinator: 3 } },
      /'transactions.coordinator' must be a database key/,
    ],
    [
      'a table name that is not one',
      { transactions: { table: 'log; drop table x' } },
      /'transactions.table' must be a table name/,
    ],
    [
      'recoverOnStart not a boolean',
      { transactions: { recoverOnStart: 'yes' } },
      /'transactions.recoverOnStart' must be true or false/,
    ],
  ])('%s is refused', async (_name, extra, pattern) => {
    const error = await rejection(start(extra as Partial<MultiDbSetupOptions>));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(pattern);
  });

  it('a SQLite coordinator stops start-up, naming the key and the fix', async () => {
    const error = await rejection(start({ transactions: { coordinator: 'auth' } }));
    expect(error).toBeInstanceOf(TransactionSetupError);
    expect(error.message).toContain("needs a PostgreSQL or MySQL/MariaDB database, but 'auth' is sqlite");
    expect(error.message).toContain("Set 'transactions.coordinator'");
  });

  it('an implicit SQLite default starts (no two-phase transaction can have run)', async () => {
    const { db } = await start();
    expect(db.keys).toEqual(['default', 'auth', 'meta']);
  });

  it('@MultiDbTransactional without databases is refused where it is written', () => {
    expect(() => MultiDbTransactional({ databases: [] })).toThrow(InvalidOptionsError);
  });

  it('@MultiDbTransactional on an instance Nest did not create says so', async () => {
    class Orders {
      @MultiDbTransactional({ databases: ['default'] })
      async place(): Promise<string> {
        return 'placed';
      }
    }
    const error = await rejection(new Orders().place());
    expect(error).toBeInstanceOf(TransactionSetupError);
    expect(error.message).toContain('@MultiDbTransactional on Orders.place: DbService was not injected');
  });
});

describe('DbService.transaction on SQLite (no two-phase)', () => {
  it('commits every database', async () => {
    const b = await start();
    const ids = await b.db.transaction(['default', 'auth'], async (ems) => {
      const post = ems.default.create(Post, { title: 'hello' }) as Post;
      b.db.getRepository<User>(User).create({ email: 'ada@example.com' });
      await ems.default.flush();
      return post.id;
    });
    expect(ids).toBe(1);
    expect(await counts(b)).toEqual({ posts: 1, users: 1 });
  });

  it('rolls every database back when the function throws, and rethrows its error', async () => {
    const b = await start();
    const boom = new Error('boom');
    const error = await rejection(
      b.db.transaction(['default', 'auth'], async (ems) => {
        ems.default.create(Post, { title: 'hello' });
        await ems.default.flush();
        ems.auth.create(User, { email: 'ada@example.com' });
        throw boom;
      }),
    );
    expect(error).toBe(boom);
    expect(await counts(b)).toEqual({ posts: 0, users: 0 });
  });

  it('keys outside the transaction keep resolving to the request context', async () => {
    const b = await start();
    await b.db.runInContext(async () => {
      const meta = b.db.em('meta');
      const outer = b.db.em('default');
      await b.db.transaction(['default'], (ems) => {
        expect(b.db.em('default')).toBe(ems.default);
        expect(b.db.em('default')).not.toBe(outer);
        expect(b.db.em('meta')).toBe(meta);
      });
      expect(b.db.em('default')).toBe(outer);
    });
  });

  it('refuses no keys, unknown keys and two-phase over SQLite', async () => {
    const b = await start();
    expect(await rejection(b.db.transaction([], () => undefined))).toBeInstanceOf(InvalidOptionsError);
    expect(await rejection(b.db.transaction(['default', 'nope'], () => undefined))).toBeInstanceOf(
      UnknownDatabaseError,
    );
    const error = await rejection(b.db.transaction(['default', 'auth'], () => undefined, { twoPhase: true }));
    expect(error).toBeInstanceOf(TransactionSetupError);
    expect(error.message).toContain("Database 'default' (sqlite) cannot take part in a twoPhase transaction");
  });
});
