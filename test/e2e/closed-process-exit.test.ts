import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createDatabase, type Engine, runSql, serverUrl } from '../fixtures/databases.js';
import { expectNoSessions } from '../fixtures/sessions.js';

// The child runs the built package (npm run build): see test/fixtures/closed-app-child.mjs.
const CHILD = fileURLToPath(new URL('../fixtures/closed-app-child.mjs', import.meta.url));
/** Far more than the child needs to finish (about a second): only a handle left open keeps it longer. */
const EXIT_WAIT_MS = 20_000;
const SLEEP_SQL = { postgres: 'select pg_sleep(30)', mariadb: 'select sleep(30)' } as const;

interface ChildRun {
  exited: boolean;
  code: number | null;
  outcome: Record<string, string>;
  stderr: string;
}

function runChild(env: Record<string, string>): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    // still running long after it printed its outcome: something it opened outlived app.close()
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WAIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      resolve({ exited: signal === null, code, outcome: line ? JSON.parse(line) : {}, stderr });
    });
  });
}

async function tenantDatabases(engine: Engine): Promise<{ template: string; names: string[] }> {
  const prefix = `exit_${process.pid}_${Date.now().toString(36)}`;
  const names = ['a', 'b'].map((t) => `${prefix}_${t}`);
  for (const name of names)
    await runSql(engine, engine === 'postgres' ? 'postgres' : 'mysql', `create database ${name}`);
  return { template: `${prefix}_{tenant}`, names };
}

describe('a process ends by itself after app.close() (issue #14)', () => {
  for (const engine of ['postgres', 'mariadb'] as const) {
    it(`${engine}: handles used after close and after eviction refuse, and leave nothing open`, async () => {
      const main = await createDatabase(engine, 'exit');
      const tenants = await tenantDatabases(engine);
      const run = await runChild({
        DEFAULT_URL: serverUrl(engine, main),
        TEMPLATE_URL: serverUrl(engine, tenants.template),
      });

      expect(run.stderr).toBe('');
      expect(run.outcome).toEqual({
        // a TenantClosedError that says the handle outlived the work that selected its tenant
        'evicted tenant': 'TenantReleasedError',
        execute: 'DatabaseClosedError',
        transaction: 'DatabaseClosedError',
        runInContext: 'DatabaseClosedError',
        createAll: 'DatabaseClosedError',
        'tenant after close': 'TenantReleasedError', // the same handle: it stays closed for the same reason
      });
      expect(run).toMatchObject({ exited: true, code: 0 });
      await expectNoSessions(engine, main, ...tenants.names);
    }, 40_000);

    it(`${engine}: transactions left open (one idle, one running a statement) do not keep it alive past shutdownTimeout`, async () => {
      const main = await createDatabase(engine, 'exittx');
      const tenants = await tenantDatabases(engine);
      const run = await runChild({
        MODE: 'transaction',
        DEFAULT_URL: serverUrl(engine, main),
        TEMPLATE_URL: serverUrl(engine, tenants.template),
        SLEEP_SQL: SLEEP_SQL[engine],
      });

      expect(run.stderr).toBe('');
      expect(run).toMatchObject({ exited: true, code: 0 });
      await expectNoSessions(engine, main, ...tenants.names);
      // the open transactions were rolled back on the server
      const [row] = await runSql<{ n: number | string }>(engine, main, 'select count(*) as n from items');
      expect(Number(row?.n)).toBe(0);
    }, 40_000);
  }
});
