import { Injectable, type OnModuleInit, type Provider } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { EntityManager, MikroORM } from '@mikro-orm/core';
import { DEFAULT_KEY } from '../config/resolve-databases.js';
import { DbService } from '../db.service.js';
import { ClassTokenMismatchError, compatMessages } from '../errors/compat-errors.js';
import { getEntityManagerToken, getOrmToken } from '../multi-db.tokens.js';
import { PROBED } from '../tenants/routing-proxy.js';
import type { DriverClassToken } from './driver-classes.js';

/**
 * Fails the start-up when a class, controller or guard injects a driver class token that does not
 * match the `default` database's engine (e.g. PostgreSqlEntityManager over SQLite). Costs nothing
 * when every class token matches.
 */
@Injectable()
export class ClassTokenGuard implements OnModuleInit {
  readonly #refused = new Map<unknown, ClassTokenMismatchError>();

  constructor(
    private readonly modules: ModulesContainer,
    private readonly db: DbService,
  ) {}

  /** @internal */
  refuse(token: unknown, error: ClassTokenMismatchError): void {
    this.#refused.set(token, error);
  }

  async onModuleInit(): Promise<void> {
    if (this.#refused.size === 0) return;
    const error = this.#injected();
    if (!error) return;
    await this.db.close(); // a failed start-up closes the databases, or their pools keep the process alive
    throw error;
  }

  #injected(): ClassTokenMismatchError | undefined {
    for (const module of this.modules.values()) {
      const wrappers = [...module.providers.values(), ...module.controllers.values(), ...module.injectables.values()];
      for (const wrapper of wrappers) {
        const deps = [
          ...(wrapper.getCtorMetadata?.() ?? []),
          ...(wrapper.getPropertiesMetadata?.() ?? []).map((p) => p.wrapper),
        ];
        for (const dep of deps) {
          const error = dep ? this.#refused.get(dep.token) : undefined;
          if (!error) continue;
          const consumer = typeof wrapper.token === 'function' ? wrapper.token.name : String(wrapper.token);
          return new ClassTokenMismatchError(
            compatMessages.classTokenInjectedBy(error.message, consumer),
            error.key ?? DEFAULT_KEY,
            error.token,
          );
        }
      }
    }
  }
}

/**
 * Class tokens of @mikro-orm/nestjs: `EntityManager` / `MikroORM` of @mikro-orm/core and of every
 * installed driver package stand for the `default` database (its request-aware EntityManager).
 */
export function createClassTokenProviders(driverTokens: readonly DriverClassToken[]): Provider[] {
  const providers: Provider[] = [
    ClassTokenGuard,
    { provide: MikroORM, useExisting: getOrmToken(DEFAULT_KEY) },
    { provide: EntityManager, useExisting: getEntityManagerToken(DEFAULT_KEY) },
  ];
  for (const t of driverTokens) {
    providers.push({
      provide: t.token,
      useFactory: (db: DbService, value: object, guard: ClassTokenGuard) => {
        const error = mismatch(db, t);
        if (!error) return value;
        guard.refuse(t.token, error);
        return refusing(t.token, error);
      },
      inject: [
        DbService,
        t.kind === 'em' ? getEntityManagerToken(DEFAULT_KEY) : getOrmToken(DEFAULT_KEY),
        ClassTokenGuard,
      ],
    });
  }
  return providers;
}

/** The tokens users inject (for the module's exports). */
export function classTokens(driverTokens: readonly DriverClassToken[]): DriverClassToken['token'][] {
  return [MikroORM, EntityManager, ...driverTokens.map((t) => t.token)];
}

function matches(orm: MikroORM, t: DriverClassToken): boolean {
  if (t.kind === 'em') return orm.em instanceof t.token;
  const ormClass = orm.driver.getORMClass() as unknown as { prototype: object };
  return ormClass === t.token || ormClass.prototype instanceof t.token;
}

function mismatch(db: DbService, t: DriverClassToken): ClassTokenMismatchError | undefined {
  if (db.tenantTemplates.includes(DEFAULT_KEY) || matches(db.orm(DEFAULT_KEY), t)) return undefined;
  const others = db.keys.filter((key) => key !== DEFAULT_KEY && matches(db.orm(key), t));
  const engine = db.info(DEFAULT_KEY).driver;
  const message = compatMessages.classTokenMismatch(DEFAULT_KEY, engine, t.token.name, t.packageName, others);
  return new ClassTokenMismatchError(message, DEFAULT_KEY, t.token.name);
}

/** What a mismatched class token resolves to: every use throws the mismatch error. */
function refusing(token: DriverClassToken['token'], error: ClassTokenMismatchError): object {
  return new Proxy(Object.create(token.prototype) as object, {
    get(_, property) {
      if (typeof property === 'symbol' || PROBED.has(property)) return undefined;
      if (property === 'constructor') return token;
      throw error;
    },
    set() {
      throw error;
    },
  });
}
