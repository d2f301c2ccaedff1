import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { entryPoints } from '../../scripts/docs-entry-points.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scratch = join(root, '.tmp', `api-docs-${process.pid}`);

/** `node scripts/docs.mjs [project] [...options]`: its exit status and everything it printed. */
function docs(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(root, 'scripts/docs.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('npm run docs (TypeDoc API reference)', () => {
  it("takes its entry points from package.json's exports (a new export is documented without more set-up)", async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const entries = entryPoints(pkg);
    expect(entries).toEqual(expect.arrayContaining(['src/index.ts', 'src/health/index.ts', 'src/testing/index.ts']));
    expect(entries).toHaveLength(Object.keys(pkg.exports).filter((k) => k !== './package.json').length);
    for (const file of entries) expect(existsSync(join(root, file)), file).toBe(true);
    expect(pkg.scripts.docs).toBe('node scripts/docs.mjs');
  });

  it('builds the reference of this package with no warning: every export documented, no broken link', () => {
    const out = join(scratch, 'api');
    const { status, output } = docs('--out', out);
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'classes', 'nestjs-multidb.DbService.html'))).toBe(true);
  }, 120_000);

  it('fails on an undocumented export, a broken {@link} and an exported API using a type that is not exported', async () => {
    const project = join(scratch, 'project');
    await mkdir(join(project, 'src', 'extra'), { recursive: true });
    await mkdir(join(project, 'scripts'), { recursive: true });
    const exports = {
      '.': { types: './dist/index.d.ts', default: './dist/index.js' },
      './extra': './dist/extra/index.js',
    };
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'fixture', type: 'module', exports }));
    await writeFile(
      join(project, 'tsconfig.build.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', target: 'ES2023' }, include: ['src'] }),
    );
    await copyFile(join(root, 'typedoc.json'), join(project, 'typedoc.json'));
    await copyFile(
      join(root, 'scripts/typedoc-mikro-orm-links.mjs'),
      join(project, 'scripts/typedoc-mikro-orm-links.mjs'),
    );
    await writeFile(
      join(project, 'src/index.ts'),
      [
        'interface Hidden {\n  /** A field. */\n  a: number;\n}',
        '/** Documented, but returns a type that is not exported. */\nexport function hidden(): Hidden {\n  return { a: 1 };\n}',
        '/** See {@link Nowhere}. */\nexport const linked = 1;',
        '',
      ].join('\n\n'),
    );
    await writeFile(join(project, 'src/extra/index.ts'), 'export function undocumentedExtra(): void {}\n');
    const { status, output } = docs(project, '--out', join(scratch, 'fixture-api'));
    expect(status).not.toBe(0);
    expect(output).toMatch(/undocumentedExtra.*does not have any documentation/);
    expect(output).toMatch(/Failed to resolve link to "Nowhere"/);
    expect(output).toMatch(/Hidden.*not included in the documentation/);
  }, 120_000);
});
