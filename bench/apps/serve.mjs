/**
 * Runs one of the HTTP apps of scenarios 3 and 3b as a child process: listens on a free loopback
 * port, tells the parent the port over IPC, and answers the parent's requests ({ type, id } →
 * { id, value }): 'gc' runs a full GC (with --expose-gc), 'cpu' gives this process's CPU time so
 * far (user + system, µs); 'stop' (or a disconnect) closes the app.
 *
 *   node bench/apps/serve.mjs bench/apps/multidb-app.mjs   (BENCH_APP_ENV: JSON with sqliteFile, pgUrl, extraSqliteFiles)
 */
import 'reflect-metadata';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { quietNest } from '../lib/nest.mjs';

const [file] = process.argv.slice(2);
const env = JSON.parse(process.env.BENCH_APP_ENV ?? '{}');
const { createModule } = await import(pathToFileURL(resolve(file)).href);
const app = await NestFactory.create(await createModule(env), quietNest);
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  // a close that hangs is a finding: say what is still open before the parent gives up on us
  const slow = setTimeout(() => {
    const open = JSON.stringify(process.getActiveResourcesInfo());
    process.stderr.write(`${file}: app.close() still running after 10 s; active resources: ${open}\n`);
  }, 10_000);
  slow.unref();
  await app.close();
  process.exit(0);
}
process.on('message', (/** @type {any} */ message) => {
  if (message?.type === 'stop') void stop();
  if (message?.type === 'gc') {
    // between rounds, so that one round's garbage is not collected during the next
    globalThis.gc?.();
    globalThis.gc?.();
    process.send?.({ id: message.id, value: null });
  }
  if (message?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ id: message.id, value: user + system });
  }
});
process.on('disconnect', () => void stop());
process.send?.({ port });
