/** Throwaway MariaDB servers for tests, from the local Debian binaries; root logs in with a generated password. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch, requireBinary, run, words } from './process-tools.js';
import { boot, isRoot, prepare, Server, type ThrowawayServer } from './server-process.js';

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
  const clientArgs = [
    `-P${port}`,
    ...words('--protocol=TCP -h 127.0.0.1 -uroot -N -B --default-character-set=utf8mb4'),
  ];
  const server = new Server(dir, port, password, {
    engine: 'mariadb',
    user: 'root',
    scheme: 'mysql',
    stopSignal: 'SIGTERM',
    crashSignal: 'SIGKILL',
    launch: (log) => launch(mariadbd, serverArgs, log, 'SIGKILL'),
    query: (sql, database) =>
      run(client, ['--no-defaults', ...clientArgs, '-e', sql, ...(database ? [database] : [])], {
        MYSQL_PWD: password,
      }),
    createDatabaseSql: (name) => `CREATE DATABASE IF NOT EXISTS \`${name.replaceAll('`', '``')}\``,
  });
  return boot(server, async () => {
    // Set the root password during bootstrap, so the server never runs passwordless. FLUSH PRIVILEGES
    // loads the grant tables, which bootstrap mode otherwise skips; bootstrap reads one statement per line.
    const initSql = path.join(dir, 'init.sql');
    const grants = ['localhost', '127.0.0.1', '%'].flatMap((host) => [
      `CREATE USER IF NOT EXISTS 'root'@'${host}';`,
      `ALTER USER 'root'@'${host}' IDENTIFIED BY '${password}';`,
      `GRANT ALL ON *.* TO 'root'@'${host}' WITH GRANT OPTION;`,
    ]);
    fs.writeFileSync(initSql, ['FLUSH PRIVILEGES;', ...grants].join('\n'), { mode: 0o600 });
    const initArgs = words('--auth-root-authentication-method=normal --skip-test-db');
    await run(installDb, [...common, ...initArgs, `--extra-file=${initSql}`], {});
    fs.rmSync(initSql);
  });
}
