import { EntitySchema, MikroORM, ValidationError } from '@mikro-orm/core';
import { SqliteDriver } from '@mikro-orm/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { cheaperForks } from '../../src/orm/fork-cost.js';
import { boot, type Booted, rejection } from '../fixtures/boot.js';

interface Row {
  id: number;
}
const Row = new EntitySchema<Row>({ name: 'ForkRow', properties: { id: { type: 'number', primary: true } } });

const COLORS = 'MIKRO_ORM_COLORS';

describe('forks of our ORMs skip MikroORM re-applying its logging options (#16)', () => {
  let booted: Booted | undefined;
  const colorsBefore = process.env[COLORS];
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
    if (colorsBefore === undefined) delete process.env[COLORS];
    else process.env[COLORS] = colorsBefore;
  });

  it('a fork of a plain MikroORM writes process.env (what cheaperForks removes); one of ours does not', async () => {
    const plain = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [Row] });
    try {
      delete process.env[COLORS];
      plain.em.fork();
      expect(process.env[COLORS]).toBe('true');
    } finally {
      await plain.close(true);
    }

    booted = await boot({ databases: { default: 'sqlite://' }, entities: [Row] });
    delete process.env[COLORS];
    const fork = booted.db.orm().em.fork();
    booted.db.runInContext(() => booted?.db.em());
    expect(process.env[COLORS]).toBeUndefined();
    expect(fork).not.toBe(booted.db.orm().em);
  });

  it('the global EntityManager is still refused outside a context after forks, and allowed when configured', async () => {
    booted = await boot({
      databases: { default: 'sqlite://', open: { url: 'sqlite://', allowGlobalContext: true } },
      entities: [Row],
    });
    const { db } = booted;
    await db.createAll();
    for (let i = 0; i < 3; i++) db.orm().em.fork();
    await db.runInContext(() => db.em().find(Row, {}));
    expect(db.orm().config.get('allowGlobalContext')).toBe(false);
    const refused = await rejection(db.orm().em.find(Row, {}));
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused.message).toMatch(/global EntityManager/);

    db.orm('open').em.fork();
    expect(db.orm('open').config.get('allowGlobalContext')).toBe(true);
  });

  it('every other option set on the configuration still takes effect (debug turns query logging on)', async () => {
    const orm = await MikroORM.init({ driver: SqliteDriver, dbName: ':memory:', entities: [Row] });
    try {
      cheaperForks(orm);
      const logger = orm.config.getLogger();
      expect(logger.isEnabled('query')).toBe(false);
      orm.config.set('debug', ['query']);
      expect(logger.isEnabled('query')).toBe(true);
      orm.em.fork();
      expect(orm.config.get('allowGlobalContext')).toBe(false);
    } finally {
      await orm.close(true);
    }
  });
});
