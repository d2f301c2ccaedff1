import { Inject } from '@nestjs/common';
import { DEFAULT_KEY } from './config/resolve-databases.js';
import { databaseKeyOf, entityName } from './entities/database-key.js';
import { MULTIDB_TOKEN_PREFIX } from './multi-db.constants.js';
import type { EntityLike } from './multi-db.options.js';

/** Token of a database's `MikroORM` instance: `MULTIDB:<key>:ORM`. */
export function getOrmToken(key: string = DEFAULT_KEY): string {
  return `${MULTIDB_TOKEN_PREFIX}:${key}:ORM`;
}

/** Token of a database's `EntityManager`: `MULTIDB:<key>:ENTITY_MANAGER`. */
export function getEntityManagerToken(key: string = DEFAULT_KEY): string {
  return `${MULTIDB_TOKEN_PREFIX}:${key}:ENTITY_MANAGER`;
}

/**
 * Token of an entity's repository: `MULTIDB:<key>:REPOSITORY:<Entity>`, in the entity's own database,
 * or in `key` for an entity several databases hold (a key with `entitiesOf`).
 */
export function getRepositoryToken(entity: EntityLike, key?: string): string {
  return `${MULTIDB_TOKEN_PREFIX}:${key ?? databaseKeyOf(entity)}:REPOSITORY:${entityName(entity)}`;
}

/** Injects a database's `MikroORM` (default: `'default'`). */
export const InjectOrm = (key?: string): ParameterDecorator & PropertyDecorator => Inject(getOrmToken(key));

/** Injects a database's `EntityManager` (default: `'default'`); it follows the current request context. */
export const InjectEntityManager = (key?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getEntityManagerToken(key));

/**
 * Injects an entity's repository from the database its `__database__` names, or from `key` (a key
 * holding the same entities through `entitiesOf`). Register the entity with `forFeature` (and the key:
 * `forFeature([Entity], key)`) or in `setup({ entities })`.
 */
export const InjectRepository = (entity: EntityLike, key?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getRepositoryToken(entity, key));
