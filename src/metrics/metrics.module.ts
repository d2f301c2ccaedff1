import {
  Controller,
  type DynamicModule,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DbService } from '../db.service.js';
import type { MultiDbMetricsModuleOptions } from './metrics.options.js';
import { type MultiDbMetricsHandle, registerMultiDbMetrics } from './register-metrics.js';

/** The options token of MultiDbMetricsModule. */
export const MULTIDB_METRICS_OPTIONS = 'MULTIDB:METRICS_OPTIONS';
/** Prometheus text exposition format 0.0.4 (prom-client's default registry content type). */
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The registered metrics of the application's DbService: registered when the module starts (prom-client
 * is loaded then), taken out of the registry on shutdown, so an application started twice in one
 * process (tests) registers them again without a clash.
 */
@Injectable()
export class MultiDbMetrics implements OnModuleInit, OnApplicationShutdown {
  #handle: MultiDbMetricsHandle | undefined;

  constructor(
    private readonly db: DbService,
    @Inject(MULTIDB_METRICS_OPTIONS) private readonly options: MultiDbMetricsModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const { path: _, ...options } = this.options;
    this.#handle ??= await registerMultiDbMetrics(this.db, options);
  }

  /** The registry the metrics are in (available once the module started). */
  get registry(): Registry | undefined {
    return this.#handle?.registry;
  }

  /** The registry's metrics in Prometheus text format (every metric of the registry, ours among them). */
  async metrics(): Promise<string> {
    await this.onModuleInit();
    return (this.#handle as MultiDbMetricsHandle).registry.metrics();
  }

  onApplicationShutdown(): void {
    this.#handle?.unregister();
    this.#handle = undefined;
  }
}

/** A controller serving `metrics()` at `path` (GET). */
function metricsController(path: string): Type {
  @Controller(path)
  class MultiDbMetricsController {
    constructor(@Inject(MultiDbMetrics) private readonly metrics: MultiDbMetrics) {}

    @Get()
    @Header('Content-Type', TEXT_FORMAT)
    scrape(): Promise<string> {
      return this.metrics.metrics();
    }
  }
  return MultiDbMetricsController;
}

/**
 * Prometheus metrics of every database's pool, the tenant templates and two-phase transactions in
 * doubt, through prom-client (an optional peer). Needs MultiDbModule (its DbService) in the application.
 *
 * ```ts
 * imports: [MultiDbModule.setup({ … }), MultiDbMetricsModule.forRoot({ path: 'metrics' })]
 * ```
 */
@Module({})
export class MultiDbMetricsModule {
  static forRoot(options: MultiDbMetricsModuleOptions = {}): DynamicModule {
    return {
      module: MultiDbMetricsModule,
      providers: [{ provide: MULTIDB_METRICS_OPTIONS, useValue: options }, MultiDbMetrics],
      controllers: options.path ? [metricsController(options.path)] : [],
      exports: [MultiDbMetrics],
    };
  }
}
