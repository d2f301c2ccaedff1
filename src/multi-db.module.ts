import {
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { assertOptionsShape } from './config/resolve-databases.js';
import { assertEntityList } from './entities/entity-list.js';
import { MultiDbMiddleware } from './context/multi-db.middleware.js';
import { MULTIDB_FEATURE_ENTITIES, MULTIDB_MODULE_OPTIONS } from './multi-db.constants.js';
import {
  ConfigurableMultiDbModule,
  type MultiDbSetupAsyncOptions,
  type MultiDbSetupOptions,
} from './multi-db.module-definition.js';
import type { EntityLike, MultiDbModuleOptions } from './multi-db.options.js';
import { withRootProviders } from './multi-db.providers.js';
import { createRepositoryProviders, tokensOf } from './multi-db.repositories.js';
import { keysSharingEntities } from './compat/shared-entity-keys.js';
import { entitiesGivenPerKey } from './config/mikro-orm-config-input.js';
import { enginesOf } from './compat/driver-classes.js';

/** Repositories of a feature module's entities; the entities join their databases before start-up. */
@Module({})
export class MultiDbFeatureModule {}

/**
 * Several databases in one Nest application: one MikroORM per key, every entity in the database
 * its `static __database__` names.
 */
@Module({})
export class MultiDbModule extends ConfigurableMultiDbModule implements NestModule {
  constructor(@Inject(MULTIDB_MODULE_OPTIONS) private readonly options: MultiDbModuleOptions) {
    super();
  }

  /**
   * Nest calls it: applies the request-context middleware (and the tenant resolver) to every route,
   * unless `requestContext: false`.
   */
  configure(consumer: MiddlewareConsumer): void {
    if (this.options.requestContext === false) return;
    const path = this.options.forRoutesPath ?? '{*path}';
    consumer.apply(MultiDbMiddleware).forRoutes({ path, method: RequestMethod.ALL });
  }

  /** Configures the databases from a static options object. */
  static override setup(options: MultiDbSetupOptions): DynamicModule {
    assertOptionsShape(options);
    const databases = options.databases;
    const keys = typeof databases === 'object' && databases !== null ? Object.keys(databases) : [];
    return withRootProviders(
      super.setup(options),
      keys,
      [...(options.entities ?? []), ...entitiesGivenPerKey(databases)],
      {
        alsoIn: keysSharingEntities(databases),
        engines: enginesOf(databases),
        scope: options.scope,
        forkOptions: options.forkOptions,
      },
    );
  }

  /**
   * Configures the databases from a factory, class or existing provider (e.g. with `ConfigService`).
   * Keys other than `default` need `databaseKeys` for their `@InjectOrm` / `@InjectEntityManager` tokens.
   */
  static override setupAsync(options: MultiDbSetupAsyncOptions): DynamicModule {
    return withRootProviders(super.setupAsync(options), options.databaseKeys ?? [], [], {
      scope: options.scope,
      forkOptions: options.forkOptions,
    });
  }

  /**
   * Registers entities from a feature module and provides their repositories for `@InjectRepository`
   * (and their custom repository classes). With `key`: also their repositories in that database, for
   * `@InjectRepository(Entity, key)` (a key holding the same entities through `entitiesOf`).
   */
  static forFeature(entities: readonly EntityLike[], key?: string): DynamicModule {
    assertEntityList('MultiDbModule.forFeature', Array.isArray(entities) ? entities : [entities]);
    const repositories = createRepositoryProviders(entities, () => (key === undefined ? [] : [key]));
    return {
      module: MultiDbFeatureModule,
      providers: [{ provide: MULTIDB_FEATURE_ENTITIES, useValue: [...entities] }, ...repositories],
      exports: tokensOf(repositories),
    };
  }
}
