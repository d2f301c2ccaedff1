import { Controller, Get, Injectable, Scope } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import { SqlEntityManager } from '@mikro-orm/sql';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { InjectEntityManager, InjectRepository } from 'nestjs-multidb';
import type { EntityRepository } from '@mikro-orm/core';
import { type Booted, boot } from '../fixtures/boot.js';
import { Post, User } from '../fixtures/entities.js';

const seen: EntityManager[] = [];

/** Becomes request-scoped with the EntityManager it injects (Nest builds it per request). */
@Injectable()
class Writer {
  constructor(
    readonly em: EntityManager,
    readonly sqlEm: SqlEntityManager,
    @InjectEntityManager('auth') readonly auth: EntityManager,
    @InjectRepository(Post) readonly posts: EntityRepository<Post>,
  ) {}
}

@Controller('write')
class WriteController {
  constructor(private readonly writer: Writer) {}

  @Get()
  async write() {
    const { em, sqlEm, auth, posts } = this.writer;
    seen.push(em);
    const post = em.create(Post, { title: 'scoped' });
    await em.flush();
    return {
      id: post.id,
      sameForClassTokens: sqlEm === em,
      // useContext: the request's fork is what the scoped EntityManager works on, shared with repositories
      sharesRequestContext: em.getContext() === posts.getEntityManager().getContext(),
      authIsFork: auth.getContext() !== auth,
    };
  }
}

describe('scope: Scope.REQUEST', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
    seen.length = 0;
  });

  it('gives each HTTP request EntityManagers of its own that work in its request context', async () => {
    booted = await boot(
      { databases: { default: 'sqlite://', auth: 'sqlite://' }, entities: [Post, User], scope: Scope.REQUEST },
      { providers: [Writer], controllers: [WriteController] },
    );
    await booted.db.createAll();
    const server = booted.app.getHttpServer();
    const first = (await request(server).get('/write').expect(200)).body;
    const second = (await request(server).get('/write').expect(200)).body;
    expect(first).toEqual({ id: 1, sameForClassTokens: true, sharesRequestContext: true, authIsFork: true });
    expect(second.id).toBe(2);
    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen[0]).not.toBe(booted.db.orm('default').em);
    expect(await booted.db.orm('default').em.fork().count(Post)).toBe(2);
  });

  it('without the option the EntityManagers stay singletons (no per-request providers)', async () => {
    booted = await boot(
      { databases: { default: 'sqlite://', auth: 'sqlite://' }, entities: [Post, User] },
      { providers: [Writer], controllers: [WriteController] },
    );
    await booted.db.createAll();
    const writer = booted.app.get(Writer); // a request-scoped provider could not be fetched with get()
    expect(writer.em).toBe(booted.db.orm('default').em);
    await request(booted.app.getHttpServer()).get('/write').expect(200);
    await request(booted.app.getHttpServer()).get('/write').expect(200);
    expect(seen[0]).toBe(seen[1]);
  });
});
