import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoUsableHostError } from 'nestjs-multidb';
import { startPostgres, startPostgresReplica, type ThrowawayServer } from 'nestjs-multidb/testing';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { bootWriter, failoverFigures, killTree, Write, writeLoad } from '../fixtures/failover.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `postgresql://postgres:pw@127.0.0.1:p1,127.0.0.1:p2/app?targetSessionAttrs=…` over two servers. */
function hostListUrl(first: ThrowawayServer, second: ThrowawayServer, target: string): string {
  return (
    first.url('app').replace(`:${first.port}/`, `:${first.port},127.0.0.1:${second.port}/`) +
    `?targetSessionAttrs=${target}`
  );
}

describe('PostgreSQL failover: a host list follows a promoted standby (issue #19)', () => {
  let primary: ThrowawayServer;
  let standby: ThrowawayServer;
  let app: (Booted & { base: string }) | undefined;

  beforeAll(async () => {
    primary = await startPostgres();
    await primary.createDatabase('app');
    await primary.query('create table writes (id serial primary key, tag text not null)', 'app');
    standby = await startPostgresReplica(primary);
    // synchronous replication: an acknowledged commit is on the standby too (the harness turns
    // synchronous_commit off server-wide; the app's database turns it back on)
    await primary.query("alter system set synchronous_standby_names = '*'");
    await primary.query('select pg_reload_conf()');
    await primary.query('alter database app set synchronous_commit = on');
  }, 120_000);

  afterAll(async () => {
    await app?.app.close();
    await standby?.destroy();
    await primary?.destroy();
  });

  it('targeting: read-write passes over a standby listed first, standby and prefer-standby pick the standby, prefer-standby falls back to the primary', async () => {
    const booted = await boot({
      databases: { default: hostListUrl(standby, primary, 'read-write') },
      entities: [Write],
    });
    try {
      const inRecovery = await booted.db.em().fork().getConnection().execute('select pg_is_in_recovery() as r');
      expect(inRecovery).toEqual([{ r: false }]);
    } finally {
      await booted.app.close();
    }
    // `standby` targeting picks the standby even though the primary is listed first
    const reader = await boot({ databases: { default: hostListUrl(primary, standby, 'standby') }, entities: [Write] });
    try {
      const onStandby = await reader.db.em().fork().getConnection().execute('select pg_is_in_recovery() as r');
      expect(onStandby).toEqual([{ r: true }]);
    } finally {
      await reader.app.close();
    }
    // prefer-standby: the standby when it answers, else (a dead "standby" listed) the primary, in one checkout
    for (const [url, inRecovery] of [
      [hostListUrl(primary, standby, 'prefer-standby'), true],
      [hostListUrl(primary, primary, 'prefer-standby').replace(`,127.0.0.1:${primary.port}/`, ',127.0.0.1:1/'), false],
    ] as const) {
      const preferring = await boot({ databases: { default: url }, entities: [Write] });
      try {
        const rows = await preferring.db.em().fork().getConnection().execute('select pg_is_in_recovery() as r');
        expect(rows).toEqual([{ r: inRecovery }]);
      } finally {
        await preferring.app.close();
      }
    }
  });

  it('SIGKILL of the primary under 16 writes in flight, then promotion: no acknowledged write lost or doubled, failures are 503s naming the key, writes resume within 2 s', async () => {
    app = await bootWriter({
      databases: { default: { url: hostListUrl(primary, standby, 'read-write'), pool: { max: 16 } } },
      entities: [Write],
    });
    const load = writeLoad(app.base, 16);
    await sleep(1500);
    const primaryPid = primary.pid as number;
    const killedAt = load.now();
    killTree(primaryPid);
    await sleep(1000);
    await standby.query('select pg_promote(true, 30)');
    const promotedAt = load.now();
    await sleep(3000);
    await load.stop();

    const figures = failoverFigures(load.results, killedAt, promotedAt);
    console.log(
      `[failover-postgres] ${JSON.stringify({ ...figures, promotedAfterKillMs: Math.round(promotedAt - killedAt) })}`,
    );
    const failed = load.results.filter((r) => r.status !== 201);
    expect(failed.length).toBeGreaterThan(0); // the kill happened under load
    expect(failed.filter((r) => r.status !== 503 || r.database !== 'default')).toEqual([]);
    expect(figures.resumedMs).toBeLessThan(2000);

    const rows = await standby.query('select tag, count(*) from writes group by tag', 'app');
    const counts = new Map(
      rows
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t') as [string, string]),
    );
    const acknowledged = load.results.filter((r) => r.status === 201).map((r) => r.tag);
    expect(acknowledged.filter((tag) => counts.get(tag) !== '1')).toEqual([]);
    expect([...counts.values()].filter((count) => count !== '1')).toEqual([]);
  }, 60_000);

  it('every host down: start-up fails naming the key and each host; lazy starts and answers NoUsableHostError', async () => {
    const url = hostListUrl(primary, primary, 'read-write').replace(`127.0.0.1:${primary.port}/`, '127.0.0.1:1/');
    const error = await rejection(boot({ databases: { default: url }, entities: [Write] }));
    expect(error).toBeInstanceOf(NoUsableHostError);
    expect(error.message).toContain("Database 'default'");
    expect(error.message).toContain(`127.0.0.1:${primary.port} (`);
    expect(error.message).toContain('127.0.0.1:1 (');
    expect(error.message).not.toContain(primary.password);

    const lazy = await boot({ databases: { default: { url, lazy: true } }, entities: [Write] });
    try {
      const later = await rejection(lazy.db.em().fork().getConnection().execute('select 1'));
      expect(later).toBeInstanceOf(NoUsableHostError);
      expect((later as NoUsableHostError).key).toBe('default');
    } finally {
      await lazy.app.close();
    }
  });
});
