// The Node.js this project runs on, checked before anything loads a native module: better-sqlite3
// 13 (under @mikro-orm/sqlite) is built for Node-API 10, which Node ships from 22.14; an older
// Node (the machine's own 20.x, say) does not refuse it cleanly but dies with SIGSEGV as soon as a
// SQLite database opens — in tests, as "Worker exited unexpectedly with signal SIGSEGV".

/** MikroORM 7's floor; it also covers better-sqlite3 13's Node-API 10 (Node >= 22.14). */
export const MIN_NODE = '22.17.0';
export const MIN_NODE_API = 10;

/** Why this Node cannot run the project, or undefined when it can. */
export function nodeVersionProblem(versions = process.versions) {
  const [major = 0, minor = 0] = String(versions.node).split('.').map(Number);
  const [minMajor, minMinor] = MIN_NODE.split('.').map(Number);
  const napi = Number(versions.napi ?? 0);
  if (major > minMajor || (major === minMajor && minor >= minMinor)) {
    if (napi >= MIN_NODE_API) return undefined;
  }
  return (
    `nestjs-multidb needs Node.js >= ${MIN_NODE} (MikroORM 7; better-sqlite3 13 needs Node-API ${MIN_NODE_API}) ` +
    `and this is v${versions.node} (Node-API ${versions.napi ?? 'unknown'}): on it SQLite crashes with SIGSEGV. ` +
    'Put a newer Node first on PATH.'
  );
}

// When the Node on PATH is too old, `npm test`, `npm run demo` and `npm run quickstart` fetch Node 24
// from the npm registry into this folder (as .ci/run does) and go on under it; NODE_BOOTSTRAP=0 turns
// that off, NODE_BOOTSTRAP_DIR moves the folder.
export const BOOTSTRAP_NODE = 'node@24';
/** Set in the environment of everything re-run under the bootstrapped Node: it never bootstraps twice. */
export const BOOTSTRAPPED_ENV = 'NESTJS_MULTIDB_BOOTSTRAPPED_NODE';

/** The folder the bootstrapped Node lives in (`<dir>/node_modules/.bin/node`). */
export function bootstrapDir(env = process.env) {
  return env.NODE_BOOTSTRAP_DIR || `${env.HOME || env.USERPROFILE || '.'}/.cache/nestjs-multidb/node24`;
}

/** Whether NODE_BOOTSTRAP turns the bootstrap off (`0`, `false`, `off`, `no`). */
export function bootstrapDisabled(env = process.env) {
  return ['0', 'false', 'off', 'no'].includes(String(env.NODE_BOOTSTRAP ?? '').toLowerCase());
}
