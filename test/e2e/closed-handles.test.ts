import { Controller, Get, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type EntityManager, EntitySchema, type MikroORM } from '@mikro-orm/core';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  DatabaseClosedError,
  DatabaseUnavailableFilter,
  DbService,
  inDatabase,
  MigrationService,
  MultiDbModule,
  pingDatabase,
  TenantClosedError,
} from 'nestjs-multidb';
import { bootWith, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';
import { expectNoSessions, sessionsOn } from '../fixtures/sessions.js';

interface Item {
  id: number;
  name: string;
}
const Item = new EntitySchema<Item>({
  name: 'Item',
  tableName: 'items',
  properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
});
const Note = inDatabase(
  'tenant',
  new EntitySchema<Item>({
    name: 'Note',
    tableName: 'notes',
    properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
  }),
);

@Controller('items')
class ItemsController {
  constructor(private readonly db: DbService) {}

  @Get()
  list() {
    return this.db.em().find(Item, {});
  }
}

@Module({ controllers: [ItemsController], providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }] })
class ItemsModule {}

/** What a closed database must throw, naming its key. */
async function expectClosed(work: () => Promise<unknown>, key = 'default'): Promise<void> {
  const error = await rejection(work());
  expect(error).toBeInstanceOf(DatabaseClosedError);
  expect((error as DatabaseClosedError).key).toBe(key);
  expect(error.message).toContain(`'${key}' is closed`);
}

/** What a closed tenant database must throw, naming its template and tenant. */
async function expectTenantClosed(work: () => Promise<unknown>, tenant: string): Promise<void> {
  const error = await rejection(work());
  expect(error).toBeInstanceOf(TenantClosedError);
  expect((error as TenantClosedError).key).toBe('tenant');
  expect((error as TenantClosedError).tenant).toBe(tenant);
  expect(error.message).toContain(`'tenant:${tenant}' is closed`);
}

describe('nothing outlives its close: handles refuse work instead of opening a new pool (issue #14)', () => {
  for (const engine of ['postgres', 'mariadb'] as const) {
    it(`${engine}: after app.close() every EntityManager, repository, ORM, transaction and tool refuses with DatabaseClosedError`, async () => {
      const name = await createDatabase(engine, 'closed');
      const { app, db } = await bootWith([
        MultiDbModule.setup({ databases: { default: serverUrl(engine, name) }, entities: [Item] }),
      ]);
      await db.createAll();
      await db.em().fork().insert(Item, { id: 1, name: 'one' });
      const em = db.em();
      const fork = db.em().fork();
      const repository = db.getRepository<Item>(Item);
      const orm = db.orm();
      const migrations = app.get(MigrationService);
      let contextEm: EntityManager | undefined;
      await db.runInContext(async () => {
        contextEm = db.em();
        expect(await contextEm.find(Item, {})).toHaveLength(1);
      });
      expect(await sessionsOn(engine, name)).toBeGreaterThan(0);

      await app.close();
      await expectNoSessions(engine, name);

      await expectClosed(() => em.getConnection().execute('select 1'));
      await expectClosed(() => em.getConnection().getNativeClient());
      await expectClosed(() => fork.find(Item, {}));
      await expectClosed(() => {
        fork.create(Item, { id: 2, name: 'two' });
        return fork.flush();
      });
      await expectClosed(() => (contextEm as EntityManager).find(Item, {}));
      // an injected-style repository (global EntityManager, resolving the context) and a context's own
      await expectClosed(() => db.runInContext(() => repository.findAll()));
      await expectClosed(() => (contextEm as EntityManager).getRepository(Item).findAll());
      await expectClosed(() => db.runInContext(() => db.em().find(Item, {})));
      await expectClosed(() => db.transaction(['default'], (ems) => ems.default.find(Item, {})));
      await expectClosed(() => db.transaction(['default'], (ems) => ems.default.find(Item, {}), { twoPhase: true }));
      await expectClosed(() => db.recoverTransactions());
      await expectClosed(() => db.createAll());
      await expectClosed(() => db.dropAll());
      await expectClosed(() => orm.schema.update());
      await expectClosed(() => migrations.up());
      await expectClosed(() => orm.connect());
      await expectClosed(() => orm.reconnect());
      const ping = await pingDatabase(db, 'default');
      expect(ping.status).toBe('down');
      expect(ping.error).toContain("'default' is closed");
      expect(await orm.isConnected()).toBe(false);

      // not one of them opened a pool: no session came back, and the rows are still there
      await expectNoSessions(engine, name);
      expect(await runSql(engine, name, 'select count(*) as n from items')).toEqual([
        { n: engine === 'postgres' ? '1' : 1 },
      ]);
    });

    it(`${engine}: a tenant's ORM, EntityManager and repository kept past eviction, detach or shutdown refuse with TenantClosedError`, async () => {
      const prefix = `tenantgone_${process.pid}_${Date.now().toString(36)}`;
      const maintenance = engine === 'postgres' ? 'postgres' : 'mysql';
      const databases = ['a', 'b', 'c'].map((t) => `${prefix}_${t}`);
      for (const database of databases) await runSql(engine, maintenance, `create database ${database}`);
      const template = {
        url: serverUrl(engine, `${prefix}_{tenant}`),
        tenants: { maxOpen: 1, list: () => ['a', 'b', 'c'] },
      };
      const { app, db } = await bootWith([
        MultiDbModule.setup({ databases: { default: 'sqlite://', tenant: template }, entities: [Note] }),
      ]);
      const kept = async (tenant: string) =>
        db.runForTenant(tenant, async () => {
          await db.createAll('tenant');
          const em = db.em('tenant');
          await em.insert(Note, { id: 1, name: tenant });
          return { orm: db.orm('tenant'), em, repository: db.getRepository<Item>(Note) };
        });
      const refusesAll = async (
        handles: { orm: MikroORM; em: EntityManager; repository: { findAll(): Promise<unknown> } },
        tenant: string,
      ) => {
        await expectTenantClosed(() => handles.em.find(Note, {}), tenant);
        await expectTenantClosed(() => handles.em.getConnection().execute('select 1'), tenant);
        await expectTenantClosed(() => handles.repository.findAll(), tenant);
        await expectTenantClosed(() => handles.orm.em.fork().find(Note, {}), tenant);
        await expectTenantClosed(() => handles.orm.connect(), tenant);
      };

      // eviction: opening b closes a (maxOpen 1); a's handles must not reconnect behind maxOpen's back
      const a = await kept('a');
      const b = await kept('b');
      await refusesAll(a, 'a');
      expect(db.tenantStats()).toMatchObject({ open: 1, peakOpen: 1 });
      await expectNoSessions(engine, `${prefix}_a`);

      // detach: b's handles refuse once it is gone
      await db.detach('b');
      await refusesAll(b, 'b');
      await expectNoSessions(engine, `${prefix}_b`);

      // shutdown: c's handles refuse after app.close(), and no tenant database keeps a session
      const c = await kept('c');
      await app.close();
      await refusesAll(c, 'c');
      await expectNoSessions(engine, ...databases);
    });

    it(`${engine}: DatabaseUnavailableFilter answers 503 naming the key for a request after DbService.close()`, async () => {
      const name = await createDatabase(engine, 'closed503');
      const { app, db } = await bootWith([
        MultiDbModule.setup({ databases: { default: serverUrl(engine, name) }, entities: [Item] }),
        ItemsModule,
      ]);
      await db.createAll();
      expect((await request(app.getHttpServer()).get('/items')).status).toBe(200);
      await db.close();
      const reply = await request(app.getHttpServer()).get('/items');
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ statusCode: 503, database: 'default' });
      await expectNoSessions(engine, name);
      await app.close();
    });
  }
});
