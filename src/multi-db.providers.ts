import { type DynamicModule, type Provider, Scope } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { EntityManager, type ForkOptions, MikroORM } from '@mikro-orm/core';
import { DEFAULT_KEY, resolveOptions } from './config/resolve-databases.js';
import { MultiDbMiddleware } from './context/multi-db.middleware.js';
import { DbService } from './db.service.js';
import { MigrationService } from './migrations/migration.service.js';
import { InvalidOptionsError } from './errors/multi-db.error.js';
import { messages } from './errors/messages.js';
import {
  MULTIDB_DATABASES,
  MULTIDB_FEATURE_ENTITIES,
  MULTIDB_MODULE_OPTIONS,
  MULTIDB_OPTIONS_TRANSFORM,
} from './multi-db.constants.js';
import type { EntityLike, MultiDbModuleOptions } from './multi-db.options.js';
import { getEntityManagerToken, getOrmToken } from './multi-db.tokens.js';
import { createRepositoryProviders, type RepositoryKeys, tokensOf } from './multi-db.repositories.js';
import { openDatabases, type StartedDatabases } from './orm/open-databases.js';
import { routingProxy } from './tenants/routing-proxy.js';
import { classTokens, createClassTokenProviders } from './compat/class-tokens.js';
import { driverClassTokens } from './compat/driver-classes.js';
import { ContextDecoratorHome } from './compat/request-context.decorators.js';

/**
 * Completes the builder's definition with start-up, DbService, the middleware and the tokens of
 * the declared keys and entities, and exports what users inject.
 */
export function withRootProviders(
  definition: DynamicModule,
  keys: readonly string[],
  entities: readonly EntityLike[],
  extras: RootExtras = {},
): DynamicModule {
  const declared = [...new Set([DEFAULT_KEY, ...keys])];
  const driverTokens = driverClassTokens(extras.engines);
  const injectable = [
    ...declared.flatMap((key) => createKeyProviders(key, extras)),
    ...createRepositoryProviders(entities, extras.alsoIn),
  ];
  const startup: Provider = {
    provide: MULTIDB_DATABASES,
    useFactory: (options: MultiDbModuleOptions, transform: OptionsTransform, modules: ModulesContainer) =>
      startAll(transform(options), modules, declared),
    inject: [MULTIDB_MODULE_OPTIONS, MULTIDB_OPTIONS_TRANSFORM, ModulesContainer],
  };
  const identity: Provider = {
    provide: MULTIDB_OPTIONS_TRANSFORM,
    useValue: (options: MultiDbModuleOptions) => options,
  };
  return {
    ...definition,
    providers: [
      ...(definition.providers ?? []),
      identity,
      startup,
      DbService,
      MigrationService,
      MultiDbMiddleware,
      ...injectable,
      ...createClassTokenProviders(driverTokens),
      ContextDecoratorHome,
    ],
    // MULTIDB_DATABASES too: an app applying MultiDbMiddleware itself (requestContext: false) resolves it in its own module
    exports: [
      ...(definition.exports ?? []),
      DbService,
      MigrationService,
      MULTIDB_DATABASES,
      ...tokensOf(injectable),
      ...classTokens(driverTokens),
    ],
  };
}

/** Applied to the module options before the databases start; the identity unless a test overrides it. */
export type OptionsTransform = (options: MultiDbModuleOptions) => MultiDbModuleOptions;

/** What `setup` / `setupAsync` add to the root providers besides keys and entities. */
export interface RootExtras {
  alsoIn?: RepositoryKeys;
  /** The engines the configured URLs use (`setup`); every installed driver package's when undefined (`setupAsync`). */
  engines?: readonly string[];
  scope?: Scope;
  forkOptions?: ForkOptions;
}

/** `@InjectOrm(key)` and `@InjectEntityManager(key)` for one key. */
function createKeyProviders(key: string, { scope, forkOptions }: RootExtras): Provider[] {
  // a tenant template's ORM and EntityManager are the current tenant's, looked up on every use
  const routed = <T extends object>(db: DbService, current: () => T, kind: { prototype: object }): T =>
    db.tenantTemplates.includes(key) ? routingProxy(current, kind) : current();
  return [
    {
      provide: getOrmToken(key),
      useFactory: (db: DbService) => routed(db, () => db.orm(key), MikroORM),
      inject: [DbService],
    },
    // the global EntityManager: a singleton that resolves the current request context on every call
    scope === Scope.REQUEST
      ? // opted in (`scope: Scope.REQUEST`): a fork per request, as @mikro-orm/nestjs makes; only then a per-request cost
        {
          provide: getEntityManagerToken(key),
          scope: Scope.REQUEST,
          useFactory: (db: DbService) => db.orm(key).em.fork({ useContext: true, ...forkOptions }),
          inject: [DbService],
        }
      : {
          provide: getEntityManagerToken(key),
          useFactory: (db: DbService) => routed(db, () => db.orm(key).em, EntityManager),
          inject: [DbService],
        },
  ];
}

async function startAll(
  options: MultiDbModuleOptions,
  modules: ModulesContainer,
  declaredKeys: readonly string[],
): Promise<StartedDatabases> {
  const configured = resolveOptions(options).keys;
  const undeclared = declaredKeys.filter((k) => !configured.includes(k));
  if (undeclared.length > 0) throw new InvalidOptionsError(messages.undeclaredKeys(undeclared, configured));
  return openDatabases(options, { extraEntities: featureEntities(modules) });
}

/** Entities that forFeature modules of this application registered (read from their value providers). */
function featureEntities(modules: ModulesContainer): EntityLike[] {
  const found: EntityLike[] = [];
  for (const module of modules.values()) {
    const wrapper = module.providers.get(MULTIDB_FEATURE_ENTITIES);
    if (wrapper && Array.isArray(wrapper.instance)) found.push(...(wrapper.instance as EntityLike[]));
  }
  return found;
}
