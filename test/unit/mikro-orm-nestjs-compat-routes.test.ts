import { Controller, Get } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/core';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionsError, MultiDbModule } from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { Post } from '../fixtures/entities.js';

@Controller()
class Probe {
  constructor(private readonly em: EntityManager) {}

  @Get(['api/in', 'other'])
  inContext(): { context: boolean } {
    return { context: this.em.getContext(false) !== this.em };
  }
}

describe('forRoutesPath (@mikro-orm/nestjs): the routes the request-context middleware runs on', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it('runs only on the routes given', async () => {
    booted = await boot(
      { databases: 'sqlite://', entities: [Post], forRoutesPath: 'api/{*path}' },
      { controllers: [Probe] },
    );
    const server = booted.app.getHttpServer();
    expect((await request(server).get('/api/in').expect(200)).body).toEqual({ context: true });
    expect((await request(server).get('/other').expect(200)).body).toEqual({ context: false });
  });

  it('every route by default', async () => {
    booted = await boot({ databases: 'sqlite://', entities: [Post] }, { controllers: [Probe] });
    expect((await request(booted.app.getHttpServer()).get('/other').expect(200)).body).toEqual({ context: true });
  });

  it('refuses a path that is not a non-empty string', async () => {
    const error = await rejection(
      (async () => MultiDbModule.setup({ databases: 'sqlite://', forRoutesPath: 42 as never }))(),
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toContain('forRoutesPath');
  });
});
