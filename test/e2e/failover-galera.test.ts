import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GaleraCluster, startGaleraCluster } from 'nestjs-multidb/testing';
import { boot } from '../fixtures/boot.js';
import { bootWriter, failoverFigures, killTree, Write, writeLoad } from '../fixtures/failover.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MariaDB Galera failover: a host list over a 3-node cluster (issue #19)', () => {
  let cluster: GaleraCluster;

  beforeAll(async () => {
    cluster = await startGaleraCluster();
    const first = cluster.nodes[0];
    await first?.createDatabase('app');
    await first?.query('create table writes (id int auto_increment primary key, tag varchar(64) not null)', 'app');
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  it('a node that is not synced (wsrep_desync) is passed over: connections go to the next synced node', async () => {
    const [n1, n2, n3] = cluster.nodes;
    await n3?.query('set global wsrep_desync = on');
    try {
      const hosts = [n3, n1, n2].map((n) => `127.0.0.1:${n?.port}`).join(',');
      const url = cluster.url('app').replace(/@[^/]+\//, `@${hosts}/`);
      const booted = await boot({ databases: { default: url }, entities: [Write] });
      try {
        const rows = await booted.db.em().fork().getConnection().execute('select @@port as port');
        expect(rows).toEqual([{ port: n1?.port }]);
      } finally {
        await booted.app.close();
      }
    } finally {
      await n3?.query('set global wsrep_desync = off');
    }
  });

  it('SIGKILL of the node in use under 16 writes in flight: no acknowledged write lost or doubled, failures are 503s naming the key, writes resume on the next node', async () => {
    const [n1, n2] = cluster.nodes;
    const app = await bootWriter({
      databases: { default: { url: cluster.url('app'), pool: { max: 16 } } },
      entities: [Write],
    });
    try {
      const inUse = await app.db.em().fork().getConnection().execute('select @@port as port');
      expect(inUse).toEqual([{ port: n1?.port }]);
      const load = writeLoad(app.base, 16);
      await sleep(1500);
      const killedAt = load.now();
      killTree(n1?.pid as number);
      await sleep(7000); // the cluster evicts the dead node after 2-4 s (startGaleraCluster's timeouts)
      await load.stop();

      const figures = failoverFigures(load.results, killedAt);
      console.log(`[failover-galera] ${JSON.stringify(figures)}`);
      const failed = load.results.filter((r) => r.status !== 201);
      expect(failed.filter((r) => r.status !== 503 || r.database !== 'default')).toEqual([]);
      expect(figures.windowMs).toBeLessThan(7000);
      const now = await app.db.em().fork().getConnection().execute('select @@port as port');
      expect(now).toEqual([{ port: n2?.port }]);

      const rows = await n2?.query(
        'set session wsrep_sync_wait = 1; select tag, count(*) from writes group by tag',
        'app',
      );
      const counts = new Map(
        (rows ?? '')
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split('\t') as [string, string]),
      );
      const acknowledged = load.results.filter((r) => r.status === 201).map((r) => r.tag);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(acknowledged.filter((tag) => counts.get(tag) !== '1')).toEqual([]);
      expect([...counts.values()].filter((count) => count !== '1')).toEqual([]);
    } finally {
      await app.app.close();
    }
  }, 60_000);
});
