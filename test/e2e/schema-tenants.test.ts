import type { IncomingMessage } from 'node:http';
import { Controller, Get, Injectable, Param, Post } from '@nestjs/common';
import { EntitySchema, type EntityRepository } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DbService,
  InjectRepository,
  InvalidOptionsError,
  InvalidTenantKeyError,
  inDatabase,
  MultiDbModule,
  NoTenantError,
  UnknownTenantError,
} from 'nestjs-multidb';
import { type Booted, bootWith, rejection } from '../fixtures/boot.js';
import { until } from '../fixtures/tenant-app.js';
import { createDatabase, type Engine, runSql, serverUrl } from '../fixtures/databases.js';

interface Plan {
  id: number;
  name: string;
}
interface Item {
  id: number;
  tenant: string;
  step: number;
  plan?: Plan;
}
// a shared table (explicit schema, like django-tenants' SHARED_APPS) next to the tenant tables
const sharedSchema = (engine: Engine, dbName: string) => (engine === 'postgres' ? 'public' : dbName);
const entities = (engine: Engine, dbName: string) => {
  const Plan = inDatabase(
    'tenant',
    new EntitySchema<Plan>({
      name: 'Plan',
      tableName: 'plans',
      schema: sharedSchema(engine, dbName),
      properties: { id: { type: 'number', primary: true }, name: { type: 'string' } },
    }),
  );
  const Item = inDatabase(
    'tenant',
    new EntitySchema<Item>({
      name: 'Item',
      tableName: 'items',
      properties: {
        id: { type: 'number', primary: true, autoincrement: true },
        tenant: { type: 'string' },
        step: { type: 'number' },
        // MikroORM leaves a MySQL foreign key's target database unqualified (docs/tenants.md: isolation rules)
        plan: { kind: 'm:1', entity: () => Plan, nullable: true, createForeignKeyConstraint: engine === 'postgres' },
      },
    }),
  );
  return { Plan, Item };
};

const TENANTS = Array.from({ length: 50 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const POOL_MAX = 4;

for (const engine of ['postgres', 'mariadb'] as const) {
  describe(`schema-mode tenants on ${engine}: one ORM, one pool`, () => {
    let booted: Booted;
    let db: DbService;
    let dbName: string;
    let Item: ReturnType<typeof entities>['Item'];
    const schemaOf = (tenant: string) => `st_${tenant}`;

    beforeAll(async () => {
      dbName = await createDatabase(engine, 'schema_tenants');
      const made = entities(engine, dbName);
      const Plan = made.Plan;
      Item = made.Item;

      @Injectable()
      class ItemsService {
        constructor(
          @InjectRepository(Item) private readonly items: EntityRepository<Item>,
          private readonly db: DbService,
        ) {}

        /** Writes, flushes, reads back inside a transaction, with awaits between: a request's whole life. */
        async add(tenant: string): Promise<{ seen: string[]; count: number }> {
          const em = this.items.getEntityManager();
          const plan = await em.findOneOrFail(Plan, 1);
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          em.create(Item, { tenant, step: 1, plan });
          await em.flush();
          await this.db.em('tenant').transactional(async (tx) => {
            await new Promise((r) => setTimeout(r, Math.random() * 5));
            tx.create(Item, { tenant, step: 2 });
          });
          const rows = await this.items.findAll({ populate: ['plan'] });
          return { seen: [...new Set(rows.map((r) => r.tenant))], count: rows.length };
        }
      }

      @Controller('items')
      class ItemsController {
        constructor(private readonly items: ItemsService) {}
        @Post(':tenant')
        add(@Param('tenant') tenant: string) {
          return this.items.add(tenant);
        }
        @Get()
        nothing() {
          return 'ok';
        }
      }

      booted = await bootWith(
        [
          MultiDbModule.setup({
            databases: {
              default: 'sqlite://',
              tenant: {
                url: serverUrl(engine, dbName),
                pool: { max: POOL_MAX },
                tenants: { mode: 'schema', schema: 'st_{tenant}' },
              },
            },
            entities: [Plan, Item],
            tenantResolver: (req: IncomingMessage) => req.headers['x-tenant'] as string | undefined,
          }),
        ],
        { controllers: [ItemsController], providers: [ItemsService] },
      );
      db = booted.db;
      const plans =
        engine === 'postgres'
          ? 'create table public.plans (id int primary key, name varchar(50) not null)'
          : `create table \`${dbName}\`.plans (id int primary key, name varchar(50) not null)`;
      await runSql(engine, dbName, plans);
      await runSql(engine, dbName, `insert into ${engine === 'postgres' ? 'public.' : ''}plans values (1, 'gold')`);
      for (let i = 0; i < TENANTS.length; i += POOL_MAX) {
        await Promise.all(TENANTS.slice(i, i + POOL_MAX).map((tenant) => db.tenants.create(tenant)));
      }
    });

    afterAll(async () => {
      await booted?.app.close();
    });

    it('creates one schema per tenant with its own tables, and lists them', async () => {
      const query =
        engine === 'postgres'
          ? `select table_schema as s from information_schema.tables where table_name = 'items' and table_schema like 'st\\_%'`
          : `select table_schema as s from information_schema.tables where table_name = 'items' and table_schema like 'st\\_%'`;
      const rows = await runSql<{ s?: string; S?: string; TABLE_SCHEMA?: string }>(engine, dbName, query);
      expect(rows.map((r) => r.s ?? r.S ?? r.TABLE_SCHEMA).sort()).toEqual(TENANTS.map(schemaOf));
      expect(db.tenants.list().sort()).toEqual(TENANTS);
    });

    it('64 concurrent requests over 50 tenants each see only their own rows, through one pool', async () => {
      const server = booted.app.getHttpServer();
      const targets = Array.from({ length: 64 }, (_, i) => TENANTS[i % TENANTS.length] as string);
      const results = await Promise.all(
        targets.map((tenant) => request(server).post(`/items/${tenant}`).set('x-tenant', tenant)),
      );
      for (const [i, res] of results.entries()) {
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        expect(res.body.seen).toEqual([targets[i]]);
      }
      // every tenant's rows are in its own schema, and only there
      const totals = await Promise.all(
        TENANTS.map(async (tenant) => {
          const sql = `select tenant, count(*) as n from ${schemaOf(tenant)}.items group by tenant`;
          return runSql<{ tenant: string; n: number | string }>(engine, dbName, sql);
        }),
      );
      for (const [i, rows] of totals.entries()) {
        const tenant = TENANTS[i] as string;
        const expected = targets.filter((t) => t === tenant).length * 2;
        expect(rows.map((r) => [r.tenant, Number(r.n)])).toEqual([[tenant, expected]]);
      }
      expect(db.tenantStats().open).toBe(1);
    });

    it('shows one pool of at most pool.max connections for all the tenants on the server', async () => {
      const query =
        engine === 'postgres'
          ? `select count(*) as n from pg_stat_activity where datname = '${dbName}' and pid <> pg_backend_pid()`
          : `select count(*) as n from information_schema.processlist where db = '${dbName}' or db like 'st\\_%'`;
      const [row] = await runSql<{ n: number | string }>(engine, 'information_schema' === dbName ? '' : dbName, query);
      // the query's own connection counts on MariaDB (its db is dbName)
      const own = engine === 'postgres' ? 0 : 1;
      expect(Number(row?.n) - own).toBeGreaterThan(0);
      expect(Number(row?.n) - own).toBeLessThanOrEqual(POOL_MAX);
      // db.stats(): the template's one pool, shared by every tenant, idle between requests
      const stats = db.stats().tenant;
      expect(stats?.tenants).toMatchObject({ mode: 'schema', attached: TENANTS.length, open: 1 });
      expect(stats?.pool).toMatchObject({ max: POOL_MAX, inUse: 0, waiting: 0 });
      expect(stats?.pool.total).toBeGreaterThan(0);
      expect(stats?.pool.total).toBeLessThanOrEqual(POOL_MAX);
      expect(stats?.pool.idle).toBe(stats?.pool.total);
    });

    it('counts the tenants some runForTenant or request is using now (inUse), each once, and none once they end', async () => {
      // the ORM's own EntityManager, kept from another tenant's scope: it resolves the current tenant's fork by itself
      const ormEm = await db.runForTenant('t00', async () => db.orm('tenant').em);
      let finish = () => {};
      const finished = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const touched: Promise<void>[] = [];
      const use = (tenant: string, touch?: () => Promise<unknown>) => {
        let ready = () => {};
        touched.push(new Promise<void>((resolve) => (ready = resolve)));
        return db.runForTenant(tenant, async () => {
          await touch?.();
          ready();
          await finished;
        });
      };
      expect(db.tenantStats().inUse).toBe(0);
      const running = [
        use('t01', () => db.em('tenant').count(Item)),
        use('t02', () => db.getRepository(Item).count()),
        use('t02', () => db.em('tenant').count(Item)), // one tenant in two scopes counts once
        use('t03', () => ormEm.count(Item)),
        use('t04'), // selected, its schema never touched: not in use
      ];
      await Promise.all(touched);
      expect(db.tenantStats()).toMatchObject({ inUse: 3, open: 1 });
      expect(db.stats().tenant?.tenants).toMatchObject({ mode: 'schema', inUse: 3 });
      finish();
      await Promise.all(running);
      expect(db.tenantStats().inUse).toBe(0);
      // a request's tenant is released when its response closes
      await request(booted.app.getHttpServer()).post('/items/t05').set('x-tenant', 't05').expect(201);
      await until(() => db.tenantStats().inUse === 0, 'the request released its tenant');
    });

    it('runs raw SQL inside a tenant context in that tenant schema, whoever used the connection before', async () => {
      const counts: number[] = [];
      for (const tenant of ['t01', 't02', 't01', 't03']) {
        await db.runForTenant(tenant, async () => {
          const rows = await (db.em('tenant') as SqlEntityManager).execute<Array<{ tenant: string }>>(
            'select tenant from items',
          );
          counts.push(new Set(rows.map((r) => r.tenant)).size);
          expect([...new Set(rows.map((r) => r.tenant))]).toEqual([tenant]);
        });
      }
      expect(counts).toEqual([1, 1, 1, 1]);
      // a session changed by hand is pointed back at the tenant on its next checkout
      const change = engine === 'postgres' ? 'set search_path to st_t04' : 'use st_t04';
      await db.runForTenant('t05', async () => {
        const em = db.em('tenant') as SqlEntityManager;
        await em.transactional(async (tx) => {
          await tx.execute(change);
        });
        const rows = await em.execute<Array<{ tenant: string }>>('select tenant from items');
        expect([...new Set(rows.map((r) => r.tenant))]).toEqual(['t05']);
      });
    });

    it('db.transaction([...]) over default and the tenant writes in the tenant schema, or nowhere on failure', async () => {
      await db.runForTenant('t07', () =>
        db.transaction(['default', 'tenant'], async (ems) => {
          ems.tenant.create(Item, { tenant: 't07', step: 3 });
        }),
      );
      const failed = await rejection(
        db.runForTenant('t08', () =>
          db.transaction(['tenant'], async (ems) => {
            ems.tenant.create(Item, { tenant: 't08', step: 3 });
            await ems.tenant.flush();
            throw new Error('boom');
          }),
        ),
      );
      expect(failed.message).toBe('boom');
      const steps = (tenant: string) =>
        runSql<{ n: number | string }>(
          engine,
          dbName,
          `select count(*) as n from ${schemaOf(tenant)}.items where step = 3`,
        ).then((r) => Number(r[0]?.n));
      expect([await steps('t07'), await steps('t08'), await steps('t06')]).toEqual([1, 0, 0]);
      const twoPhase = db.runForTenant('t07', () => db.transaction(['tenant'], async () => 1, { twoPhase: true }));
      await expect(twoPhase).rejects.toThrow("Tenant template 'tenant' cannot take part in a two-phase transaction");
    });

    it('refuses tenant entities outside a tenant, unknown tenants and unsafe keys', async () => {
      expect(() => db.em('tenant')).toThrow(NoTenantError);
      expect(() => db.getRepository(Item)).toThrow(NoTenantError);
      // the ORM kept from inside a tenant: its global EntityManager is refused by MikroORM, and a
      // fork of it (no tenant schema) is refused before it takes a connection
      const orm = await db.runForTenant('t00', () => db.orm('tenant'));
      await expect(orm.em.find(Item, {})).rejects.toThrow(/global EntityManager/);
      await expect(orm.em.fork().find(Item, {})).rejects.toThrow(NoTenantError);
      await expect(orm.em.fork().getConnection().execute('select 1')).rejects.toThrow(NoTenantError);
      await expect(db.runForTenant('nobody', () => db.em('tenant'))).rejects.toThrow(UnknownTenantError);
      const bad = await rejection(db.runForTenant('x"; drop schema public; --', () => db.em('tenant')));
      expect(bad).toBeInstanceOf(InvalidTenantKeyError);
      await expect(db.tenants.create('bad key')).rejects.toThrow(InvalidTenantKeyError);
      const res = await request(booted.app.getHttpServer()).post('/items/t00').set('x-tenant', 'no-such');
      expect(res.status).toBeGreaterThanOrEqual(400);
    });

    it('drops a tenant only when confirmed', async () => {
      await db.tenants.create('gone');
      const refused = await rejection(db.tenants.drop('gone', { confirm: 'other' }));
      expect(refused).toBeInstanceOf(InvalidOptionsError);
      expect(refused.message).toContain("confirm: 'gone'");
      await db.tenants.drop('gone', { confirm: 'gone' });
      expect(db.tenants.list()).not.toContain('gone');
      const left = await runSql(
        engine,
        dbName,
        `select schema_name from information_schema.schemata where schema_name = '${schemaOf('gone')}'`,
      );
      expect(left).toEqual([]);
    });
  });
}

describe('schema-mode tenants: a template database that does not exist yet', () => {
  it('is created once when tenants are created at the same time (one connect, no pool closed under another)', async () => {
    const Item = inDatabase(
      'tenant',
      new EntitySchema<{ id: number }>({ name: 'Item', properties: { id: { type: 'number', primary: true } } }),
    );
    const dbName = `schema_missing_${process.pid}_${Date.now().toString(36)}`;
    const booted = await bootWith([
      MultiDbModule.setup({
        databases: {
          default: 'sqlite://',
          tenant: { url: serverUrl('postgres', dbName), tenants: { mode: 'schema' } },
        },
        entities: [Item],
      }),
    ]);
    try {
      await Promise.all(['a', 'b', 'c', 'd'].map((tenant) => booted.db.tenants.create(tenant)));
      expect(booted.db.tenants.list().sort()).toEqual(['a', 'b', 'c', 'd']);
      const schemas = await runSql<{ s: string }>(
        'postgres',
        dbName,
        "select schema_name as s from information_schema.schemata where schema_name like 'tenant\\_%' order by 1",
      );
      expect(schemas.map((r) => r.s)).toEqual(['tenant_a', 'tenant_b', 'tenant_c', 'tenant_d']);
    } finally {
      await booted.app.close();
    }
  });
});
