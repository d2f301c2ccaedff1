import { MultiDbError } from './multi-db.error.js';

/** Message templates of the @mikro-orm/nestjs idioms (issue #17); kept apart from messages.ts to ease merges. */
export const compatMessages = {
  classTokenMismatch: (key: string, engine: string, token: string, pkg: string, matching: readonly string[]): string =>
    `${token} (from ${pkg}) was injected, but database '${key}' (the one class tokens stand for) uses ${engine}, so there is no such EntityManager or MikroORM for it. Inject EntityManager / MikroORM from @mikro-orm/core (or SqlEntityManager from @mikro-orm/sql) for '${key}'${
      matching.length > 0
        ? `, or use @InjectEntityManager('${matching[0]}') / @InjectOrm('${matching[0]}') for the database that uses that engine (${matching.map((k) => `'${k}'`).join(', ')})`
        : ''
    }.`,
  classTokenInjectedBy: (message: string, consumer: string): string => `${consumer}: ${message}`,
  repositoryNotInDatabase: (entity: string, key: string, home: string): string =>
    `@InjectRepository(${entity}, '${key}'): database '${key}' does not hold ${entity} (it lives in '${home}'). Give '${key}' the entities of '${home}' (entitiesOf: '${home}'), or inject the repository of ${entity} without a key.`,
  noServiceForContext: (method: string, live: number): string =>
    `@${method}: ${live === 0 ? 'no nestjs-multidb application is running' : `${live} nestjs-multidb applications are running`}, so it cannot tell which databases to open a context for. Inject DbService into the class (any property holding it is found), or pass a getter: @${method}((self) => self.db).`,
  getterFoundNoService: (method: string): string =>
    `@${method}(getter): the getter returned neither a DbService nor the MikroORM or EntityManager of a database of a running nestjs-multidb application. Return the injected DbService: @${method}((self) => self.db).`,
} as const;

/** A driver-specific class token (e.g. PostgreSqlEntityManager) was injected, but the `default` database uses another engine. */
export class ClassTokenMismatchError extends MultiDbError {
  constructor(
    message: string,
    key: string,
    /** The requested class token's name. */
    readonly token: string,
  ) {
    super(message, { key });
  }
}

/** `@CreateRequestContext()` / `@EnsureRequestContext()` could not find the application whose databases it should use. */
export class RequestContextSetupError extends MultiDbError {}
