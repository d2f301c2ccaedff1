import { fromMikroOrmConfig } from '../config/mikro-orm-config-input.js';
import { createRequire } from 'node:module';
import { EntityManager, MikroORM } from '@mikro-orm/core';

/** A driver package's `EntityManager` or `MikroORM` class, injectable as a class token like @mikro-orm/nestjs does. */
export interface DriverClassToken {
  token: abstract new (...args: never[]) => object;
  kind: 'em' | 'orm';
  /** The package users import it from. */
  packageName: string;
  /** The engine it belongs to (`'sql'`: every SQL driver). */
  engine: string;
}

const PACKAGES: readonly { name: string; engine: string }[] = [
  { name: '@mikro-orm/sql', engine: 'sql' },
  { name: '@mikro-orm/postgresql', engine: 'postgresql' },
  { name: '@mikro-orm/mysql', engine: 'mysql' },
  { name: '@mikro-orm/mariadb', engine: 'mariadb' },
  { name: '@mikro-orm/sqlite', engine: 'sqlite' },
];

const loaded = new Map<string, readonly DriverClassToken[]>();

/**
 * The `EntityManager` / `MikroORM` classes of the driver packages, each once: of `engines` (those the
 * configured URLs use, loaded at start-up anyway), or of every installed one when the URLs are not
 * known yet (`setupAsync`). A package that is not installed adds nothing (drivers are optional peers).
 * Loaded synchronously, because Nest needs the class tokens when the module is defined.
 */
export function driverClassTokens(engines?: readonly string[]): DriverClassToken[] {
  const wanted = engines === undefined ? undefined : new Set(['sql', ...engines.flatMap(withFallback)]);
  const seen = new Set<unknown>([EntityManager, MikroORM]);
  const tokens: DriverClassToken[] = [];
  for (const pkg of PACKAGES) {
    if (wanted && !wanted.has(pkg.engine)) continue;
    let ofPackage = loaded.get(pkg.name);
    if (!ofPackage) {
      ofPackage = load(pkg);
      loaded.set(pkg.name, ofPackage);
    }
    for (const t of ofPackage) {
      if (seen.has(t.token)) continue;
      seen.add(t.token);
      tokens.push(t);
    }
  }
  return tokens;
}

/** The engines the URLs of `setup()`'s `databases` name (their schemes), or undefined when unreadable. */
export function enginesOf(databases: unknown): string[] | undefined {
  const values =
    typeof databases === 'string' ? [databases] : isObject(databases) ? Object.values(databases) : undefined;
  if (!values) return undefined;
  return values.flatMap((value) => {
    const url = typeof value === 'string' ? value : isObject(value) ? urlOf(value) : undefined;
    const scheme = typeof url === 'string' ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1] : undefined;
    const engine = scheme?.toLowerCase().split('+')[0];
    return engine === undefined ? [] : [engine === 'postgres' ? 'postgresql' : engine];
  });
}

/** A database's URL, also when given as a MikroORM config (its engine from `driver` or `clientUrl`). */
function urlOf(value: Record<string, unknown>): unknown {
  try {
    return (fromMikroOrmConfig('default', value, process.cwd()) as { url?: unknown }).url;
  } catch {
    return undefined; // refused, with its key, when the options are resolved
  }
}

/** A `mariadb://` key runs on @mikro-orm/mysql when @mikro-orm/mariadb is not installed. */
function withFallback(engine: string): string[] {
  return engine === 'mariadb' ? ['mariadb', 'mysql'] : [engine];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function load(pkg: { name: string; engine: string }): DriverClassToken[] {
  let mod: Record<string, unknown>;
  try {
    mod = createRequire(import.meta.url)(pkg.name) as Record<string, unknown>;
  } catch {
    return []; // not installed (or not loadable here): no token of it, Nest's own "cannot resolve" stays
  }
  const tokens: DriverClassToken[] = [];
  for (const [kind, exported] of [
    ['em', mod.EntityManager],
    ['orm', mod.MikroORM],
  ] as const) {
    if (typeof exported !== 'function') continue;
    // SqlEntityManager / SqlMikroORM are shared by every SQL driver (sqlite, mysql and mariadb re-export them)
    const engine = (exported as { name: string }).name.startsWith('Sql') ? 'sql' : pkg.engine;
    tokens.push({ token: exported as DriverClassToken['token'], kind, packageName: pkg.name, engine });
  }
  return tokens;
}
