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

let found: DriverClassToken[] | undefined;

/**
 * The `EntityManager` / `MikroORM` classes of the installed driver packages (drivers are optional
 * peers: one not installed adds nothing), each once. Loaded synchronously, because Nest needs the
 * class tokens when the module is defined; once per process.
 */
export function driverClassTokens(): readonly DriverClassToken[] {
  found ??= loadInstalled();
  return found;
}

function loadInstalled(): DriverClassToken[] {
  const require = createRequire(import.meta.url);
  const seen = new Set<unknown>([EntityManager, MikroORM]);
  const tokens: DriverClassToken[] = [];
  for (const pkg of PACKAGES) {
    let mod: Record<string, unknown>;
    try {
      mod = require(pkg.name) as Record<string, unknown>;
    } catch {
      continue; // not installed (or not loadable here): no token of it, Nest's own "cannot resolve" stays
    }
    for (const [kind, exported] of [
      ['em', mod.EntityManager],
      ['orm', mod.MikroORM],
    ] as const) {
      if (typeof exported !== 'function' || seen.has(exported)) continue;
      seen.add(exported);
      // SqlEntityManager / SqlMikroORM are shared by every SQL driver (sqlite, mysql and mariadb re-export them)
      const engine = (exported as { name: string }).name.startsWith('Sql') ? 'sql' : pkg.engine;
      tokens.push({ token: exported as DriverClassToken['token'], kind, packageName: pkg.name, engine });
    }
  }
  return tokens;
}
