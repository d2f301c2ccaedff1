import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigFileError } from '../errors/config-errors.js';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import type { MultiDbModuleOptions } from '../multi-db.options.js';
import { scrubSecrets } from './failures.js';

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
  const load = await loaderFor(path);
  const mod = await guarded(path, () => load(pathToFileURL(path).href));
  const exported = mod.default ?? mod.options;
  const value = await guarded(path, async () =>
    typeof exported === 'function' ? await (exported as () => unknown)() : await exported,
  );
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

type Loader = (href: string) => Promise<Record<string, unknown>>;

/** Node's import for JavaScript; tsx for TypeScript (a clear error when it is not installed). */
async function loaderFor(path: string): Promise<Loader> {
  if (!/\.[mc]?ts$/.test(path)) return (href) => import(href);
  let tsx: { tsImport(specifier: string, parent: string): Promise<Record<string, unknown>> };
  try {
    tsx = (await import('tsx/esm/api' as string)) as typeof tsx;
  } catch {
    throw new InvalidOptionsError(
      `Config file '${path}' is TypeScript: install tsx to load it (npm install -D tsx), or compile it and pass the .js file with --config.`,
    );
  }
  return (href) => tsx.tsImport(href, import.meta.url);
}

/**
 * Runs the config's own code (its import, its options factory). What it throws becomes one
 * ConfigFileError naming the file: its message on one line, URLs' passwords masked (the config
 * holds the database URLs; a raw stack would print them). The original stays as its `cause`.
 */
async function guarded<T>(path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new ConfigFileError(path, oneLine(error), error);
  }
}

const MAX_REASON = 500;

function oneLine(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = 'a value that cannot be shown';
  }
  text = scrubSecrets(text.replace(/\s*\n\s*/g, ' ').trim(), []);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}
