import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Body, Controller, Get, Injectable, Module, Post as HttpPost } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EntitySchema, type EntityRepository } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { SqliteDriver } from '@mikro-orm/sqlite';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatabaseUnavailableFilter,
  DbService,
  InjectRepository,
  InvalidTenantKeyError,
  inDatabase,
  MigrationService,
  MultiDbModule,
  type MultiDbModuleOptions,
  NoTenantError,
  TenantClosedError,
  UnknownTenantError,
} from 'nestjs-multidb';
import { type Booted, bootWith, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl, sqliteTables } from '../fixtures/databases.js';
import { createProject, type TempProject } from '../fixtures/project.js';

interface Note {
  id: string;
  tenant: string;
  body: string;
}
const Note = inDatabase(
  'tenant',
  new EntitySchema<Note>({
    name: 'Note',
    tableName: 'notes',
    properties: { id: { type: 'string', primary: true }, tenant: { type: 'string' }, body: { type: 'string' } },
  }),
);

/** Counts live tenant drivers (connected, not yet closed) on our own, apart from the registry's figures. */
const live = { now: 0, max: 0, connects: 0 };
function counting<
  T extends new (
    ...args: any[]
  ) => { connect(): Promise<unknown>; close(force?: boolean): Promise<void> },
>(Base: T): T {
  return class extends Base {
    override async connect() {
      live.now++;
      live.connects++;
      live.max = Math.max(live.max, live.now);
      return super.connect();
    }
    override async close(force?: boolean) {
      live.now--;
      return super.close(force);
    }
  };
}
const CountingSqlite = counting(SqliteDriver);
const CountingPostgres = counting(PostgreSqlDriver);

const SQLITE_TENANTS = Array.from({ length: 50 }, (_, i) => `s${String(i).padStart(2, '0')}`);
const PG_TENANTS = ['pg0', 'pg1', 'pg2', 'pg3', 'pg4'];
const MAX_OPEN = 10;

// SQL both engines run: the same migration serves SQLite and PostgreSQL tenants
const MIGRATION = `import { Migration } from '@mikro-orm/migrations';
export class Migration20260101000000_notes extends Migration {
  up() {
    this.addSql('create table "notes" ("id" varchar(36) not null primary key, "tenant" varchar(63) not null, "body" varchar(255) not null)');
  }
  down() {
    this.addSql('drop table "notes"');
  }
}
`;

/** The CLI's config: the same template, tenants listed by an app-provided function (plus a broken one on demand). */
const CONFIG = (pgUrls: Record<string, string>) => `
import { EntitySchema } from '@mikro-orm/core';
import { inDatabase } from 'nestjs-multidb';

const Note = inDatabase('tenant', new EntitySchema({
  name: 'Note', tableName: 'notes',
  properties: { id: { type: 'string', primary: true }, tenant: { type: 'string' }, body: { type: 'string' } },
}));
const pg = ${JSON.stringify(pgUrls)};
const broken = 'postgresql://nobody:broken-secret@127.0.0.1:1/nothing';

export default {
  databases: {
    default: 'sqlite:///data/main.db',
    tenant: {
      url: 'sqlite:///tenants/{tenant}.db',
      tenants: {
        maxOpen: ${MAX_OPEN},
        list: async () => [...${JSON.stringify(SQLITE_TENANTS)}, ...Object.keys(pg), ...(process.env.BROKEN ? ['broken'] : [])],
        database: (tenant) => (tenant === 'broken' ? broken : pg[tenant]),
      },
    },
  },
  entities: [Note],
};
`;

@Injectable()
class NotesService {
  constructor(
    @InjectRepository(Note) private readonly notes: EntityRepository<Note>,
    private readonly db: DbService,
  ) {}

  /** The most tenant ORMs seen open by any request. */
  maxOpenSeen = 0;

  async add(body: string): Promise<Note> {
    this.maxOpenSeen = Math.max(this.maxOpenSeen, this.db.tenantStats().open);
    const tenant = this.db.em('tenant').getConnection().getPlatform().constructor.name;
    const note = this.notes.create({ id: randomUUID(), tenant: this.currentTenant(), body: `${body} (${tenant})` });
    await this.notes.getEntityManager().flush();
    return note;
  }

  async list(): Promise<Note[]> {
    this.maxOpenSeen = Math.max(this.maxOpenSeen, this.db.tenantStats().open);
    return this.db.getRepository<Note>(Note).findAll({ orderBy: { body: 'asc' } });
  }

  currentTenant(): string {
    return this.db.orm('tenant').config.get('contextName').split(':')[1] as string;
  }
}

@Controller('notes')
class NotesController {
  constructor(private readonly notes: NotesService) {}

  @HttpPost()
  add(@Body() body: { body: string }) {
    return this.notes.add(body.body);
  }

  @Get()
  list() {
    return this.notes.list();
  }
}

@Module({ imports: [MultiDbModule.forFeature([Note])], controllers: [NotesController], providers: [NotesService] })
class NotesModule {}

describe('tenant databases: 50 SQLite + 5 PostgreSQL tenants, migrated by the CLI, routed per request', () => {
  let project: TempProject;
  let pgUrls: Record<string, string>;
  let booted: Booted;
  let options: MultiDbModuleOptions;

  beforeAll(async () => {
    project = await createProject('multidb-tenants-');
    const names = await Promise.all(PG_TENANTS.map((t) => createDatabase('postgres', `tenant_${t}`)));
    pgUrls = Object.fromEntries(PG_TENANTS.map((t, i) => [t, serverUrl('postgres', names[i] as string)]));
    await project.write('multidb.config.mjs', CONFIG(pgUrls));
    await project.write('migrations/tenant/Migration20260101000000_notes.js', MIGRATION);
    options = {
      databases: {
        default: 'sqlite:///data/main.db',
        tenant: {
          url: 'sqlite:///tenants/{tenant}.db',
          tenants: {
            maxOpen: MAX_OPEN,
            list: async () => [...SQLITE_TENANTS, ...PG_TENANTS],
            database: (tenant) => (pgUrls[tenant] ? { url: pgUrls[tenant], driver: CountingPostgres } : undefined),
          },
          driver: CountingSqlite,
        },
      },
      rootPath: project.dir,
      tenantResolver: (req: IncomingMessage) => req.headers['x-tenant'] as string | undefined,
    };
  });

  afterAll(async () => {
    await booted?.app.close();
    await project?.remove();
  });

  it("migration:up --db 'tenant:*' migrates every tenant; a failing one is reported, the others go on, exit 1", async () => {
    const result = await project.cli(['migration:up', '--db', 'tenant:*', '--concurrency', '6'], { BROKEN: '1' });
    expect(result.code).toBe(1);
    const okLines = result.stdout.match(/^OK +tenant:\S+ +migration:up: applied 1: Migration20260101000000_notes/gm);
    expect(okLines).toHaveLength(55);
    expect(result.stdout).toMatch(
      /^FAILED +tenant:broken +migration:up: Database 'tenant:broken' \(postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/nothing\) could not be reached/m,
    );
    // the closing summary table
    expect(result.stdout).toMatch(/^migration:up: 56 databases$/m);
    expect(result.stdout).toMatch(/^ {2}ok +55 *$/m);
    expect(result.stdout).toMatch(/^ {2}failed +1 +tenant:broken$/m);
    expect(`${result.stdout}${result.stderr}`).not.toContain('broken-secret');
    // the databases themselves: SQLite files and PostgreSQL databases hold the table now
    expect(await sqliteTables(join(project.dir, 'tenants/s42.db'))).toEqual(['mikro_orm_migrations', 'notes']);
    const pgName = new URL(pgUrls.pg3 as string).pathname.slice(1);
    expect(await runSql('postgres', pgName, 'select count(*)::int as n from notes')).toEqual([{ n: 0 }]);
  });

  it('a second run has nothing to apply; --json lists every tenant', async () => {
    const result = await project.cli(['migration:pending', '--db', 'tenant:*', '--json']);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { databases: Array<{ key: string; ok: boolean; result: any }> };
    expect(body.databases).toHaveLength(55);
    expect(body.databases.every((d) => d.ok && d.result.pending.length === 0)).toBe(true);
  });

  it('--db selects a configured key and single tenants; a bare template key is refused', async () => {
    // migration:pending never creates a database: 'default' (a SQLite file) is made here first
    expect((await project.cli(['migration:up', '--db', 'default'])).code).toBe(0);
    const some = await project.cli([
      'migration:pending',
      '--db',
      'default',
      '--db',
      'tenant:pg2',
      '--db',
      'tenant:s00',
    ]);
    expect(some.code).toBe(0);
    expect(some.stdout).toMatch(/^OK +default +migration:pending: pending none/m);
    expect(some.stdout).toMatch(/^OK +tenant:pg2 +migration:pending: pending none/m);
    expect(some.stdout).toMatch(/^OK +tenant:s00 +migration:pending: pending none/m);
    const bare = await project.cli(['migration:pending', '--db', 'tenant']);
    expect(bare.code).toBe(2); // a usage error
    expect(bare.stderr).toContain("'tenant' is a tenant template: select its tenants with --db 'tenant:*'");
  });

  it('concurrent HTTP requests for 55 tenants each see only their own rows; never more than maxOpen ORMs', async () => {
    booted = await bootWith([MultiDbModule.setup(options), NotesModule], {
      providers: [{ provide: APP_FILTER, useClass: DatabaseUnavailableFilter }],
    });
    const server = booted.app.getHttpServer();
    const tenants = [...SQLITE_TENANTS, ...PG_TENANTS];
    expect(booted.db.listTenants()).toEqual(tenants);

    const writes = tenants.flatMap((t) =>
      ['a', 'b'].map((body) =>
        request(server)
          .post('/notes')
          .set('x-tenant', t)
          .send({ body: `${t}-${body}` }),
      ),
    );
    for (const response of await Promise.all(writes)) expect(response.status).toBe(201);

    const reads = await Promise.all(tenants.map((t) => request(server).get('/notes').set('x-tenant', t)));
    reads.forEach((response, i) => {
      const t = tenants[i] as string;
      const engine = t.startsWith('pg') ? 'PostgreSqlPlatform' : 'SqlitePlatform';
      expect(response.status).toBe(200);
      expect(response.body).toEqual([
        { id: expect.any(String), tenant: t, body: `${t}-a (${engine})` },
        { id: expect.any(String), tenant: t, body: `${t}-b (${engine})` },
      ]);
    });

    const stats = booted.db.tenantStats();
    expect(stats.peakOpen).toBeLessThanOrEqual(MAX_OPEN);
    expect(stats.peakOpen).toBeGreaterThan(1);
    expect(booted.app.get(NotesService).maxOpenSeen).toBeLessThanOrEqual(MAX_OPEN);
    expect(stats.opened).toBeGreaterThan(MAX_OPEN); // idle tenants were closed and reopened on demand
    // counted by the drivers themselves at every connect: never more than maxOpen alive at once
    expect(live.connects).toBe(stats.opened);
    expect(live.max).toBeLessThanOrEqual(MAX_OPEN);
    expect(live.now).toBe(stats.open);
    expect(stats.open).toBeLessThanOrEqual(MAX_OPEN);
    expect(stats.inUse).toBe(0);
  });

  it('opening one tenant from many callers at once opens it once', async () => {
    const db = booted.db;
    const before = db.tenantStats().opened;
    const seen = await Promise.all(Array.from({ length: 20 }, () => db.runForTenant('s07', () => db.orm('tenant'))));
    expect(new Set(seen).size).toBe(1);
    expect(db.tenantStats().opened - before).toBeLessThanOrEqual(1);
  });

  it('a tenant attached at run time gets its database from the URL pattern; detach forgets it', async () => {
    const db = booted.db;
    await db.attach('late-comer');
    expect(db.has('late-comer')).toBe(true);
    const migrations = booted.app.get(MigrationService);
    await db.runForTenant('late-comer', () => migrations.up(['tenant']));
    await db.runForTenant('late-comer', async () => {
      db.em('tenant').create(Note, { id: randomUUID(), tenant: 'late-comer', body: 'hello' });
      await db.em('tenant').flush();
    });
    const response = await request(booted.app.getHttpServer()).get('/notes').set('x-tenant', 'late-comer');
    expect(response.body).toEqual([{ id: expect.any(String), tenant: 'late-comer', body: 'hello' }]);
    expect(await sqliteTables(join(project.dir, 'tenants/late-comer.db'))).toContain('notes');
    await db.detach('late-comer');
    expect(db.has('late-comer')).toBe(false);
    expect(db.listTenants()).not.toContain('late-comer');
  });

  it('unknown, invalid, missing and closed tenants are MultiDbErrors naming the key', async () => {
    const db = booted.db;
    const unknown = await rejection(db.runForTenant('nobody', () => undefined));
    expect(unknown).toBeInstanceOf(UnknownTenantError);
    expect(unknown.message).toContain("Tenant 'nobody' is not attached to 'tenant'");
    const invalid = await rejection(db.attach('../etc/passwd'));
    expect(invalid).toBeInstanceOf(InvalidTenantKeyError);
    expect(invalid.message).toContain("Tenant '../etc/passwd' of 'tenant' is not a valid tenant key");
    expect(() => db.em('tenant')).toThrow(NoTenantError);
    expect(() => db.em('tenant')).toThrow(/Database 'tenant' is a tenant template and no tenant is selected/);
    // over HTTP, through the exported filter: a request without the header (400), with an unknown
    // tenant or an invalid one (the same 404: no probing which tenants exist) fails when it uses
    // the tenant database, naming the template but never echoing the tenant key
    const server = booted.app.getHttpServer();
    const none = await request(server).get('/notes');
    expect(none.status).toBe(400);
    expect(none.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'This request needs a tenant.',
      database: 'tenant',
    });
    const nobody = await request(server).get('/notes').set('x-tenant', 'nobody');
    const invalidKey = await request(server).get('/notes').set('x-tenant', '../etc');
    const unknownReply = { statusCode: 404, error: 'Not Found', message: 'Unknown tenant.', database: 'tenant' };
    expect([nobody.status, nobody.body]).toEqual([404, unknownReply]);
    expect([invalidKey.status, invalidKey.body]).toEqual([404, unknownReply]);

    await booted.app.close();
    const closed = await rejection(db.runForTenant('s01', () => undefined));
    expect(closed).toBeInstanceOf(TenantClosedError);
    expect(closed.message).toContain("Tenant database 'tenant:s01' is closed");
    expect(db.tenantStats().open).toBe(0);
  });
});
