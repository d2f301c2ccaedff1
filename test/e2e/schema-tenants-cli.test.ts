import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Engine, runSql, serverUrl } from '../fixtures/databases.js';
import { createProject, type TempProject } from '../fixtures/project.js';

const TENANTS = Array.from({ length: 200 }, (_, i) => `t${String(i).padStart(3, '0')}`);
const BROKEN = 't013';

// unquoted SQL both engines run; unqualified names land in the tenant's schema (migrator.up({ schema }))
const migration = (name: string, up: string, down: string) => `import { Migration } from '@mikro-orm/migrations';
export class ${name} extends Migration {
  up() { this.addSql('${up}'); }
  down() { this.addSql('${down}'); }
}
`;
const FIRST = migration(
  'Migration20260101000000_items',
  'create table items (id int not null primary key, tenant varchar(63) not null)',
  'drop table items',
);
const SECOND = migration(
  'Migration20260102000000_note',
  'alter table items add column note varchar(20) null',
  'alter table items drop column note',
);

const CONFIG = (url: string) => `
import { EntitySchema } from '@mikro-orm/core';
import { inDatabase } from 'nestjs-multidb';

const Item = inDatabase('tenant', new EntitySchema({
  name: 'Item', tableName: 'items',
  properties: { id: { type: 'number', primary: true }, tenant: { type: 'string' }, note: { type: 'string', nullable: true } },
}));

export default {
  databases: {
    default: 'sqlite:///data/main.db',
    tenant: {
      url: ${JSON.stringify(url)},
      pool: { max: 8 },
      tenants: { mode: 'schema', list: () => ${JSON.stringify(TENANTS)} },
    },
  },
  entities: [Item],
};
`;

const schemaOf = (tenant: string) => `tenant_${tenant}`;
const countWhere = (engine: Engine, table: string) =>
  engine === 'postgres'
    ? `select count(*) as n from information_schema.tables where table_name = '${table}' and table_schema like 'tenant\\_t%'`
    : `select count(*) as n from information_schema.tables where table_name = '${table}' and table_schema like 'tenant\\_t%'`;

for (const engine of ['postgres', 'mariadb'] as const) {
  describe(`schema-mode tenants on ${engine} through the CLI: 200 tenants`, () => {
    let project: TempProject;
    let dbName: string;

    beforeAll(async () => {
      project = await createProject('multidb-schema-cli-');
      dbName = await createDatabase(engine, 'schema_cli');
      await project.write('multidb.config.mjs', CONFIG(serverUrl(engine, dbName)));
      await project.write('migrations/tenant/Migration20260101000000_items.js', FIRST);
      // one tenant's schema already holds a table the first migration creates: its migration fails
      const broken = schemaOf(BROKEN);
      const create = engine === 'postgres' ? `create schema ${broken}` : `create database ${broken}`;
      await runSql(engine, dbName, create);
      await runSql(engine, dbName, `create table ${broken}.items (id int primary key)`);
    });

    afterAll(async () => {
      await project?.remove();
    });

    it("tenant:create --db 'tenant:*' creates and migrates 200 schemas with a progress bar; the failing one is named, exit 1", async () => {
      const result = await project.cli(['tenant:create', '--db', 'tenant:*', '--concurrency', '8', '--progress']);
      expect(result.code, result.stderr).toBe(1);
      expect(
        result.stdout.match(/^OK +tenant:t\d{3} +tenant:create: schema tenant_t\d{3} ready, applied 1: /gm),
      ).toHaveLength(199);
      expect(result.stdout).toMatch(new RegExp(`^FAILED +tenant:${BROKEN} +tenant:create: `, 'm'));
      expect(result.stdout).toMatch(/^tenant:create: 200 databases$/m);
      expect(result.stdout).toMatch(new RegExp(`^ {2}failed +1 +tenant:${BROKEN}$`, 'm'));
      // the progress bar, drawn on stderr as tenants finish
      expect(result.stderr).toContain('tenant:create [');
      expect(result.stderr).toMatch(/\] 200\/200/);
      // every schema has its tables and its own migrations history
      const [items] = await runSql<{ n: number | string }>(engine, dbName, countWhere(engine, 'items'));
      const [histories] = await runSql<{ n: number | string }>(
        engine,
        dbName,
        countWhere(engine, 'mikro_orm_migrations'),
      );
      expect(Number(items?.n)).toBe(200); // 199 migrated + the broken one's own table
      expect(Number(histories?.n)).toBe(200);
      const [row] = await runSql<{ n: number | string }>(
        engine,
        dbName,
        `select count(*) as n from ${schemaOf('t150')}.mikro_orm_migrations`,
      );
      expect(Number(row?.n)).toBe(1);
    });

    it("migration:up --db 'tenant:*' applies a new migration in every schema; the broken tenant fails alone", async () => {
      await project.write('migrations/tenant/Migration20260102000000_note.js', SECOND);
      const result = await project.cli(['migration:up', '--db', 'tenant:*', '--concurrency', '8']);
      expect(result.code).toBe(1);
      expect(
        result.stdout.match(/^OK +tenant:t\d{3} +migration:up: applied 1: Migration20260102000000_note/gm),
      ).toHaveLength(199);
      expect(result.stdout).toMatch(new RegExp(`^ {2}failed +1 +tenant:${BROKEN}$`, 'm'));
      const [row] = await runSql<{ n: number | string }>(
        engine,
        dbName,
        `select count(*) as n from ${schemaOf('t199')}.mikro_orm_migrations`,
      );
      expect(Number(row?.n)).toBe(2);
      const pending = await project.cli(['migration:pending', '--db', 'tenant:t042']);
      expect(pending.code).toBe(0);
      expect(pending.stdout).toMatch(/^OK +tenant:t042 +migration:pending: pending none/m);
    });

    it("schema:drop and schema:create --db tenant:<t> work in that tenant's schema only", async () => {
      const dropped = await project.cli(['schema:drop', '--db', 'tenant:t042']);
      expect(dropped.code, dropped.stdout + dropped.stderr).toBe(0);
      const [left] = await runSql<{ n: number | string }>(engine, dbName, countWhere(engine, 'items'));
      expect(Number(left?.n)).toBe(199);
      const created = await project.cli(['schema:create', '--db', 'tenant:t042']);
      expect(created.code, created.stdout + created.stderr).toBe(0);
      const [back] = await runSql<{ n: number | string }>(engine, dbName, countWhere(engine, 'items'));
      expect(Number(back?.n)).toBe(200);
      const tables = await runSql(engine, dbName, `select count(*) as n from ${schemaOf('t042')}.items`);
      expect(tables).toHaveLength(1);
    });

    it('tenant:drop needs --confirm with the tenant key, then drops the schema', async () => {
      const refused = await project.cli(['tenant:drop', '--db', 'tenant:t005']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain("drop('t005', { confirm: 't005' })");
      const wrong = await project.cli(['tenant:drop', '--db', 'tenant:t005', '--confirm', 't006']);
      expect(wrong.code).toBe(1);
      const dropped = await project.cli(['tenant:drop', '--db', 'tenant:t005', '--confirm', 't005']);
      expect(dropped.code, dropped.stdout + dropped.stderr).toBe(0);
      const [items] = await runSql<{ n: number | string }>(engine, dbName, countWhere(engine, 'items'));
      expect(Number(items?.n)).toBe(199);
    });
  });
}
