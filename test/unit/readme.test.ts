import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

describe('README', () => {
  it('shows the quickstart exactly as examples/quickstart.ts, which compiles (typecheck) and runs', async () => {
    const [readme, quickstart] = await Promise.all([
      readFile(new URL('README.md', root), 'utf8'),
      readFile(new URL('examples/quickstart.ts', root), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`ts\n${quickstart}\`\`\``);

    const cwd = process.cwd();
    const dir = await mkdtemp(join(tmpdir(), 'multidb-quickstart-'));
    let app: INestApplication | undefined;
    process.chdir(dir); // the quickstart keeps its SQLite files under ./data
    try {
      const { bootstrap } = await import('../../examples/quickstart.js');
      app = await bootstrap(0);
      const base = (await app.getUrl()).replace('[::1]', 'localhost');
      const post = (path: string, body: object) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post('/notes', { text: 'hello' })).status).toBe(201);
      expect((await post('/accounts', { email: 'ada@example.com' })).status).toBe(201);
      expect(await (await fetch(`${base}/counts`)).json()).toEqual({ notes: 1, accounts: 1 });
    } finally {
      await app?.close();
      process.chdir(cwd);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows the testing example exactly as examples/app.test.ts, which the unit project runs', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('README.md', root), 'utf8'),
      readFile(new URL('examples/app.test.ts', root), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('shows the cross-database transaction example exactly as examples/transactions.ts (compiled by the type check)', async () => {
    const [readme, example] = await Promise.all([
      readFile(new URL('README.md', root), 'utf8'),
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
