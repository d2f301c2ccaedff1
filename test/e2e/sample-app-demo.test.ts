import { type ChildProcess, spawn } from 'node:child_process';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../fixtures/free-port.js';
import { createProject, REPO, type TempProject } from '../fixtures/project.js';

/**
 * What `npm run demo` runs — the built sample app, with no database URL in the environment — in a
 * copy of its folder, so that its embedded SQLite files land in a temporary place.
 */
describe('the demo: the built sample app on its embedded SQLite default', () => {
  let project: TempProject;
  let child: ChildProcess | undefined;
  let base: string;

  const start = async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    for (const name of ['DATABASE_URL', 'AUTH_DATABASE_URL', 'META_DATABASE_URL']) delete env[name];
    child = spawn(process.execPath, ['dist/src/main.js'], { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    await expect
      .poll(async () => (await fetch(`${base}/health`).catch(() => null))?.status, { timeout: 30_000, interval: 200 })
      .toBe(200);
    return output;
  };
  const stop = async () => {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child?.kill('SIGTERM');
    await exited;
    child = undefined;
  };

  beforeAll(async () => {
    project = await createProject('multidb-demo-');
    for (const part of ['dist', 'migrations', 'package.json']) {
      await cp(join(REPO, 'sample-app', part), join(project.dir, part), { recursive: true });
    }
  });
  afterAll(async () => {
    if (child) await stop();
    await project?.remove();
  });

  it('starts with no environment, reports three keys up, and keeps its data across a restart', async () => {
    const output = await start();
    expect(output).toContain('nestjs-multidb sample app is running: open http://localhost:');
    const health = (await (await fetch(`${base}/health`)).json()) as { details: Record<string, { status: string }> };
    expect(Object.values(health.details).map((d) => d.status)).toEqual(['up', 'up', 'up']);
    const created = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'kept@example.com', displayName: 'Kept' }),
    });
    expect(created.status).toBe(201);
    await stop();

    await start();
    const users = (await (await fetch(`${base}/users`)).json()) as { items: unknown[] };
    expect(users.items).toEqual([{ id: 1, email: 'kept@example.com', displayName: 'Kept' }]);
  });
});
