import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { type EntityManager, EntitySchema, type MikroORM } from '@mikro-orm/core';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DatabaseConnectionError,
  DbService,
  inDatabase,
  InjectEntityManager,
  InjectOrm,
  MultiDbMiddleware,
  InvalidOptionsError,
  type MultiDbModuleOptions,
  TenantError,
  toMikroOrmConfigs,
} from 'nestjs-multidb';
import { type Booted, boot, rejection } from '../fixtures/boot.js';

const Item = inDatabase(
  'tenant',
  new EntitySchema({ name: 'Item', tableName: 'items', properties: { id: { type: 'integer', primary: true } } }),
);

/** A promise and its resolve function: holds a tenant open until the test lets go. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('tenant options are checked at start-up', () => {
  const cases: Array<[string, MultiDbModuleOptions['databases'], RegExp]> = [
    [
      'a template URL without {tenant}',
      { default: 'sqlite://', tenant: { url: 'sqlite:///t.db', tenants: {} } },
      /Tenant template 'tenant': its url must contain \{tenant\}/,
    ],
    [
      "'default' as a template",
      { default: { url: 'sqlite:///{tenant}.db', tenants: {} } },
      /'default' cannot be a tenant template/,
    ],
    [
      'maxOpen 0',
      { default: 'sqlite://', tenant: { url: 'sqlite:///{tenant}.db', tenants: { maxOpen: 0 } } },
      /'tenants.maxOpen' must be a positive integer/,
    ],
    [
      'replicas of a SQLite database',
      { default: { url: 'sqlite://', replicas: ['sqlite://'] } },
      /Database 'default': SQLite has no read replicas/,
    ],
    [
      'replicas that are not URLs',
      { default: { url: 'postgresql://u@h/db', replicas: 'postgresql://u@r/db' as never } },
      /Database 'default': 'replicas' must be an array of URLs/,
    ],
    [
      'entitiesOf naming a tenant template',
      {
        default: 'sqlite://',
        tenant: { url: 'sqlite:///{tenant}.db', tenants: {} },
        copy: { url: 'sqlite://', entitiesOf: 'tenant' },
      },
      /Database 'copy': entitiesOf 'tenant' must name another configured key/,
    ],
  ];
  it.each(cases)('refuses %s', async (_, databases, message) => {
    const error = await rejection(boot({ databases }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toMatch(message);
  });

  it('toMikroOrmConfigs lists the plain databases (a copy with its entitiesOf), not the templates', async () => {
    const Post = new EntitySchema({ name: 'Post', properties: { id: { type: 'integer', primary: true } } });
    const configs = await toMikroOrmConfigs({
      databases: {
        default: 'sqlite://',
        staging: { url: 'sqlite://', entitiesOf: 'default' },
        tenant: { url: 'sqlite:///{tenant}.db', tenants: {} },
      },
      entities: [Post, Item],
    });
    expect(configs.map((c) => [c.contextName, c.entities])).toEqual([
      ['default', [Post]],
      ['staging', [Post]],
    ]);
  });

  it("fills {tenant} into a template's replica URLs too", async () => {
    const { resolveOptions } = await import('../../src/config/resolve-databases.js');
    const [template] = resolveOptions({
      databases: {
        default: 'sqlite://',
        tenant: {
          url: 'postgresql://app:pw@primary/tenant_{tenant}',
          replicas: ['postgresql://reader:secret@replica/tenant_{tenant}'],
          tenants: {},
        },
      },
    }).templates;
    const acme = await template?.resolve('acme');
    expect(acme?.maskedReplicas).toEqual(['postgresql://reader:***@replica/tenant_acme']);
    expect(acme?.options.replicas).toEqual([
      expect.objectContaining({ host: 'replica', dbName: 'tenant_acme', name: 'tenant:acme-replica-1' }),
    ]);
    expect(acme?.secrets).toEqual(['pw', 'secret']);
  });

  it('refuses a tenantResolver that is not a function', async () => {
    const error = await rejection(boot({ databases: 'sqlite://', tenantResolver: 'x-tenant' as never }));
    expect(error.message).toBe("MultiDbModule: 'tenantResolver' must be a function (request) => tenant, got a string.");
  });
});

describe('the tenant registry over real SQLite files: LRU, waiting, single flight, detach', () => {
  let dir: string;
  let booted: Booted;
  const held: Array<() => void> = [];

  /** One query on `tenant`'s database: what opens it (selecting a tenant opens nothing). */
  const use = (tenant: string) =>
    booted.db.runForTenant(tenant, async () => {
      await booted.db.em('tenant').getConnection().execute('select 1');
      return booted.db.orm('tenant');
    });

  /** Opens `tenant` and keeps it in use until the returned function is called. */
  const hold = async (tenant: string): Promise<{ orm: MikroORM; done: Promise<void>; release: () => void }> => {
    const g = gate();
    let orm!: MikroORM;
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const done = booted.db.runForTenant(tenant, async () => {
      orm = booted.db.orm('tenant');
      await orm.em.getConnection().execute('select 1');
      entered();
      await g.promise;
    });
    await inside;
    held.push(g.open);
    return { orm, done, release: g.open };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-tenant-unit-'));
    booted = await boot({
      databases: {
        default: 'sqlite://',
        tenant: {
          url: `sqlite:///{tenant}.db`,
          tenants: {
            maxOpen: 2,
            database: (t) => (t === 'down' ? 'postgresql://nobody:pw@127.0.0.1:1/nothing' : undefined),
          },
        },
      },
      entities: [Item],
      rootPath: dir,
    });
    for (const t of ['a', 'b', 'c', 'd', 'down']) await booted.db.attach(t);
  });

  afterEach(() => {
    for (const release of held.splice(0)) release();
  });

  afterAll(async () => {
    await booted?.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a third tenant waits while two are in use, and takes the place of the first released', async () => {
    const { db } = booted;
    const a = await hold('a');
    const b = await hold('b');
    let cOpened = false;
    const c = hold('c').then((h) => {
      cOpened = true;
      return h;
    });
    await tick();
    expect(cOpened).toBe(false);
    expect(db.tenantStats()).toMatchObject({ open: 2, inUse: 2 });
    a.release();
    await a.done;
    await c;
    expect(cOpened).toBe(true);
    expect(db.tenantStats().open).toBe(2);
    expect(db.tenantStats().peakOpen).toBe(2);
    // b, in use all along, was never closed: its EntityManager still runs queries
    expect(await b.orm.em.fork().getConnection().execute('select 1 as one')).toEqual([{ one: 1 }]);
    b.release();
    await b.done;
  });

  it('the least recently used idle tenant is the one closed', async () => {
    const { db } = booted;
    await use('a');
    await use('b');
    await use('a'); // a is now more recent than b
    const before = db.tenantStats().opened;
    await use('d'); // evicts b
    await use('a'); // still open: nothing opened
    expect(db.tenantStats().opened - before).toBe(1);
    await use('b'); // was closed: reopened
    expect(db.tenantStats().opened - before).toBe(2);
  });

  it('concurrent first uses of one tenant open it once', async () => {
    const { db } = booted;
    await use('a');
    await use('b'); // c is closed now
    const before = db.tenantStats().opened;
    const orms = await Promise.all(Array.from({ length: 8 }, () => use('c')));
    expect(new Set(orms).size).toBe(1);
    expect(db.tenantStats().opened - before).toBe(1);
  });

  it('a tenant that cannot be opened gives its place back', async () => {
    const { db } = booted;
    expect(await db.runForTenant('down', () => 'selecting it opens nothing')).toBe('selecting it opens nothing');
    const error = await rejection(use('down'));
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain("Database 'tenant:down' (postgresql://nobody:***@127.0.0.1:1/nothing)");
    const a = await hold('a');
    const b = await hold('b'); // both places are usable
    expect(db.tenantStats().open).toBe(2);
    a.release();
    b.release();
    await Promise.all([a.done, b.done]);
  });

  it('detach waits until the tenant is no longer in use, then closes it', async () => {
    const { db } = booted;
    const d = await hold('d');
    let detached = false;
    const detaching = db.detach('d').then(() => (detached = true));
    await tick();
    expect(detached).toBe(false);
    expect(db.has('d')).toBe(false);
    const error = await rejection(use('d'));
    expect(error).toBeInstanceOf(TenantError);
    d.release();
    await detaching;
    expect(detached).toBe(true);
    await d.done;
  });
});

describe('MultiDbMiddleware applied by the app itself (requestContext: false) selects the tenant too', () => {
  it('routes each request to its tenant', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'multidb-tenant-mw-'));
    @Controller('whoami')
    class WhoAmI {
      constructor(
        private readonly db: DbService,
        @InjectEntityManager('tenant') private readonly em: EntityManager,
        @InjectOrm('tenant') private readonly orm: MikroORM,
      ) {}
      @Get()
      get() {
        const fork = this.em.getContext(false); // the request's own fork of the tenant's EntityManager
        return {
          tenant: this.db.orm('tenant').config.get('contextName'),
          em: this.em.name,
          forked: fork !== this.db.orm('tenant').em && fork === this.db.em('tenant'),
          orm: this.orm.config.get('contextName'),
        };
      }
    }
    @Module({ controllers: [WhoAmI] })
    class AppModule implements NestModule {
      configure(consumer: MiddlewareConsumer) {
        consumer.apply(MultiDbMiddleware).forRoutes('*path');
      }
    }
    const booted = await boot(
      {
        databases: { default: 'sqlite://', tenant: { url: 'sqlite:///{tenant}.db', tenants: { list: () => ['x1'] } } },
        entities: [Item],
        rootPath: dir,
        requestContext: false,
        tenantResolver: (req) => req.headers['x-tenant']?.toString(),
      },
      { imports: [AppModule] },
    );
    try {
      const response = await request(booted.app.getHttpServer()).get('/whoami').set('x-tenant', 'x1');
      expect(response.body).toEqual({ tenant: 'tenant:x1', em: 'tenant:x1', forked: true, orm: 'tenant:x1' });
    } finally {
      await booted.app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("swapDatabases(…, 'sqlite') with a tenant template", () => {
  it('gives every tenant an in-memory database of its own, whatever the real factory says', async () => {
    const { applySwaps } = await import('nestjs-multidb/testing');
    const options = applySwaps(
      {
        databases: {
          default: 'postgresql://app:pw@db/main',
          tenant: {
            url: 'postgresql://app:pw@db/{tenant}',
            tenants: { maxOpen: 5, list: () => ['one', 'two'], database: () => 'postgresql://app:pw@elsewhere/x' },
          },
        },
        entities: [Item],
      },
      'sqlite',
    );
    const booted = await boot(options);
    try {
      const { db } = booted;
      for (const tenant of db.listTenants()) {
        await db.runForTenant(tenant, async () => {
          await db.createAll('tenant');
          db.em('tenant').create(Item, { id: tenant === 'one' ? 1 : 2 });
          await db.em('tenant').flush();
        });
      }
      const ids = await db.runForTenant('two', () => db.em('tenant').find(Item, {}));
      expect(ids).toEqual([{ id: 2 }]);
    } finally {
      await booted.app.close();
    }
  });
});
