// TypeDoc plugin (typedoc.json "plugin"): our option types inherit MikroORM's Options, and with them
// MikroORM's own comments, whose {@link X} name MikroORM classes this API reference does not hold
// (Routine, FileCacheAdapter). Such links go to MikroORM's API reference of that package instead of
// failing as broken links. Any other unresolved link still fails `npm run docs`.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';

const site = 'https://mikro-orm.io/api';
// MikroORM names each declaration file after the class it declares (cache/FileCacheAdapter.d.ts)
const coreDir = dirname(createRequire(import.meta.url).resolve('@mikro-orm/core'));
const coreNames = new Set(
  readdirSync(coreDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.d.ts'))
    .map((f) => f.replace(/^.*\//, '').replace(/\.d\.ts$/, '')),
);

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.addUnknownSymbolResolver((ref, _refl, _part, symbolId) => {
    const name = ref.symbolReference?.path?.map((p) => p.path).join('.');
    if (!name || ref.moduleSource) return undefined;
    const pkg = symbolId?.packageName;
    if (pkg?.startsWith('@mikro-orm/')) return { target: `${site}/${pkg.slice('@mikro-orm/'.length)}`, caption: name };
    if (!symbolId && coreNames.has(name)) return { target: `${site}/core`, caption: name };
    return undefined;
  });
}
