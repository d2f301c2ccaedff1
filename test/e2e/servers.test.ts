import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { startMariaDb, startPostgres, type ThrowawayServer } from 'nestjs-multidb/testing';

const cases: Array<[string, () => Promise<ThrowawayServer>, string]> = [
  ['postgresql', () => startPostgres({ maxPreparedTransactions: 5 }), 'postgresql'],
  ['mariadb', startMariaDb, 'mysql'],
];

describe.each(cases)('%s throwaway server', (engine, start, scheme) => {
  it('starts, serves queries, survives stop/start and is destroyed without leftovers', async () => {
    const server = await start();
    const dir = serverDir(server);
    try {
      expect(server.engine).toBe(engine);
      expect(server.host).toBe('127.0.0.1');
      expect([5432, 3306]).not.toContain(server.port);
      expect(server.password.length).toBeGreaterThan(8);
      expect(dir.startsWith(os.tmpdir())).toBe(true);
      expect(server.url('app')).toBe(`${scheme}://${server.user}:${server.password}@127.0.0.1:${server.port}/app`);
      expect(server.url('app', 'mariadb')).toMatch(/^mariadb:\/\//);

      expect(() => loginWith(server, 'wrong-password')).toThrow();
      expect(loginWith(server, server.password)).toBe('1');

      await server.createDatabase('app');
      expect(() => loginWith(server, 'wrong-password')).toThrow();
      expect(loginWith(server, server.password)).toBe('1');

      await server.createDatabase('app'); // idempotent
      expect(await server.query('select 1', 'app')).toBe('1');
      if (engine === 'postgresql') {
        expect(await server.query('show max_prepared_transactions')).toBe('5');
      } else {
        expect(await server.query('select @@character_set_server')).toBe('utf8mb4');
      }

      await server.query('create table kept (id int primary key, name varchar(20))', 'app');
      await server.query("insert into kept values (1, 'one')", 'app');
      expect(await server.query('select id, name from kept', 'app')).toBe('1\tone');

      await server.stop();
      await expect(server.query('select 1', 'app')).rejects.toThrow();
      const port = server.port;
      await server.start();
      expect(server.port).toBe(port);
      expect(await server.query('select id, name from kept', 'app')).toBe('1\tone');
    } finally {
      await server.destroy();
    }
    expect(fs.existsSync(dir)).toBe(false);
    await server.destroy(); // idempotent
    await expect(server.start()).rejects.toThrow(/destroyed/);
  }, 60_000);
});

describe('startup failure', () => {
  it('rejects with the server log and cleans up when the server exits early', async () => {
    const error = await startPostgres({ maxPreparedTransactions: -1 }).then(
      () => expect.fail('should not start'),
      (e: unknown) => String(e),
    );
    expect(error).toMatch(/exited during startup[\s\S]*max_prepared_transactions/);
    const dir = /in (\S+multidb-pg-\S+) exited/.exec(error)?.[1];
    expect(dir).toBeDefined();
    expect(fs.existsSync(dir ?? '')).toBe(false);
  }, 60_000);
});

/** A TCP login with the engine's CLI client, independent of server.query(). */
function loginWith(server: ThrowawayServer, password: string): string {
  const port = String(server.port);
  const [cmd, args, env] =
    server.engine === 'postgresql'
      ? [
          'psql',
          ['-X', '-At', '-h', '127.0.0.1', '-p', port, '-U', server.user, '-d', 'postgres', '-c', 'select 1'],
          { PGPASSWORD: password },
        ]
      : [
          'mariadb',
          ['--no-defaults', '-h', '127.0.0.1', '-P', port, `-u${server.user}`, '-N', '-B', '-e', 'select 1'],
          { MYSQL_PWD: password },
        ];
  return execFileSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

function serverDir(server: ThrowawayServer): string {
  const dir = (server as unknown as { dir?: unknown }).dir;
  if (typeof dir !== 'string') throw new Error('server has no dir');
  return dir;
}
