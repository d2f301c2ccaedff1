import { RequestContext } from '@mikro-orm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Booted, boot, memoryDatabases } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

describe('request contexts over several databases', () => {
  let booted: Booted;
  beforeAll(async () => {
    booted = await boot({ databases: memoryDatabases, entities: [Post, User] });
    await booted.db.createAll();
  });
  afterAll(() => booted.app.close());

  it('fork a database only when the request first uses it', async () => {
    const { db } = booted;
    await db.runInContext(async () => {
      const context = RequestContext.currentRequestContext();
      expect(context).toBeDefined();
      expect([...(context?.map.keys() ?? [])]).toEqual([]);
      await db.getRepository(User).count();
      expect([...(context?.map.keys() ?? [])]).toEqual(['auth']);
    });
  });

  it('give one fork per database per context, the same to every caller', async () => {
    const { db } = booted;
    const [first, second] = await Promise.all([
      db.runInContext(async () => {
        const em = db.em('auth');
        expect(db.em('auth')).toBe(em);
        expect(RequestContext.getEntityManager('auth')).toBe(em);
        expect(db.orm('auth').em.getContext()).toBe(em);
        return em;
      }),
      db.runInContext(async () => db.em('auth')),
    ]);
    expect(first).not.toBe(second);
    expect(first).not.toBe(db.orm('auth').em);
  });

  it('keep MikroORM RequestContext API: the default EntityManager and unknown names', async () => {
    const { db } = booted;
    await db.runInContext(async () => {
      expect(RequestContext.currentRequestContext()?.em).toBe(db.em('default'));
      expect(RequestContext.getEntityManager('reports')).toBeUndefined();
    });
  });
});
