import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import type { MultiDbModuleOptions } from '../multi-db.options.js';

/** Looked up in the working directory, in this order, when `--config` is not given. */
export const DEFAULT_CONFIG_FILES = [
  'multidb.config.js',
  'multidb.config.mjs',
  'multidb.config.ts',
  'dist/multidb.config.js',
];

/**
 * Loads the options the app passes to `MultiDbModule.setup()` from a config module whose default
 * (or `options`) export is the options object or a (possibly async) factory returning it.
 * TypeScript configs are loaded through `tsx` when it is installed.
 */
export async function loadConfig(
  file: string | undefined,
  cwd: string,
): Promise<{ path: string; options: MultiDbModuleOptions }> {
  const path = file ? (isAbsolute(file) ? file : resolve(cwd, file)) : findDefault(cwd);
  if (!existsSync(path)) throw new InvalidOptionsError(`Config file '${path}' does not exist.`);
  const mod = await importModule(path);
  const exported = mod.default ?? mod.options;
  const value = typeof exported === 'function' ? await (exported as () => unknown)() : await exported;
  if (typeof value !== 'object' || value === null) {
    throw new InvalidOptionsError(
      `Config file '${path}' must export (as default or as 'options') the MultiDbModule options or a function returning them.`,
    );
  }
  return { path, options: value as MultiDbModuleOptions };
}

function findDefault(cwd: string): string {
  const found = DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
  if (!found) {
    throw new InvalidOptionsError(
      `No config file found in ${cwd} (looked for ${DEFAULT_CONFIG_FILES.join(', ')}). Pass one with --config <file>.`,
    );
  }
  return found;
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  if (!/\.[mc]?ts$/.test(path)) return import(pathToFileURL(path).href);
  let tsx: { tsImport(specifier: string, parent: string): Promise<Record<string, unknown>> };
  try {
    tsx = (await import('tsx/esm/api' as string)) as typeof tsx;
  } catch {
    throw new InvalidOptionsError(
      `Config file '${path}' is TypeScript: install tsx to load it (npm install -D tsx), or compile it and pass the .js file with --config.`,
    );
  }
  return tsx.tsImport(pathToFileURL(path).href, import.meta.url);
}
