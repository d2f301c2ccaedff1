import { Controller, Get, Injectable } from '@nestjs/common';
import { type EntityManager, RequestContext } from '@mikro-orm/core';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateRequestContext,
  DbService,
  EnsureRequestContext,
  InjectEntityManager,
  MultiDbError,
} from 'nestjs-multidb';
import { type Booted, boot } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

interface Seen {
  main: EntityManager;
  auth: EntityManager;
  /** how many databases the context had forked when the method returned */
  forked: number | undefined;
}

/** A queue consumer / cron job: holds the DbService or only the injected EntityManagers. */
@Injectable()
class Jobs {
  constructor(
    readonly db: DbService,
    @InjectEntityManager() private readonly main: EntityManager,
    @InjectEntityManager('auth') private readonly auth: EntityManager,
  ) {}

  @CreateRequestContext()
  async create(): Promise<Seen> {
    return this.#seen();
  }

  @EnsureRequestContext()
  async ensure(): Promise<Seen> {
    return this.#seen();
  }

  @CreateRequestContext()
  async onlyMain(): Promise<number | undefined> {
    await this.main.count(Post);
    return RequestContext.currentRequestContext()?.map.size;
  }

  @CreateRequestContext()
  syncJob(): EntityManager {
    return this.main.getContext();
  }

  async #seen(): Promise<Seen> {
    return { main: this.main.getContext(), auth: this.auth.getContext(), forked: undefined };
  }
}

/** No DbService property: found through the getter, or as the only running application. */
@Injectable()
class Listener {
  constructor(@InjectEntityManager('auth') readonly auth: EntityManager) {}

  @EnsureRequestContext()
  async handle(): Promise<EntityManager> {
    return this.auth.getContext();
  }

  @CreateRequestContext((self: Listener) => (self as unknown as { db: DbService }).db)
  async viaGetter(): Promise<EntityManager> {
    return this.auth.getContext();
  }
}

@Controller('nested')
class NestedController {
  constructor(
    private readonly jobs: Jobs,
    @InjectEntityManager() private readonly main: EntityManager,
    @InjectEntityManager('auth') private readonly auth: EntityManager,
  ) {}

  @Get()
  async get() {
    const outer = { main: this.main.getContext(), auth: this.auth.getContext() };
    await outer.main.findOne(Post, 1); // loads into the request's identity map
    const ensured = await this.jobs.ensure();
    const created = await this.jobs.create();
    const after = { main: this.main.getContext(), auth: this.auth.getContext() };
    return {
      ensureReuses: ensured.main === outer.main && ensured.auth === outer.auth,
      createIsFresh: created.main !== outer.main && created.auth !== outer.auth,
      createForksBoth: created.main !== this.main && created.auth !== this.auth,
      outerKept: after.main === outer.main && after.auth === outer.auth,
      outerIdentityMapKept: outer.main.getUnitOfWork().getIdentityMap().values().length,
    };
  }
}

describe('@CreateRequestContext() / @EnsureRequestContext() over every database', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  const start = async () => {
    booted = await boot(
      { databases: { default: 'sqlite://', auth: 'sqlite://', meta: 'sqlite://' }, entities: [Post, User] },
      { providers: [Jobs, Listener], controllers: [NestedController] },
    );
    await booted.db.createAll();
    await booted.db.runInContext(async () => {
      booted?.db.em().create(Post, { id: 1, title: 'one' });
      await booted?.db.em().flush();
    });
    return booted;
  };

  it('outside any context (queue, cron): one context over every database, forked on first use', async () => {
    const { app, db } = await start();
    const jobs = app.get(Jobs);
    for (const seen of [await jobs.create(), await jobs.ensure()]) {
      expect(seen.main).not.toBe(db.orm('default').em);
      expect(seen.auth).not.toBe(db.orm('auth').em);
    }
    // two calls, two contexts
    expect((await jobs.create()).main).not.toBe((await jobs.create()).main);
    // lazy: a job that touches one database of three forked one
    expect(await jobs.onlyMain()).toBe(1);
    // synchronous methods too
    expect(jobs.syncJob()).not.toBe(db.orm('default').em);
  });

  it('nested in an HTTP request: Ensure reuses the request context, Create makes a fresh one for all keys and leaves the request its own', async () => {
    const { app } = await start();
    const res = await request(app.getHttpServer()).get('/nested').expect(200);
    expect(res.body).toEqual({
      ensureReuses: true,
      createIsFresh: true,
      createForksBoth: true,
      outerKept: true,
      outerIdentityMapKept: 1,
    });
  });

  it('inside db.runInContext Ensure reuses it; inside a MikroORM single-database context it opens one over all', async () => {
    const { app, db } = await start();
    const jobs = app.get(Jobs);
    await db.runInContext(async () => {
      const seen = await jobs.ensure();
      expect(seen.main).toBe(db.em('default'));
      expect(seen.auth).toBe(db.em('auth'));
    });
    // what MikroORM's own @CreateRequestContext opens: one EntityManager only
    await RequestContext.create(db.orm('default').em, async () => {
      const seen = await jobs.ensure();
      expect(seen.auth).not.toBe(db.orm('auth').em);
    });
  });

  it('works as a standard (TC39) method decorator too', async () => {
    const { db } = await start();
    const method = async function (this: { db: DbService }) {
      return db.em('auth');
    };
    const create = CreateRequestContext()(method, { kind: 'method', name: 'run' } as ClassMethodDecoratorContext);
    const ensure = EnsureRequestContext()(method, { kind: 'method', name: 'run' } as ClassMethodDecoratorContext);
    const self = { db };
    expect(await create.call(self)).not.toBe(db.orm('auth').em);
    await db.runInContext(async () => {
      expect(await ensure.call(self)).toBe(db.em('auth'));
      expect(await create.call(self)).not.toBe(db.em('auth'));
    });
  });

  it('finds the DbService through a getter, or as the only running application; fails with a MultiDbError otherwise', async () => {
    const { app, db } = await start();
    const listener = app.get(Listener);
    expect(await listener.handle()).not.toBe(db.orm('auth').em);
    (listener as unknown as { db: DbService }).db = db;
    expect(await listener.viaGetter()).not.toBe(db.orm('auth').em);
    // MikroORM's convention: a getter returning (or a property holding) a MikroORM / EntityManager of ours
    const ormGetter = CreateRequestContext((self: { em: EntityManager }) => self.em);
    const viaEm = ormGetter(async () => db.em('meta'), { kind: 'method', name: 'x' } as ClassMethodDecoratorContext);
    expect(await viaEm.call({ em: db.orm('auth').em })).not.toBe(db.orm('meta').em);
    const wrong = CreateRequestContext(() => ({}) as DbService)(async () => 1, {
      kind: 'method',
      name: 'x',
    } as ClassMethodDecoratorContext);
    await expect(wrong.call({})).rejects.toThrow(/the getter returned neither a DbService/);
    await app.close();
    booted = undefined;
    const orphan = new Listener(db.orm('auth').em);
    await expect(orphan.handle()).rejects.toThrow(MultiDbError);
    await expect(orphan.handle()).rejects.toThrow(/no nestjs-multidb application is running.*Inject DbService/);
  });
});
