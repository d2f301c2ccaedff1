/**
 * Runs one scenario in this process and hands its result to the parent over IPC (or prints it as
 * JSON when started by hand):
 *
 *   BENCH_CONFIG='{"smoke":true,"tmpDir":"/tmp/x"}' node --expose-gc bench/lib/child.mjs bench/scenarios/s2-many-databases.mjs
 *
 * The configuration comes from run.mjs in BENCH_CONFIG (smoke, temp dir, PostgreSQL URL template);
 * by hand, anything left out gets a default (full sizes, no PostgreSQL, a fresh temp folder).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --expose-gc bench/lib/child.mjs <scenario.mjs>');
  process.exit(2);
}
// defaults for a run by hand: full sizes, no PostgreSQL, a fresh temp folder
const config = {
  smoke: false,
  pg: null,
  benchDir: dirname(dirname(fileURLToPath(import.meta.url))),
  tmpDir: process.env.BENCH_CONFIG?.includes('"tmpDir"')
    ? undefined
    : mkdtempSync(join(tmpdir(), 'nestjs-multidb-bench-')),
  ...JSON.parse(process.env.BENCH_CONFIG ?? '{}'),
};

/** @param {unknown} message */
function reply(message) {
  if (process.send) process.send(message, () => process.exit(0));
  else {
    console.log(JSON.stringify(message, null, 2));
    process.exit(0);
  }
}

try {
  const scenario = await import(pathToFileURL(resolve(file)).href);
  reply({ result: await scenario.run(config) });
} catch (error) {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) process.send({ error: text }, () => process.exit(1));
  else {
    console.error(text);
    process.exit(1);
  }
}
