import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

/**
 * Checks that a guide (README.md or docs/*.md) shows an example file verbatim, then runs `serve` in a fresh working
 * directory (the examples keep their SQLite files under ./data) and closes the app it returns.
 */
async function showsAndServes(
  doc: string,
  example: string,
  serve: () => Promise<{ app: INestApplication; check: (base: string) => Promise<void> }>,
): Promise<void> {
  const [readme, code] = await Promise.all([
    readFile(new URL(doc, root), 'utf8'),
    readFile(new URL(example, root), 'utf8'),
  ]);
  expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``);
  const cwd = process.cwd();
  const dir = await mkdtemp(join(tmpdir(), 'multidb-example-'));
  let app: INestApplication | undefined;
  process.chdir(dir);
  try {
    const served = await serve();
    app = served.app;
    await served.check((await app.getUrl()).replace('[::1]', 'localhost'));
  } finally {
    await app?.close();
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  }
}

describe('README', () => {
  it('shows the quickstart exactly as examples/quickstart.ts, which compiles (typecheck) and runs', async () => {
    await showsAndServes('README.md', 'examples/quickstart.ts', async () => {
      const { bootstrap } = await import('../../examples/quickstart.js');
      const app = await bootstrap(0);
      return {
        app,
        check: async (base) => {
          const post = (path: string, body: object) =>
            fetch(`${base}${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
          expect((await post('/notes', { text: 'hello' })).status).toBe(201);
          expect((await post('/accounts', { email: 'ada@example.com' })).status).toBe(201);
          expect(await (await fetch(`${base}/counts`)).json()).toEqual({ notes: 1, accounts: 1 });
        },
      };
    });
  });

  it('shows the testing example exactly as examples/app.test.ts (docs/testing.md), which the unit project runs', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('docs/testing.md', root), 'utf8'),
      readFile(new URL('examples/app.test.ts', root), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('shows the tenants example exactly as examples/tenants.ts (docs/tenants.md), which serves each tenant from its own database', async () => {
    await showsAndServes('docs/tenants.md', 'examples/tenants.ts', async () => {
      const { Test } = await import('@nestjs/testing');
      const { DbService } = await import('nestjs-multidb');
      const { TenantsAppModule } = await import('../../examples/tenants.js');
      const moduleRef = await Test.createTestingModule({ imports: [TenantsAppModule] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0);
      const db = app.get(DbService);
      expect(db.listTenants()).toEqual(['acme', 'globex']);
      for (const tenant of db.listTenants()) await db.runForTenant(tenant, () => db.createAll('tenant'));
      return {
        app,
        check: async (base) => {
          const send = (tenant: string, init?: RequestInit) =>
            fetch(`${base}/invoices`, { ...init, headers: { 'content-type': 'application/json', 'x-tenant': tenant } });
          const add = (tenant: string, customer: string) =>
            send(tenant, { method: 'POST', body: JSON.stringify({ customer }) });
          expect((await add('acme', 'Road Runner')).status).toBe(201);
          expect((await add('globex', 'Hank Scorpio')).status).toBe(201);
          expect(await (await send('acme')).json()).toEqual([{ id: 1, customer: 'Road Runner' }]);
          expect(await (await send('globex')).json()).toEqual([{ id: 1, customer: 'Hank Scorpio' }]);
        },
      };
    });
  });

  it('shows the async-context example exactly as examples/tenant-context.ts (docs/tenants.md), which behaves as it says', async () => {
    await showsAndServes('docs/tenants.md', 'examples/tenant-context.ts', async () => {
      const { Test } = await import('@nestjs/testing');
      const { DbService } = await import('nestjs-multidb');
      const { Invoice, TenantsAppModule } = await import('../../examples/tenants.js');
      const { PaymentListeners, invoiceCount, invoiceCountWrong, payments } = await import(
        '../../examples/tenant-context.js'
      );
      const moduleRef = await Test.createTestingModule({
        imports: [TenantsAppModule],
        providers: [PaymentListeners],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.listen(0);
      const db = app.get(DbService);
      const listeners = app.get(PaymentListeners);
      const customers = (tenant: string) =>
        db.runForTenant(tenant, async () => (await db.em('tenant').find(Invoice, {})).map((i) => i.customer));
      return {
        app,
        check: async () => {
          for (const tenant of ['acme', 'globex']) await db.runForTenant(tenant, () => db.createAll('tenant'));
          // both listeners registered during an acme request; 'paid' fires during a globex request
          await db.runForTenant('acme', () => {
            listeners.recordWrong();
            listeners.record('acme');
          });
          let done!: () => void;
          const held = new Promise<void>((resolve) => (done = resolve));
          const globex = db.runForTenant('globex', async () => {
            payments.emit('paid', 'Road Runner');
            await held; // globex's request is still running while the listeners write
          });
          const deadline = Date.now() + 10_000;
          while ((await customers('acme')).length + (await customers('globex')).length < 2) {
            if (Date.now() > deadline) throw new Error('the listeners did not write');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          done();
          await globex;
          expect(await customers('acme')).toEqual(['Road Runner']); // record('acme')
          expect(await customers('globex')).toEqual(['Road Runner']); // recordWrong(): globex's database
          // the shared promise: acme fills it, globex reads acme's count
          await db.runForTenant('acme', async () => {
            db.em('tenant').create(Invoice, { customer: 'Wile E.' });
            await db.em('tenant').flush();
          });
          expect(await db.runForTenant('acme', () => invoiceCountWrong(db))).toBe(2);
          expect(await db.runForTenant('globex', () => invoiceCountWrong(db))).toBe(2);
          expect(await invoiceCount(db, 'acme')).toBe(2);
          expect(await invoiceCount(db, 'globex')).toBe(1);
        },
      };
    });
  });

  it('shows the cross-database transaction example exactly as examples/transactions.ts (docs/transactions.md, compiled by the type check)', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('docs/transactions.md', root), 'utf8'),
      readFile(new URL('examples/transactions.ts', root), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('names the test command and the Node requirement', async () => {
    const readme = await readFile(new URL('README.md', root), 'utf8');
    expect(readme).toContain('npm test');
    expect(readme).toContain('Node.js >= 22.17');
  });
});
