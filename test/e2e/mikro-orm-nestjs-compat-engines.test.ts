import { Controller, Get, Injectable } from '@nestjs/common';
import { EntityManager, MikroORM } from '@mikro-orm/core';
import { MikroORM as MariaDbMikroORM } from '@mikro-orm/mariadb';
import { MikroORM as MySqlMikroORM } from '@mikro-orm/mysql';
import { EntityManager as PgEntityManager, MikroORM as PgMikroORM } from '@mikro-orm/postgresql';
import { SqlEntityManager } from '@mikro-orm/sql';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { ClassTokenMismatchError } from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';
import { Post, User } from '../fixtures/entities.js';

@Injectable()
class PostgresIdioms {
  constructor(
    readonly em: PgEntityManager,
    readonly orm: PgMikroORM,
    readonly sqlEm: SqlEntityManager,
    readonly coreEm: EntityManager,
  ) {}
}

@Controller()
class Endpoints {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mikroOrm: MikroOrmHealthIndicator,
    private readonly em: PgEntityManager,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.mikroOrm.pingCheck('db')]);
  }

  @Get('count')
  async count() {
    // a PostgreSQL-only EntityManager method, on the request's fork
    const fork = this.em.getContext();
    return { fork: fork !== this.em, posts: await fork.count(Post), isPg: fork instanceof PgEntityManager };
  }
}

@Injectable()
class WantsMariaDb {
  constructor(readonly orm: MariaDbMikroORM) {}
}

@Injectable()
class WantsMySql {
  constructor(readonly orm: MySqlMikroORM) {}
}

describe('driver-package class tokens on real servers', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  const postgresDefault = async () => ({
    default: serverUrl('postgres', await createDatabase('postgres', 'compat_pg')),
    auth: serverUrl('mariadb', await createDatabase('mariadb', 'compat_auth'), 'mariadb'),
  });

  it("PostgreSQL default: @mikro-orm/postgresql's EntityManager and MikroORM, terminus's pingCheck up", async () => {
    booted = await boot(
      { databases: await postgresDefault(), entities: [Post, User] },
      { imports: [TerminusModule], providers: [PostgresIdioms], controllers: [Endpoints] },
    );
    const { app, db } = booted;
    const svc = app.get(PostgresIdioms);
    expect(svc.em).toBe(db.orm('default').em);
    expect(svc.em).toBeInstanceOf(PgEntityManager);
    expect(svc.orm).toBe(db.orm('default'));
    expect(svc.sqlEm).toBe(svc.em);
    expect(svc.coreEm).toBe(svc.em);
    await db.createAll();
    expect((await request(app.getHttpServer()).get('/count').expect(200)).body).toEqual({
      fork: true,
      posts: 0,
      isPg: true,
    });
    const health = await request(app.getHttpServer()).get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', info: { db: { status: 'up' } } });
    expect(app.get(MikroORM)).toBe(db.orm('default'));
  });

  it("a MariaDB class token while 'default' is PostgreSQL names the key, the engine and the key that fits", async () => {
    const databases = await postgresDefault();
    const error = await rejection(boot({ databases, entities: [Post, User] }, { providers: [WantsMariaDb] }));
    expect(error).toBeInstanceOf(ClassTokenMismatchError);
    expect(error.message).toContain(
      "WantsMariaDb: MariaDbMikroORM (from @mikro-orm/mariadb) was injected, but database 'default'",
    );
    expect(error.message).toContain('uses postgresql');
    expect(error.message).toContain("@InjectOrm('auth')");
  });

  it("MariaDB server through mysql:// and through mariadb://: each driver's own MikroORM class", async () => {
    const name = await createDatabase('mariadb', 'compat_my');
    booted = await boot(
      { databases: { default: serverUrl('mariadb', name) }, entities: [Post] },
      { providers: [WantsMySql] },
    );
    expect(booted.app.get(WantsMySql).orm).toBe(booted.db.orm('default'));
    await booted.app.close();
    booted = undefined;
    const mariadb = { default: serverUrl('mariadb', name, 'mariadb') };
    booted = await boot({ databases: mariadb, entities: [Post] }, { providers: [WantsMariaDb] });
    expect(booted.app.get(WantsMariaDb).orm).toBe(booted.db.orm('default'));
    expect(booted.app.get(SqlEntityManager)).toBe(booted.db.orm('default').em);
  });
});
