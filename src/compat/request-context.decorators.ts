import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RequestContext } from '@mikro-orm/core';
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

/** Finds the DbService of a decorated method's class: the getter's, a property holding one, or the only running one. */
export type DbServiceGetter = (self: never) => DbService;

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** A method decorator for both TypeScript's legacy decorators and standard (TC39) decorators. */
export interface RequestContextDecorator {
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
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
  if (getter) return getter(self as never);
  if (typeof self === 'object' && self !== null) {
    for (const value of Object.values(self)) if (value instanceof DbService) return value;
  }
  if (live.size === 1) return [...live][0] as DbService;
  throw new RequestContextSetupError(compatMessages.noServiceForContext(name, live.size));
}

/** Whether the current request context serves every database of this application (ours do; MikroORM's cover one). */
function coversAll(db: DbService): boolean {
  const map = RequestContext.currentRequestContext()?.map;
  return map !== undefined && db.keys.every((key) => map.has(key));
}
