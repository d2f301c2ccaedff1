import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, MikroOrmHealthIndicator, TerminusModule } from '@nestjs/terminus';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type Booted, boot } from '../fixtures/boot.js';
import { Post } from '../fixtures/entities.js';

// Terminus's own indicator: it looks MikroORM up by its class token (moduleRef.get(MikroORM, { strict: false })).
// Terminus also insists that @mikro-orm/nestjs resolves (installed here through the bench workspace).
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mikroOrm: MikroOrmHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.mikroOrm.pingCheck('db')]);
  }
}

describe("@nestjs/terminus's MikroOrmHealthIndicator", () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it("pingCheck('db') reports the default database up, and down once it is closed", async () => {
    booted = await boot(
      { databases: { default: 'sqlite://', auth: 'sqlite://' }, entities: [Post] },
      { imports: [TerminusModule], controllers: [HealthController] },
    );
    const up = await request(booted.app.getHttpServer()).get('/health');
    expect(up.body).toMatchObject({ status: 'ok', info: { db: { status: 'up' } } });
    await booted.db.orm('default').close(true);
    const down = await request(booted.app.getHttpServer()).get('/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'error', error: { db: { status: 'down' } } });
  });
});
