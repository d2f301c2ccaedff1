import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EntityManager, MikroORM, RequestContext } from '@mikro-orm/core';
import { DbService } from '../db.service.js';
import { compatMessages, RequestContextSetupError } from '../errors/compat-errors.js';

/** The running applications' DbServices, for decorated methods of classes that hold none. */
const live = new Set<DbService>();

/** Registers this application's DbService for `@CreateRequestContext()` / `@EnsureRequestContext()` while it runs. */
@Injectable()
export class ContextDecoratorHome implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly db: DbService) {}

  onModuleInit(): void {
    live.add(this.db);
  }

  onApplicationShutdown(): void {
    live.delete(this.db);
  }
}

/**
 * How a decorated method finds its application: the DbService, or (MikroORM's convention) one of its
 * databases' MikroORM or EntityManager, from the instance (`(self: Jobs) => self.db`).
 */
export type DbServiceGetter = (self: never) => DbService | MikroORM | EntityManager;

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** A method decorator for both TypeScript's legacy decorators and standard (TC39) decorators. */
export interface RequestContextDecorator {
  /** Legacy (experimentalDecorators) form. */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
  /**
   * Standard (TC39) form.
   * @typeParam F the decorated method's type, kept as it is
   */
  <F extends (...args: never[]) => unknown>(method: F, context: ClassMethodDecoratorContext): F;
}

/**
 * Runs the method in a fresh request context over every database (forked on first use), also when
 * called inside another context: the method sees EntityManagers of its own, the caller's stay as they
 * were. For queue consumers, cron jobs and event handlers. Unlike MikroORM's decorator of that name,
 * which forks one database and, nested in a request, hides the others' forks. An enclosing
 * transaction (`em.transactional`, `db.transaction`) still wins for its databases.
 *
 * @param db how to find the DbService when the class holds none as a property (`(self) => self.db`)
 */
export function CreateRequestContext(db?: DbServiceGetter): RequestContextDecorator {
  return decorate('CreateRequestContext', db, (service, run) => service.runInContext(run));
}

/**
 * Like `@CreateRequestContext()`, but inside a request context over every database (an HTTP request,
 * `db.runInContext`, a decorated caller) it reuses that context; elsewhere it opens one.
 */
export function EnsureRequestContext(db?: DbServiceGetter): RequestContextDecorator {
  return decorate('EnsureRequestContext', db, (service, run) =>
    coversAll(service) ? run() : service.runInContext(run),
  );
}

function decorate(
  name: string,
  getter: DbServiceGetter | undefined,
  wrap: (db: DbService, run: () => unknown) => unknown,
): RequestContextDecorator {
  const wrapped = (original: AnyMethod): AnyMethod => {
    const isAsync = original.constructor.name === 'AsyncFunction';
    return function (this: unknown, ...args: unknown[]) {
      let db: DbService;
      try {
        db = serviceOf(this, getter, name);
      } catch (error) {
        if (isAsync) return Promise.reject(error); // an async method fails the way its callers expect
        throw error;
      }
      return wrap(db, () => original.apply(this, args));
    };
  };
  return ((target: unknown, _context: unknown, descriptor?: PropertyDescriptor) => {
    if (descriptor && typeof descriptor.value === 'function') {
      descriptor.value = wrapped(descriptor.value as AnyMethod); // legacy: (prototype, name, descriptor)
      return descriptor;
    }
    return wrapped(target as AnyMethod); // standard: (method, context)
  }) as RequestContextDecorator;
}

function serviceOf(self: unknown, getter: DbServiceGetter | undefined, name: string): DbService {
  if (getter) {
    const found = ownerOf(getter(self as never));
    if (found) return found;
    throw new RequestContextSetupError(compatMessages.getterFoundNoService(name));
  }
  if (typeof self === 'object' && self !== null) {
    const values = Object.values(self);
    for (const value of values) if (value instanceof DbService) return value;
    // MikroORM's own convention: a `this.orm` / `this.em` of one of our databases
    for (const value of values) {
      const found = ownerOf(value);
      if (found) return found;
    }
  }
  if (live.size === 1) return [...live][0] as DbService;
  throw new RequestContextSetupError(compatMessages.noServiceForContext(name, live.size));
}

/** The running DbService a value is, or whose database's MikroORM / global EntityManager it is. */
function ownerOf(value: unknown): DbService | undefined {
  if (value instanceof DbService) return value;
  if (!(value instanceof MikroORM) && !(value instanceof EntityManager)) return undefined;
  for (const db of live) {
    if (db.keys.some((key) => db.orm(key) === value || db.orm(key).em === value)) return db;
  }
  return undefined;
}

/** Whether the current request context serves every database of this application (ours do; MikroORM's cover one). */
function coversAll(db: DbService): boolean {
  const map = RequestContext.currentRequestContext()?.map;
  return map !== undefined && db.keys.every((key) => map.has(key));
}
