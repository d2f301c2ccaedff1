import { Controller, Get, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DbService, MultiDbModule } from 'nestjs-multidb';
import { bootWith } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';

@Controller()
class SlowController {
  constructor(private readonly db: DbService) {}

  static entered = 0;

  /** Work before and after the query: a pool closed in between would fail the request. */
  @Get('slow')
  async slow() {
    SlowController.entered++;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await this.db.em('default').getConnection().execute('select pg_sleep(0.05)');
    return { ok: true };
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('graceful shutdown under load', () => {
  // Nest 12 closes the HTTP server (waiting for requests in flight) before onApplicationShutdown,
  // where DbService closes the databases: requests never meet a closed pool
  it('app.close() lets requests in flight finish, refuses new ones, then closes every pool', async () => {
    const name = await createDatabase('postgres', 'shutdown');
    const { app, db } = await bootWith([
      MultiDbModule.setup({
        databases: { default: { url: serverUrl('postgres', name), pool: { max: 4 } }, meta: 'sqlite://' },
      }),
      SlowModule,
    ]);
    await app.listen(0, '127.0.0.1');
    const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const statuses: Array<number | string> = [];
    const fire = () =>
      fetch(`${base}/slow`)
        .then(async (res) => {
          statuses.push(res.status);
          await res.text();
        })
        .catch((error: Error) => statuses.push(`network: ${error.message}`));

    const first = Array.from({ length: 8 }, fire);
    await expect.poll(() => SlowController.entered, { interval: 5 }).toBe(8); // all eight are inside the handler
    const closing = app.close();
    const late = Array.from({ length: 4 }, fire); // arrive while shutting down
    await Promise.all([closing, ...first, ...late]);

    expect(statuses).toHaveLength(12);
    expect(statuses.filter((s) => s === 200)).toHaveLength(8); // every request in flight finished
    // the late ones are refused cleanly (no connection once the server closed); never a 500
    for (const status of statuses)
      expect(status === 200 || status === 503 || String(status).startsWith('network')).toBe(true);
    expect(statuses).not.toContain(500);
    for (const key of db.keys) expect(await db.orm(key).isConnected()).toBe(false);
    const sessions = await runSql<{ n: number }>(
      'postgres',
      'postgres',
      `select count(*)::int as n from pg_stat_activity where datname = '${name}'`,
    );
    expect(sessions).toEqual([{ n: 0 }]);
  });
});
