import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DbService } from 'nestjs-multidb';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';

const root = new URL('../../', import.meta.url);

// the tenants guide's schema-mode example needs a server, so it is checked here rather than in test/unit/readme.test.ts
describe('docs/tenants.md: schema-mode tenants example', () => {
  it('shows examples/schema-tenants.ts verbatim, and it serves each tenant from its own schema', async () => {
    const [readme, code] = await Promise.all([
      readFile(new URL('docs/tenants.md', root), 'utf8'),
      readFile(new URL('examples/schema-tenants.ts', root), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``);

    const dbName = await createDatabase('postgres', 'readme_schema');
    await runSql('postgres', dbName, 'create table public.plan (id int primary key, name varchar(255) not null)');
    const { schemaTenantsModule } = await import('../../examples/schema-tenants.js');
    const cwd = process.cwd();
    const dir = await mkdtemp(join(tmpdir(), 'multidb-example-'));
    process.chdir(dir);
    const moduleRef = await Test.createTestingModule({
      imports: [schemaTenantsModule(serverUrl('postgres', dbName), async () => ['acme', 'globex'])],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      const db = app.get(DbService);
      for (const tenant of ['acme', 'globex']) await db.tenants.create(tenant);
      const server = app.getHttpServer();
      await request(server).post('/orders').set('x-tenant', 'acme').send({ item: 'anvil' }).expect(201);
      await request(server).post('/orders').set('x-tenant', 'globex').send({ item: 'rocket' }).expect(201);
      const acme = await request(server).get('/orders').set('x-tenant', 'acme').expect(200);
      expect(acme.body.map((o: { item: string }) => o.item)).toEqual(['anvil']);
      const globex = await request(server).get('/orders').set('x-tenant', 'globex').expect(200);
      expect(globex.body.map((o: { item: string }) => o.item)).toEqual(['rocket']);
      expect(await runSql('postgres', dbName, 'select item from tenant_acme.order')).toEqual([{ item: 'anvil' }]);
    } finally {
      await app.close();
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
