import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DbService } from '../db.service.js';
import { type PingOptions, pingDatabase } from './ping.js';

/**
 * A `@nestjs/terminus` indicator for the databases: each key is reported `up` or `down` with its
 * driver, masked URL and latency. Lazy connections are opened; a dead server is reported `down`
 * within the timeout instead of hanging the check.
 *
 * @example
 * \@Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.databases.isHealthy()]); }
 */
@Injectable()
export class MultiDbHealthIndicator {
  constructor(
    private readonly db: DbService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Checks one key, several, or all (none given). Keys are pinged concurrently. */
  async isHealthy(keys?: string | string[], options: PingOptions = {}): Promise<HealthIndicatorResult> {
    const selected = keys === undefined ? this.db.keys : [keys].flat();
    const results = await Promise.all(selected.map((key) => pingDatabase(this.db, key, options)));
    const report: HealthIndicatorResult = {};
    for (const { key, status, ...data } of results) {
      const session = this.indicators.check(key);
      Object.assign(report, status === 'up' ? session.up(data) : session.down(data));
    }
    return report;
  }
}
