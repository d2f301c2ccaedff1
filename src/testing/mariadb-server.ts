/** Throwaway MariaDB servers for tests, from the local Debian binaries; root logs in with a generated password. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch, requireBinary, run, words } from './process-tools.js';
import { boot, type Engine, isRoot, prepare, Server, type ThrowawayServer } from './server-process.js';

/** Starts a MariaDB server in a temp folder on a free 127.0.0.1 port; root logs in with a generated password. */
export async function startMariaDb(): Promise<ThrowawayServer> {
  const installDb = requireBinary('/usr/bin/mariadb-install-db', 'mariadb-server');
  const mariadbd = requireBinary('/usr/sbin/mariadbd', 'mariadb-server');
  const client = requireBinary('/usr/bin/mariadb', 'mariadb-client');
  const { dir, port, password } = await prepare('multidb-maria-', {});
  // --no-defaults (must come first) keeps both server and client away from /etc/mysql
  const common = ['--no-defaults', `--datadir=${path.join(dir, 'data')}`, ...(isRoot ? ['--user=root'] : [])];
  const serverArgs = [
    ...common,
    `--port=${port}`,
    `--socket=${path.join(dir, 'mysqld.sock')}`,
    `--pid-file=${path.join(dir, 'mysqld.pid')}`,
    `--tmpdir=${dir}`,
    ...words('--bind-address=127.0.0.1 --skip-log-bin --skip-name-resolve --max-connections=200'),
    ...words('--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0'),
    // what Debian's /etc/mysql config would set; the compiled-in default is latin1
    ...words('--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci'),
  ];
  const server = new Server(
    dir,
    port,
    password,
    mariaDbEngine(client, port, password, (log) => launch(mariadbd, serverArgs, log, 'SIGKILL')),
  );
  return boot(server, () => installMariaDb(installDb, dir, password, common));
}

/**
 * A throwaway MariaDB server (alone, or a node of a Galera cluster) as `Server` drives it: root
 * over TCP with the generated password, the client kept away from /etc/mysql.
 */
export function mariaDbEngine(client: string, port: number, password: string, start: Engine['launch']): Engine {
  const clientArgs = [
    '--no-defaults', // must come first
    `-P${port}`,
    ...words('--protocol=TCP -h 127.0.0.1 -uroot -N -B --default-character-set=utf8mb4'),
  ];
  return {
    engine: 'mariadb',
    user: 'root',
    scheme: 'mysql',
    stopSignal: 'SIGTERM',
    crashSignal: 'SIGKILL',
    launch: start,
    query: (sql, database) =>
      run(client, [...clientArgs, '-e', sql, ...(database ? [database] : [])], { MYSQL_PWD: password }),
    createDatabaseSql: (name) => `CREATE DATABASE IF NOT EXISTS \`${name.replaceAll('`', '``')}\``,
  };
}

/**
 * Creates the system tables in `dir` with root's password set during bootstrap, so the server never
 * runs passwordless. FLUSH PRIVILEGES loads the grant tables, which bootstrap mode otherwise skips;
 * bootstrap reads one statement per line. `serverArgs`: where the data folder is (options or a defaults file).
 */
export async function installMariaDb(
  installDb: string,
  dir: string,
  password: string,
  serverArgs: readonly string[],
): Promise<void> {
  const initSql = path.join(dir, 'init.sql');
  const grants = ['localhost', '127.0.0.1', '%'].flatMap((host) => [
    `CREATE USER IF NOT EXISTS 'root'@'${host}';`,
    `ALTER USER 'root'@'${host}' IDENTIFIED BY '${password}';`,
    `GRANT ALL ON *.* TO 'root'@'${host}' WITH GRANT OPTION;`,
  ]);
  fs.writeFileSync(initSql, ['FLUSH PRIVILEGES;', ...grants].join('\n'), { mode: 0o600 });
  const initArgs = words('--auth-root-authentication-method=normal --skip-test-db');
  await run(installDb, [...serverArgs, ...initArgs, `--extra-file=${initSql}`], {});
  fs.rmSync(initSql);
}
