import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const guide = join(root, 'docs/migrating-from-mikro-orm-nestjs.md');
// inside the repository (gitignored .tmp/), so the blocks resolve the project's packages
const dir = join(root, '.tmp', `docs-mikro-orm-nestjs-${process.pid}`);

/** The guide's ```ts blocks, each a complete module. */
async function blocks(): Promise<string[]> {
  const text = await readFile(guide, 'utf8');
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

describe('docs/migrating-from-mikro-orm-nestjs.md', () => {
  let files: string[] = [];
  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    files = await Promise.all(
      (await blocks()).map(async (code, i) => {
        const file = join(dir, `block-${i}.ts`);
        await writeFile(file, code);
        return file;
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('has its code blocks, and they type-check against the package', async () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const config = join(dir, 'tsconfig.json');
    await writeFile(
      config,
      JSON.stringify({
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: root },
        include: files,
      }),
    );
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', config]).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  }, 120_000);

  it('the migrated service runs: class tokens, custom repository and @CreateRequestContext over two databases', async () => {
    const { main } = (await import(/* @vite-ignore */ files[0] as string)) as { main: () => Promise<unknown> };
    expect(await main()).toEqual({ books: 1, logs: 1, database: 'default' });
  });
});
