import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MissingServerBinaryError, startPostgres } from 'nestjs-multidb/testing';
import { REPO } from '../fixtures/project.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A test process that starts both servers, reports them and then hangs until it is killed. */
const CHILD = `
import { startMariaDb, startPostgres } from ${JSON.stringify(join(REPO, 'dist/testing/index.js'))};
const servers = await Promise.all([startPostgres(), startMariaDb()]);
console.log(JSON.stringify(servers.map((s) => ({ pid: s.pid, dir: s.dir }))));
setInterval(() => {}, 1000);
`;

describe('throwaway servers', () => {
  it('a missing binary is a clear error naming the package to install', async () => {
    const error = await startPostgres({ binDir: '/nonexistent/bin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingServerBinaryError);
    expect((error as Error).message).toBe(
      '/nonexistent/bin/initdb is not installed; install it with "apt-get install -y postgresql" (Debian/Ubuntu).',
    );
  });

  it('after an abrupt end: a test process killed with SIGKILL leaves no server behind, and the next start removes its data dirs', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const servers = JSON.parse(line) as Array<{ pid: number; dir: string }>;
    expect(servers).toHaveLength(2);
    for (const { pid, dir } of servers) {
      expect(alive(pid)).toBe(true);
      expect(existsSync(dir)).toBe(true);
    }

    child.kill('SIGKILL');
    for (const { pid } of servers) await expect.poll(() => alive(pid), { timeout: 15_000, interval: 100 }).toBe(false);

    const next = await startPostgres(); // the next run
    try {
      for (const { dir } of servers) expect(existsSync(dir), dir).toBe(false);
    } finally {
      await next.destroy();
    }
  });
});
