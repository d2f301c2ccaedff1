import { EntitySchema, raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import { MikroORM, type SqlEntityManager, SqliteDriver } from '@mikro-orm/sqlite';
import { databaseKeyOfError, InvalidOptionsError } from 'nestjs-multidb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindParameters, MAX_BOUND_VALUES } from '../../src/orm/sqlite-parameters.js';
import { KEPT_STATEMENTS } from '../../src/orm/sqlite-statements.js';
import { boot, type Booted, rejection } from '../fixtures/boot.js';

interface Thing {
  id: number;
  name: string;
  flag: boolean;
  at: Date;
  big: bigint;
  ratio: number;
  data: Buffer;
  meta: Record<string, unknown>;
}
const thingSchema = () =>
  new EntitySchema<Thing>({
    name: 'Thing',
    properties: {
      id: { type: 'integer', primary: true },
      name: { type: 'string', unique: true },
      flag: { type: 'boolean' },
      at: { type: 'datetime' },
      big: { type: 'bigint' },
      ratio: { type: 'double' },
      data: { type: 'blob' },
      meta: { type: 'json' },
    },
  });
const Thing = thingSchema();
/** The entity by name: each ORM here has its own schema object for the same table. */
const T = 'Thing' as unknown as typeof Thing;

/** Values MikroORM writes into SQL as literals, each of which must reach SQLite as the same value, of the same type. */
const VALUES: [string, unknown][] = [
  ['an integer', 5],
  ['a negative integer', -42],
  ['negative zero', -0],
  ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ['an integer past 2^53', 2 ** 60],
  ['an integer past int64', 2 ** 64],
  ['1e21', 1e21],
  ['a float', 0.1],
  ['a negative float', -2.5],
  ['a bigint', 9_007_199_254_740_993n],
  ['true', true],
  ['false', false],
  ['null', null],
  ['undefined', undefined],
  ['a Date', new Date(Date.UTC(2026, 10, 25, 12, 30, 15, 250))],
  ['a Buffer', Buffer.from([0, 1, 2, 255])],
  ['a string with quotes', 'it\'s "quoted" -- not a comment /* nor this */ ? : @ $'],
  ['an empty string', ''],
  ['unicode', 'zażółć gęślą jaźń ✓'],
  ['a plain object', { a: 1, b: ['x', "y'"] }],
];

/** Spies on better-sqlite3's own `prepare` (every statement SQLite compiles); before our ORMs start, so they use the spy. */
async function spyOnCompile() {
  const probe = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [thingSchema()] });
  await probe.em.fork().execute('select 1');
  const database = (probe.driver.getConnection() as unknown as { database: object }).database;
  await probe.close(true);
  return vi.spyOn(Object.getPrototypeOf(database) as { prepare(sql: string): unknown }, 'prepare');
}

describe('SQLite runs MikroORM queries with their values bound, on statements it keeps (#16)', () => {
  let booted: Booted | undefined;
  let plain: MikroORM | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await booted?.app.close();
    await plain?.close(true);
    booted = plain = undefined;
  });

  async function both() {
    plain = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [thingSchema()] });
    booted = await boot({ databases: { default: 'sqlite://' }, entities: [Thing] });
    await plain.schema.create();
    await booted.db.createAll();
    return { ours: booted.db, plain };
  }

  it('every kind of value reads back as the same value of the same SQLite type as MikroORM’s literal gives', async () => {
    const { ours, plain } = await both();
    const sql = 'select ? as v, typeof(?) as t, ? / 2 as half';
    for (const [, value] of VALUES) {
      const params = [value, value, value];
      const expected = await plain.em.fork().getConnection().execute(sql, params);
      const got = await ours.runInContext(() => ours.em().getConnection().execute(sql, params));
      expect(got).toEqual(expected);
    }
  });

  it('entities written and read through our ORM store the very values and types MikroORM stores', async () => {
    const { ours, plain } = await both();
    const rows: Thing[] = [1, 2, 3].map((i) => ({
      id: i,
      name: `thing ${i}'s`,
      flag: i % 2 === 0,
      at: new Date(Date.UTC(2026, 0, i, 8, 0, 0, 125)),
      big: 2n ** 62n + BigInt(i),
      ratio: i / 3,
      data: Buffer.from([i, 0, 255]),
      meta: { i, tags: ['a', "b'c"] },
    }));
    const columns = 'id, name, flag, typeof(flag) t1, at, typeof(at) t2, big, typeof(big) t3, ratio, data, meta';
    const dump = `select ${columns} from thing order by id`;
    for (const orm of [plain]) {
      const em = orm.em.fork();
      for (const row of rows) em.create(T, { ...row });
      await em.flush();
    }
    await ours.runInContext(async () => {
      for (const row of rows) ours.em().create(Thing, { ...row });
      await ours.em().flush();
    });
    expect(await ours.runInContext(() => ours.em().getConnection().execute(dump))).toEqual(
      await plain.em.fork().getConnection().execute(dump),
    );

    // reads, updates and deletes by every kind of condition
    const read = async (run: (em: ReturnType<MikroORM['em']['fork']>) => Promise<unknown>) => {
      const expected = await run(plain.em.fork());
      const got = await ours.runInContext(() => run(ours.em() as never));
      expect(got).toEqual(expected);
    };
    await read((em) => em.find(T, { flag: true }));
    await read((em) => em.find(T, { at: { $gte: rows[1]?.at } }, { orderBy: { id: 'desc' } }));
    await read((em) => em.find(T, { big: { $gt: 2n ** 62n + 1n } }));
    await read((em) => em.find(T, { id: { $in: [1, 3] } }));
    await read((em) => em.find(T, { name: { $like: '%2%' } }));
    await read((em) => em.count(T, { ratio: { $lt: 0.9 } }));
    await read((em) => em.find(T, { [raw('id * ?', [2])]: 4 }));
    await read((em) => em.nativeUpdate(T, { id: 2 }, { name: 'renamed', flag: false }));
    await read((em) => em.nativeDelete(T, { id: { $gt: 2 } }));
    await read((em) => em.findAll(T, { orderBy: { id: 'asc' } }));
  });

  it('a query repeated with other values compiles its statement once; MikroORM alone compiles it every time', async () => {
    const compile = await spyOnCompile();
    const { ours, plain } = await both();
    await ours.runInContext(() =>
      ours.em().insert(Thing, {
        id: 1,
        name: 'a',
        flag: true,
        at: new Date(),
        big: 1n,
        ratio: 1,
        data: Buffer.alloc(1),
        meta: {},
      }),
    );

    compile.mockClear();
    for (let id = 1; id <= 20; id++) await plain.em.fork().findOne(T, { id });
    expect(compile).toHaveBeenCalledTimes(20);

    compile.mockClear();
    for (let id = 1; id <= 20; id++) await ours.runInContext(() => ours.em().findOne(Thing, { id }));
    expect(compile).toHaveBeenCalledTimes(1);
    const [found] = await ours.runInContext(() => ours.em().find(Thing, { id: 1 }));
    expect(found?.name).toBe('a');
  });

  it('reuseStatements: false runs every query as MikroORM writes it; a value that is not a boolean is refused', async () => {
    const compile = await spyOnCompile();
    booted = await boot({ databases: { default: { url: 'sqlite://', reuseStatements: false } }, entities: [Thing] });
    const { db } = booted;
    await db.createAll();
    compile.mockClear();
    for (let id = 1; id <= 5; id++) await db.runInContext(() => db.em().findOne(Thing, { id }));
    expect(compile).toHaveBeenCalledTimes(5);
    await booted.app.close();
    booted = undefined;

    const refused = await rejection(
      boot({ databases: { default: 'sqlite://' }, common: { reuseStatements: 'yes' }, entities: [Thing] } as never),
    );
    expect(refused).toBeInstanceOf(InvalidOptionsError);
    expect(refused.message).toContain('default.reuseStatements');
    expect(refused.message).toContain('true or false');
  });

  it('queries built with em.getKysely() (bound by Kysely itself) reuse their statements too, and stream as before', async () => {
    const compile = await spyOnCompile();
    booted = await boot({ databases: { default: 'sqlite://' }, entities: [Thing] });
    const { db } = booted;
    await db.createAll();
    const thing = (id: number) => ({
      id,
      name: `k${id}`,
      flag: id % 2 === 0,
      at: new Date(0),
      big: 1n,
      ratio: 1,
      data: Buffer.alloc(1),
      meta: {},
    });
    await db.runInContext(() => db.em().insertMany(Thing, [1, 2, 3].map(thing)));
    const kysely = () => (db.em() as unknown as SqlEntityManager).getKysely<{ thing: { id: number; name: string } }>();
    compile.mockClear();
    for (const id of [1, 2, 3, 1]) {
      const rows = await db.runInContext(() =>
        kysely().selectFrom('thing').select(['id', 'name']).where('id', '=', id).execute(),
      );
      expect(rows).toEqual([{ id, name: `k${id}` }]);
    }
    expect(compile).toHaveBeenCalledTimes(1);
    const streamed: string[] = [];
    await db.runInContext(async () => {
      for await (const thing of db.em().stream(Thing, { orderBy: { id: 'asc' } })) streamed.push(thing.name);
    });
    expect(streamed).toEqual(['k1', 'k2', 'k3']);
  });

  it('keeps its last KEPT_STATEMENTS statements: one more template compiles the evicted one again', async () => {
    const compile = await spyOnCompile();
    booted = await boot({ databases: { default: 'sqlite://' }, entities: [Thing] });
    const { db } = booted;
    const template = (i: number) => `select ? + ${i} as v`;
    const run = (i: number) => db.runInContext(() => db.em().getConnection().execute(template(i), [1]));
    for (let i = 0; i < KEPT_STATEMENTS; i++) await run(i);
    compile.mockClear();
    for (let i = 0; i < KEPT_STATEMENTS; i++) expect(await run(i)).toEqual([{ v: 1 + i }]);
    expect(compile).not.toHaveBeenCalled();
    await run(KEPT_STATEMENTS); // evicts template 0
    await run(0);
    expect(compile).toHaveBeenCalledTimes(2);
  });

  it('transactions, errors tagged with the key, returned ids and affected rows behave as before', async () => {
    booted = await boot({ databases: { default: 'sqlite://', meta: 'sqlite://' }, entities: [Thing] });
    const { db } = booted;
    await db.createAll();
    const thing = (id: number, name: string) => ({
      id,
      name,
      flag: true,
      at: new Date(0),
      big: 1n,
      ratio: 0.5,
      data: Buffer.alloc(2),
      meta: { id },
    });
    await db.transaction(['default'], async () => {
      db.em().create(Thing, thing(1, 'one'));
      db.em().create(Thing, thing(2, 'two'));
    });
    const failed = await rejection(
      db.transaction(['default'], async () => {
        await db.em().insert(Thing, thing(3, 'three'));
        await db.em().insert(Thing, thing(4, 'one')); // unique name
      }),
    );
    expect(failed).toBeInstanceOf(UniqueConstraintViolationException);
    expect(databaseKeyOfError(failed)).toBe('default');
    const names = await db.runInContext(async () =>
      (await db.em().findAll(Thing, { orderBy: { id: 'asc' } })).map((t) => t.name),
    );
    expect(names).toEqual(['one', 'two']); // the rolled-back insert of 3 is gone
    expect(await db.runInContext(() => db.em().nativeUpdate(Thing, { id: { $lte: 2 } }, { ratio: 2 }))).toBe(2);
    const result = await db.runInContext(() =>
      db
        .em()
        .getConnection()
        .execute(
          'insert into thing (id, name, flag, at, big, ratio, data, meta) values (?, ?, ?, ?, ?, ?, ?, ?)',
          [7, 'seven', true, 0, 1, 1.5, Buffer.alloc(1), '{}'],
          'run',
        ),
    );
    expect(result).toMatchObject({ affectedRows: 1, insertId: 7 });
  });

  it('the query log still shows the values, and a large batch insert keeps its literals', async () => {
    const logged: string[] = [];
    booted = await boot({
      databases: {
        default: {
          url: 'sqlite://',
          debug: ['query', 'query-params'],
          logger: (line: string) => void logged.push(line),
        },
      },
      entities: [Thing],
    });
    const { db } = booted;
    await db.createAll();
    await db.runInContext(() => db.em().findOne(Thing, { name: "o'hara" }));
    expect(logged.some((line) => line.includes("'o''hara'"))).toBe(true);
    const many = Array.from({ length: 150 }, (_, i) => ({
      id: i + 1,
      name: `n${i}`,
      flag: false,
      at: new Date(0),
      big: 0n,
      ratio: 0,
      data: Buffer.alloc(1),
      meta: {},
    }));
    await db.runInContext(() => db.em().insertMany(Thing, many)); // 1,200 values: past MAX_BOUND_VALUES
    expect(await db.runInContext(() => db.em().count(Thing))).toBe(150);
  });
});

describe('bindParameters: only when binding gives SQLite the same statement (#16)', () => {
  it('binds a plain template, integers as BigInt, booleans as 1/0, Dates as epoch ms, objects as JSON', () => {
    const at = new Date(1_700_000_000_123);
    expect(
      bindParameters('select * from `t` as `t0` where `t0`.`id` = ? and `t0`.`at` > ? and `t0`.`x` in (?, ?)', [
        5,
        at,
        true,
        { a: 1 },
      ]),
    ).toEqual({
      sql: 'select * from `t` as `t0` where `t0`.`id` = ? and `t0`.`at` > ? and `t0`.`x` in (?, ?)',
      values: [5n, 1_700_000_000_123n, 1n, '{"a":1}'],
    });
    expect(bindParameters('? ?', [1.5, 2 ** 64])?.values).toEqual([1.5, 2 ** 64]);
  });

  it.each([
    ['a string literal in the template', "select ? where a = 'x'", [1]],
    ['a quoted identifier', 'select "a" from t where id = ?', [1]],
    ['an escaped placeholder', 'select ? where a = \\?', [1]],
    ['an identifier placeholder', 'select ?? from t where id = ?', ['a', 1]],
    ['a numbered parameter', 'select ?1', [1]],
    ['a named parameter', 'select :a, ?', [1]],
    ['a comment', 'select ? -- a comment ?', [1, 2]],
    ['a block comment', 'select ? /* ? */', [1, 2]],
    ['fewer placeholders than values', 'select ?', [1, 2]],
    ['more placeholders than values', 'select ?, ?', [1]],
    ['no values', 'select 1', []],
    ['NaN', 'select ?', [Number.NaN]],
    ['Infinity', 'select ?', [Number.POSITIVE_INFINITY]],
    ['a bigint past int64', 'select ?', [2n ** 63n]],
    ['an invalid Date', 'select ?', [new Date(Number.NaN)]],
    ['an array', 'select ? in (?)', [1, [1, 2]]],
    ['a raw fragment', 'select ?', [raw('1 + 1')]],
    ['a class instance', 'select ?', [new (class Money {})()]],
    ['a Map', 'select ?', [new Map()]],
    ['a symbol', 'select ?', [Symbol('s')]],
    ['named params', 'select ?', { a: 1 }],
    [
      'too many values',
      `select ${'?, '.repeat(MAX_BOUND_VALUES)}?`,
      Array.from({ length: MAX_BOUND_VALUES + 1 }, () => 1),
    ],
  ])('leaves the literals when there is %s', (_, sql, params) => {
    expect(bindParameters(sql, params)).toBeUndefined();
  });
});
