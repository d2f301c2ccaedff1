import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseUnavailableFilter, MultiDbModule } from 'nestjs-multidb';
import { MultiDbHealthIndicator } from 'nestjs-multidb/health';
import { MultiDbMetricsModule } from 'nestjs-multidb/metrics';
import { AuditController } from './audit/audit.controller.js';
import { AuditService } from './audit/audit.service.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { databaseOptions } from './database.config.js';
import { DatabasesController } from './databases/databases.controller.js';
import { DatabasesService } from './databases/databases.service.js';
import { SqliteWalService } from './databases/sqlite-wal.service.js';
import { entities } from './entities/index.js';
import { PostsController } from './posts/posts.controller.js';
import { PostsService } from './posts/posts.service.js';
import { UsersController } from './users/users.controller.js';
import { UsersService } from './users/users.service.js';

/** What databaseOptions() reads: the URLs and the production knobs (README: "Try it"). */
const VARIABLES = [
  'DATABASE_URL',
  'AUTH_DATABASE_URL',
  'META_DATABASE_URL',
  'DB_POOL_MAX',
  'DB_ACQUIRE_TIMEOUT_MS',
  'DB_LAZY',
] as const;

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    MultiDbModule.setupAsync({
      inject: [ConfigService],
      databaseKeys: ['auth', 'meta'],
      useFactory: (config: ConfigService) =>
        databaseOptions(Object.fromEntries(VARIABLES.map((name) => [name, config.get<string>(name)]))),
    }),
    MultiDbModule.forFeature(entities),
    // Prometheus metrics of every pool at GET /metrics (prom-client, read at scrape time)
    MultiDbMetricsModule.forRoot({ path: 'metrics' }),
    TerminusModule,
  ],
  controllers: [DashboardController, UsersController, PostsController, AuditController, DatabasesController],
  providers: [
    UsersService,
    PostsService,
    AuditService,
    DatabasesService,
    SqliteWalService,
    MultiDbHealthIndicator,
    // a request whose database is down gets 503 naming it, not a 500
    { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
  ],
})
export class AppModule {}
