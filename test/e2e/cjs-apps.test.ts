import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CJS_APPS, packOurPackage, prepareCjsApp } from '../fixtures/cjs-apps.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';

// Most Nest apps are Nest 11 compiled to CommonJS: the same app (test/fixtures/cjs-app/src, "module":
// "commonjs", its own package.json and install) on Nest 11 and on Nest 12 `require`s nestjs-multidb
// (Node >= 22.17 loads our ES modules through require), with two SQLite databases and one PostgreSQL,
// injected repositories, nestjs-multidb/testing and nestjs-multidb/health; its own e2e (src/e2e.ts)
// prints one `ok` line per check
const CHECKS = [
  /^ok one copy of each peer, @nestjs\/core (\d+)\.\d+\.\d+, module system commonjs$/,
  /^ok three databases: PostgreSQL default, two SQLite$/,
  /^ok injected repositories write each entity to its own database$/,
  /^ok nestjs-multidb\/health through Terminus: every database up$/,
  /^ok nestjs-multidb\/testing: swapDatabases and truncateAll$/,
  /^ok closed$/,
];

describe('a CommonJS Nest app requires nestjs-multidb (Nest 11 and Nest 12)', () => {
  let tarball: string;
  beforeAll(async () => {
    tarball = await packOurPackage();
  }, 120_000);
  afterAll(() => rm(dirname(tarball), { recursive: true, force: true }));

  describe.each(CJS_APPS)('%s', (name) => {
    let dir: string;
    let pgUrl: string;
    beforeAll(async () => {
      [dir, pgUrl] = await Promise.all([
        prepareCjsApp(name, tarball),
        createDatabase('postgres', `cjs_${name}`).then((db) => serverUrl('postgres', db)),
      ]);
    }, 300_000);

    it('compiles to CommonJS against its own Nest, with our types from "nestjs-multidb/testing" and "/health"', async () => {
      const compiled = await readFile(join(dir, 'dist/e2e.js'), 'utf8');
      expect(compiled).toContain('require("nestjs-multidb/testing")');
      expect(compiled).not.toMatch(/^import /m);
      const own = JSON.parse(await readFile(join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8'));
      expect(own.version.split('.')[0]).toBe(name.replace('nest', ''));
    });

    it("passes its e2e: three databases, repositories, health, testing helpers, one copy of Nest's packages", async () => {
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['dist/e2e.js'],
          { cwd: dir, env: { ...process.env, PG_URL: pgUrl }, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines).toEqual(CHECKS.map((check) => expect.stringMatching(check)));
      expect(lines[0]?.match(CHECKS[0] as RegExp)?.[1]).toBe(name.replace('nest', ''));
      expect(result.stdout + result.stderr).not.toContain(decodeURIComponent(new URL(pgUrl).password));
    });
  });
});
