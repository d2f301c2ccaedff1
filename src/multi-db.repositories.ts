import type { InjectionToken, Provider } from '@nestjs/common';
import { EntityRepository, EntitySchema, MetadataStorage } from '@mikro-orm/core';
import { DbService } from './db.service.js';
import { compatMessages } from './errors/compat-errors.js';
import { EntityDatabaseError } from './errors/multi-db.error.js';
import { databaseKeyOf, entityName } from './entities/database-key.js';
import type { EntityLike } from './multi-db.options.js';
import { getRepositoryToken } from './multi-db.tokens.js';
import { routingProxy } from './tenants/routing-proxy.js';

/** Which keys to provide an entity's repository in, besides its own database. */
export type RepositoryKeys = (entity: EntityLike) => readonly string[];

/**
 * `@InjectRepository(Entity)` for each entity, bound to its own database; `@InjectRepository(Entity, key)`
 * for the other keys `alsoIn` names (keys holding the entities of another: `entitiesOf`); and the entity's
 * custom repository class (`repository: () => BookRepository`) as a class token, like @mikro-orm/nestjs.
 */
export function createRepositoryProviders(
  entities: readonly EntityLike[],
  alsoIn: RepositoryKeys = () => [],
): Provider[] {
  const providers: Provider[] = [];
  const customTokens = new Set<unknown>();
  for (const entity of new Set(entities)) {
    providers.push(repositoryProvider(entity, undefined, getRepositoryToken(entity)));
    for (const key of new Set(alsoIn(entity))) {
      if (key !== databaseKeyOf(entity))
        providers.push(repositoryProvider(entity, key, getRepositoryToken(entity, key)));
    }
    const custom = customRepositoryOf(entity);
    if (custom && !customTokens.has(custom)) {
      customTokens.add(custom);
      providers.push(repositoryProvider(entity, undefined, custom));
    }
  }
  return providers;
}

/** The tokens of providers, for a module's `exports`. */
export function tokensOf(providers: readonly Provider[]): InjectionToken[] {
  return providers.map((p) => (typeof p === 'function' ? p : p.provide));
}

function repositoryProvider(entity: EntityLike, key: string | undefined, token: InjectionToken): Provider {
  return {
    provide: token,
    useFactory: (db: DbService) => {
      const home = db.databaseOf(entity);
      const target = key ?? home;
      // `entitiesOf` keys share the very list of their source key's entities
      if (db.entitiesOf(target) !== db.entitiesOf(home)) {
        const name = entityName(entity);
        throw new EntityDatabaseError(compatMessages.repositoryNotInDatabase(name, target, home), name, target);
      }
      const kind = typeof token === 'function' ? token : EntityRepository;
      // a tenant entity's repository is the current tenant's, looked up on every use
      if (db.tenantTemplates.includes(target))
        return routingProxy(() => db.em(target).getRepository(entity as never), kind);
      return db.orm(target).em.getRepository(entity as never);
    },
    inject: [DbService],
  };
}

/** The custom repository class an entity declares (`@Entity({ repository })`, `defineEntity`, `EntitySchema`). */
export function customRepositoryOf(entity: EntityLike): (abstract new (...args: never[]) => object) | undefined {
  const meta = EntitySchema.is(entity)
    ? (entity as EntitySchema).meta
    : (EntitySchema.REGISTRY.get(entity as never)?.meta ??
      Object.values(MetadataStorage.getMetadata()).find((m) => m.class === entity));
  const repository = (meta as { repository?: unknown } | undefined)?.repository;
  if (typeof repository !== 'function') return undefined;
  const found = (repository as () => unknown)();
  return typeof found === 'function' ? (found as abstract new (...args: never[]) => object) : undefined;
}
