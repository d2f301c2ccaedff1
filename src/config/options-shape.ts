import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { assertEntityList } from '../entities/entity-list.js';
import type { MultiDbModuleOptions } from '../multi-db.options.js';
import { describe, isPlainObject } from './values.js';

/** What a database key may look like: it names folders, tokens and tenant databases. */
export const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Every option of the wrong type is refused here, before anything could trip over it. */
export function assertOptionsShape(options: unknown): asserts options is MultiDbModuleOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionsError(messages.optionsWrongType(describe(options)));
  }
  const o = options as Record<string, unknown>;
  const expect = (name: string, ok: boolean, wanted: string) => {
    if (o[name] !== undefined && !ok)
      throw new InvalidOptionsError(messages.optionWrongType(name, wanted, describe(o[name])));
  };
  expect('rootPath', typeof o.rootPath === 'string' && o.rootPath.length > 0, 'a non-empty folder path');
  expect('entities', Array.isArray(o.entities), 'an array of entities');
  expect('common', isPlainObject(o.common), 'an object of MikroORM options');
  expect('migrationOptions', isPlainObject(o.migrationOptions), 'an object');
  expect('seederOptions', isPlainObject(o.seederOptions), 'an object');
  expect('requestContext', typeof o.requestContext === 'boolean', 'true or false');
  expect(
    'forRoutesPath',
    typeof o.forRoutesPath === 'string' && o.forRoutesPath.length > 0,
    "a route path ('api/{*path}')",
  );
  expect('tenantResolver', typeof o.tenantResolver === 'function', 'a function (request) => tenant');
  expect('transactions', isPlainObject(o.transactions), 'an object');
  assertTransactionsShape(o.transactions as Record<string, unknown> | undefined);
  if (Array.isArray(o.entities)) assertEntityList('MultiDbModule', o.entities);
  for (const name of ['migrationOptions', 'seederOptions']) {
    const directory = (o[name] as { directory?: unknown } | undefined)?.directory;
    if (directory !== undefined && (typeof directory !== 'string' || directory.length === 0)) {
      throw new InvalidOptionsError(
        messages.optionWrongType(`${name}.directory`, 'a non-empty folder path', describe(directory)),
      );
    }
  }
}

function assertTransactionsShape(t: Record<string, unknown> | undefined): void {
  const expect = (name: string, ok: boolean, wanted: string) => {
    if (t?.[name] !== undefined && !ok)
      throw new InvalidOptionsError(messages.optionWrongType(`transactions.${name}`, wanted, describe(t[name])));
  };
  expect('coordinator', typeof t?.coordinator === 'string' && KEY_PATTERN.test(t.coordinator), 'a database key');
  expect('table', typeof t?.table === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(t.table), 'a table name');
  expect('recoverOnStart', typeof t?.recoverOnStart === 'boolean', 'true or false');
}

/**
 * Keys that differ only in case (`auth`, `Auth`) are refused: they name folders (`migrations/<key>/`)
 * that collide on case-insensitive file systems.
 */
export function assertKeysDistinctIgnoringCase(keys: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const key of keys) {
    const other = seen.get(key.toLowerCase());
    if (other !== undefined) throw new InvalidOptionsError(messages.keysDifferInCase(other, key), { key });
    seen.set(key.toLowerCase(), key);
  }
}

/** The coordinator of two-phase transactions must be a configured database of its own (not a tenant template). */
export function assertCoordinator(
  transactions: MultiDbModuleOptions['transactions'],
  keys: readonly string[],
  templates: readonly string[],
): void {
  const coordinator = transactions?.coordinator;
  if (coordinator === undefined) return;
  if (!keys.includes(coordinator)) {
    throw new InvalidOptionsError(messages.unknownCoordinator(coordinator, keys), { key: coordinator });
  }
  if (templates.includes(coordinator)) {
    throw new InvalidOptionsError(messages.coordinatorIsTemplate(coordinator), { key: coordinator });
  }
}
