import {
  ConfigurableModuleBuilder,
  type DynamicModule,
  Controller,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DbService } from '../db.service.js';
import { messages } from '../errors/messages.js';
import { MetricsSetupError } from '../errors/multi-db.error.js';
import type { MultiDbMetricsExtras, MultiDbMetricsOptions } from './metrics.options.js';
import { type MultiDbMetricsHandle, registerMultiDbMetrics } from './register-metrics.js';

/** The options token of MultiDbMetricsModule. */
export const MULTIDB_METRICS_OPTIONS = 'MULTIDB:METRICS_OPTIONS';
/** Prometheus text exposition format 0.0.4 (prom-client's default registry content type). */
const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The metrics of the application's DbService: registered once every module has started
 * (onApplicationBootstrap: an application whose start-up failed leaves nothing in the registry;
 * prom-client is loaded then), taken out of the registry on shutdown, so an application started
 * twice in one process (tests) registers them again without a clash.
 */
@Injectable()
export class MultiDbMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  #handle: Promise<MultiDbMetricsHandle> | undefined;
  #shutDown = false;

  constructor(
    private readonly db: DbService,
    @Inject(MULTIDB_METRICS_OPTIONS) private readonly options: MultiDbMetricsOptions & MultiDbMetricsExtras,
  ) {}

  /** Registers the metrics (Nest calls it once every module has started). */
  async onApplicationBootstrap(): Promise<void> {
    await this.#registered();
  }

  /** The registry the metrics are in. */
  async registry(): Promise<Registry> {
    return (await this.#registered()).registry;
  }

  /** The registry's metrics in Prometheus text format (every metric of the registry, ours among them). */
  async metrics(): Promise<string> {
    return (await this.registry()).metrics();
  }

  /** Takes the metrics out of their registry (Nest calls it on shutdown). */
  async onApplicationShutdown(): Promise<void> {
    this.#shutDown = true;
    (await this.#handle?.catch(() => undefined))?.unregister();
  }

  #registered(): Promise<MultiDbMetricsHandle> {
    if (this.#shutDown) return Promise.reject(new MetricsSetupError(messages.metricsShutDown()));
    const { path: _, ...options } = this.options;
    this.#handle ??= registerMultiDbMetrics(this.db, options);
    return this.#handle;
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

const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<MultiDbMetricsOptions>({ optionsInjectionToken: MULTIDB_METRICS_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createMultiDbMetricsOptions')
    .setExtras<MultiDbMetricsExtras>({ path: false }, (definition, extras) => ({
      ...definition,
      controllers: extras.path ? [metricsController(extras.path)] : [],
      providers: [...(definition.providers ?? []), MultiDbMetrics],
      exports: [...(definition.exports ?? []), MultiDbMetrics],
    }))
    .build();

/** What `MultiDbMetricsModule.forRootAsync()` takes: `imports`, `inject`, `useFactory | useClass | useExisting`, `path`. */
export type MultiDbMetricsAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
/** What `MultiDbMetricsModule.forRoot()` takes. */
export type MultiDbMetricsRootOptions = typeof OPTIONS_TYPE;

/**
 * Prometheus metrics of every database's pool, the tenant templates and two-phase transactions in
 * doubt, through prom-client (an optional peer). Needs MultiDbModule (its DbService) in the
 * application. `forRoot({ path: 'metrics' })` also serves them; `forRootAsync` takes the options
 * from a factory (`path` stays beside it).
 */
@Module({})
export class MultiDbMetricsModule extends ConfigurableModuleClass {
  /** The module with its options given here (`registry`, `prefix`, `inDoubt`, `path`). */
  static override forRoot(options: MultiDbMetricsRootOptions): DynamicModule {
    return super.forRoot(options);
  }

  /** The module with its options from a factory, class or existing provider (`path` stays beside it). */
  static override forRootAsync(options: MultiDbMetricsAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}
