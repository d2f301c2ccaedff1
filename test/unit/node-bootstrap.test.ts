import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAPPED_ENV, nodeVersionProblem } from '../../scripts/node-version.mjs';
import { REPO } from '../fixtures/project.js';

// `npm test`, `npm run demo` and `npm run quickstart` start with `node scripts/ensure-deps.mjs <script>`:
// run here, under the machine's old Node, on a copy of the scripts in a project whose npm scripts
// print the Node each of their steps runs on
const PROBE = {
  name: 'probe',
  private: true,
  scripts: {
    probe: `node -p "'step1 ' + process.version" && node -p "'step2 ' + process.version" && node -e "console.log('args', process.argv.slice(1).join(' '))"`,
    fail: `node -e "process.exit(3)"`,
  },
};
const NODE24 = process.execPath; // this test runs on Node >= 22.17 (vitest.config.ts checks)
const CACHED = join(homedir(), '.cache/nestjs-multidb/node24');

/** The machine's Node older than 22.17 (its own /usr/bin/node here); fetched as node@20 where it has none. */
function oldNode(): string {
  const onPath = spawnSync('sh', ['-c', 'which -a node'], { encoding: 'utf8' }).stdout.split('\n');
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node', ...onPath].filter(Boolean)) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'JSON.stringify(process.versions)'], { encoding: 'utf8' }).stdout;
    if (version && nodeVersionProblem(JSON.parse(version))) return candidate;
  }
  const dir = join(homedir(), '.cache/nestjs-multidb/node20');
  const bin = join(dir, 'node_modules/.bin/node');
  if (!existsSync(bin)) execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', 'node@20']);
  return bin;
}

describe('npm test / demo / quickstart on a machine whose Node is older than 22.17 (scripts/ensure-deps.mjs)', () => {
  let project: string;
  let old: string;
  let realNpm: string;
  let oldPath: string;

  const run = (args: string[], env: Record<string, string> = {}, node = old) => {
    const clean = { ...process.env };
    delete clean[BOOTSTRAPPED_ENV];
    delete clean.NODE_BOOTSTRAP;
    const result = spawnSync(node, [join(project, 'scripts/ensure-deps.mjs'), ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...clean, PATH: oldPath, NODE_BOOTSTRAP_DIR: CACHED, ...env },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    old = oldNode();
    realNpm = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
    if (!existsSync(join(CACHED, 'node_modules/.bin/node'))) {
      await mkdir(join(CACHED, 'node_modules/.bin'), { recursive: true });
      await copyFile(NODE24, join(CACHED, 'node_modules/.bin/node'));
    }
    project = await mkdtemp(join(tmpdir(), 'node-bootstrap-'));
    await mkdir(join(project, 'scripts'));
    await mkdir(join(project, 'node_modules'));
    for (const file of ['ensure-deps.mjs', 'node-version.mjs']) {
      await copyFile(join(REPO, 'scripts', file), join(project, 'scripts', file));
    }
    await writeFile(join(project, 'node_modules/.package-lock.json'), '{}'); // dependencies installed
    await writeFile(join(project, 'package.json'), JSON.stringify(PROBE));
    // PATH as on that machine: the old Node first, then npm; no Node 24 anywhere
    oldPath = [dirname(old), dirname(realNpm), '/usr/bin', '/bin'].join(delimiter);
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('says so in one line and runs every step of the npm script under the bootstrapped Node 24, args passed on', () => {
    const result = run(['probe', 'a', 'b']);
    expect(result.code, result.stderr).toBe(0);
    const notices = result.stderr.split('\n').filter((line) => line.includes('older than 22.17'));
    expect(notices).toEqual([
      expect.stringMatching(
        /^nestjs-multidb: Node v\d+\.\d+\.\d+ is older than 22\.17; using .*NODE_BOOTSTRAP=0 turns this off/,
      ),
    ]);
    expect(notices[0]).toContain(CACHED);
    const steps = result.stdout.split('\n').filter((line) => /^(step\d|args) /.test(line));
    expect(steps).toEqual([`step1 ${process.version}`, `step2 ${process.version}`, 'args a b']);
  });

  it('npm test, npm run demo and npm run quickstart go through it whole: no pre-hook runs on the old Node first', async () => {
    const { scripts } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['test', 'demo', 'quickstart', 'test:unit', 'test:load']) {
      expect(scripts[name]).toBe(`node scripts/ensure-deps.mjs ${name}:run`);
      expect(scripts[`pre${name}`]).toBeUndefined();
      expect(scripts[`${name}:run`]).toBeDefined();
    }
    expect(scripts['test:run']).toMatch(/&& vitest run$/);
  });

  it("the npm script's exit code is the command's", () => {
    expect(run(['fail']).code).toBe(3);
  });

  it('NODE_BOOTSTRAP=0 turns it off: the old Node is refused, saying why, and nothing runs', () => {
    const result = run(['probe'], { NODE_BOOTSTRAP: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs Node.js >= 22.17.0');
    expect(result.stderr).toContain('NODE_BOOTSTRAP=0 is set');
    expect(result.stdout).not.toContain('step1');
  });

  it('fetches node@24 with npm into NODE_BOOTSTRAP_DIR when that folder has none, as .ci/run does', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'node-bootstrap-dir-'));
    const fakes = join(fresh, 'fake-bin');
    await mkdir(fakes);
    // an npm that records `npm install` (and puts this Node 24 where the registry's would land); the rest is npm's
    await writeFile(
      join(fakes, 'npm'),
      `#!/bin/sh\nif [ "$1" = install ]; then echo "$@" > "${fresh}/install.log"; mkdir -p "$3/node_modules/.bin"; ln -s "${NODE24}" "$3/node_modules/.bin/node"; exit 0; fi\nexec "${realNpm}" "$@"\n`,
    );
    await chmod(join(fakes, 'npm'), 0o755);
    const target = join(fresh, 'node24');
    try {
      const result = run(['probe'], { PATH: `${fakes}${delimiter}${oldPath}`, NODE_BOOTSTRAP_DIR: target });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`fetching node@24 from the npm registry into ${target}`);
      expect((await readFile(join(fresh, 'install.log'), 'utf8')).trim()).toBe(
        `install --prefix ${target} --no-audit --no-fund --loglevel=error node@24`,
      );
      const ci = await readFile(join(REPO, '.ci/run'), 'utf8');
      expect(ci).toContain('npm install --prefix "$dir" --no-audit --no-fund --loglevel=error node@24');
      expect(result.stdout).toContain(`step2 ${process.version}`);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('on Node >= 22.17 it runs the npm script as it is, with no notice', () => {
    const result = run(['probe'], { PATH: `${dirname(NODE24)}${delimiter}${oldPath}` }, NODE24);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('older than');
    expect(result.stdout).toContain(`step1 ${process.version}`);
  });
});
