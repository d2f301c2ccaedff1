/**
 * The package under test, through its public entry points only ('nestjs-multidb' and
 * 'nestjs-multidb/testing', i.e. the built dist/ of this repository).
 *
 * BENCH_MULTIDB_ROOT=/path/to/another/checkout (with its own built dist/) benchmarks that build
 * instead, through the same entry points: handy to compare two versions of the library on one
 * machine. Its dist/ must resolve @mikro-orm/* and @nestjs/* to this repository's node_modules
 * (symlink node_modules into it), or the classes would not be shared.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.BENCH_MULTIDB_ROOT;

/** @param {'' | 'testing'} entry */
function specifier(entry) {
  if (!root) return entry ? `nestjs-multidb/${entry}` : 'nestjs-multidb';
  return pathToFileURL(join(resolve(root), 'dist', entry, 'index.js')).href;
}

/** @type {typeof import('nestjs-multidb')} */
export const multidb = await import(specifier(''));
/** @type {typeof import('nestjs-multidb/testing')} */
export const testing = await import(specifier('testing'));
/** Where the package under test comes from, for the results. */
export const packageUnderTest = root ? resolve(root) : 'nestjs-multidb (this repository, dist/)';
