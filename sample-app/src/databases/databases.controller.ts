import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { MultiDbHealthIndicator } from 'nestjs-multidb/health';
import { DatabasesService } from './databases.service.js';

@Controller()
export class DatabasesController {
  constructor(
    private readonly databases: DatabasesService,
    private readonly health: HealthCheckService,
    private readonly databaseHealth: MultiDbHealthIndicator,
  ) {}

  @Get('databases')
  list() {
    return this.databases.report();
  }

  @Get('health')
  @HealthCheck()
  check() {
    const timeout = Number(process.env.HEALTH_TIMEOUT_MS ?? 1000);
    return this.health.check([() => this.databaseHealth.isHealthy(undefined, { timeout })]);
  }
}
