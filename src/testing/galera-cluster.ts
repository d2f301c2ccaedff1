/** Throwaway MariaDB Galera clusters for tests: several nodes on loopback, from the local Debian binaries. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chown, freePort, launch, MissingServerBinaryError, osUser, requireBinary } from './process-tools.js';
import { installMariaDb, mariaDbEngine } from './mariadb-server.js';
import { boot, isRoot, prepare, Server, type ThrowawayServer } from './server-process.js';

const PROVIDER = '/usr/lib/galera/libgalera_smm.so';
/** A dead node leaves the cluster view within about 2-3 s (Galera's defaults take 5-15 s), so tests stay short. */
const QUICK_EVICTION =
  'evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT2S;evs.inactive_timeout=PT4S;evs.install_timeout=PT4S';

/** A running Galera cluster: its nodes in start order; they share the root password. */
export interface GaleraCluster {
  /** Its nodes, in start order (the first bootstrapped the cluster). */
  readonly nodes: readonly ThrowawayServer[];
  /** `mysql://root:pw@127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/<database>`: every node, as a host list. */
  url(database: string, scheme?: string): string;
  /** Stops and removes every node. */
  destroy(): Promise<void>;
}

/** Options of `startGaleraCluster`. */
export interface GaleraOptions {
  /** How many nodes. @default 3 */
  nodes?: number;
}

/**
 * Starts a MariaDB Galera cluster on 127.0.0.1 (Debian `galera-4`, `mariadb-server`, `rsync`):
 * every node in a temp folder with free ports for SQL, group communication (gcomm), IST and SST.
 * The first node bootstraps the cluster (root's password set as in `startMariaDb`), the others join
 * one by one and receive its data by rsync SST. A node killed and started again rejoins.
 */
export async function startGaleraCluster(options: GaleraOptions = {}): Promise<GaleraCluster> {
  const count = options.nodes ?? 3;
  if (!fs.existsSync(PROVIDER)) throw new MissingServerBinaryError(PROVIDER, 'galera-4');
  requireBinary('/usr/bin/rsync', 'rsync');
  const installDb = requireBinary('/usr/bin/mariadb-install-db', 'mariadb-server');
  const mariadbd = requireBinary('/usr/sbin/mariadbd', 'mariadb-server');
  const client = requireBinary('/usr/bin/mariadb', 'mariadb-client');
  const plans = [];
  for (let i = 0; i < count; i++) {
    const prepared = await prepare('multidb-maria-galera-', {});
    plans.push({ ...prepared, gcomm: await freePort(), ist: await freePort(), sst: await freePort() });
  }
  const password = (plans[0] as (typeof plans)[number]).password;
  const cluster = `gcomm://${plans.map((p) => `127.0.0.1:${p.gcomm}`).join(',')}`;
  const nodes: ThrowawayServer[] = [];
  const destroy = async () => {
    for (const node of [...nodes].reverse()) await node.destroy();
  };
  try {
    for (const [index, plan] of plans.entries()) {
      const { dir, port } = plan;
      const config = path.join(dir, 'my.cnf');
      fs.writeFileSync(config, nodeConfig(index, plan, cluster));
      let bootstrap = index === 0;
      const server = new Server(
        dir,
        port,
        password,
        mariaDbEngine(client, port, password, (log) => {
          const args = [`--defaults-file=${config}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
          bootstrap = false; // a node started again joins the cluster that is there
          return launch(mariadbd, args, log, 'SIGKILL');
        }),
      );
      nodes.push(
        await boot(server, async () => {
          fs.mkdirSync(path.join(dir, 'data'));
          // the joiners get the first node's data by SST; rsync's daemon, run as root, writes as
          // 'nobody' (wsrep_sst_rsync sets no uid), so their data folders are nobody's
          if (index > 0) {
            fs.chmodSync(dir, 0o711);
            if (isRoot) chown(path.join(dir, 'data'), osUser('nobody'));
            return;
          }
          await installMariaDb(installDb, dir, password, [`--defaults-file=${config}`]);
        }),
      );
      await waitSynced(nodes[index] as ThrowawayServer, index + 1);
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return {
    nodes,
    url(database, scheme = 'mysql') {
      const first = nodes[0] as ThrowawayServer;
      const hosts = nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
      return first.url(database, scheme).replace(`127.0.0.1:${first.port}`, hosts);
    },
    destroy,
  };
}

/** One node's option file: its own ports and folder, the cluster's nodes, rsync SST. */
function nodeConfig(
  index: number,
  plan: { dir: string; port: number; gcomm: number; ist: number; sst: number },
  cluster: string,
): string {
  const { dir, port, gcomm, ist, sst } = plan;
  const lines = [
    '[mysqld]',
    ...(isRoot ? ['user=root'] : []),
    `datadir=${path.join(dir, 'data')}`,
    `port=${port}`,
    `socket=${path.join(dir, 'mysqld.sock')}`,
    `pid-file=${path.join(dir, 'mysqld.pid')}`,
    `tmpdir=${dir}`,
    'bind-address=127.0.0.1',
    'skip-name-resolve',
    'max-connections=200',
    'character-set-server=utf8mb4',
    'collation-server=utf8mb4_general_ci',
    'innodb-flush-log-at-trx-commit=0',
    'innodb-doublewrite=0',
    'innodb-buffer-pool-size=32M',
    'innodb-log-file-size=8M',
    'binlog-format=ROW',
    'default-storage-engine=InnoDB',
    'innodb-autoinc-lock-mode=2',
    'wsrep-on=ON',
    `wsrep-provider=${PROVIDER}`,
    `wsrep-cluster-address=${cluster}`,
    'wsrep-cluster-name=multidb-test',
    `wsrep-node-name=node${index + 1}`,
    `wsrep-node-address=127.0.0.1:${gcomm}`,
    `wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${gcomm};ist.recv_addr=127.0.0.1:${ist};gcache.size=16M;${QUICK_EVICTION}`,
    'wsrep-sst-method=rsync',
    `wsrep-sst-receive-address=127.0.0.1:${sst}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** Waits until a node says it is synced and sees `size` nodes. */
async function waitSynced(node: ThrowawayServer, size: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const out = await node
      .query("show status where variable_name in ('wsrep_local_state', 'wsrep_cluster_size')")
      .catch(() => '');
    const status = new Map(out.split('\n').map((l) => l.split('\t') as [string, string]));
    if (status.get('wsrep_local_state') === '4' && Number(status.get('wsrep_cluster_size')) >= size) return;
    if (Date.now() > deadline) throw new Error(`Galera node on port ${node.port} not synced after 60 s: ${out}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
