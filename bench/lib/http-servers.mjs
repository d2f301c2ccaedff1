/**
 * The app processes of the HTTP scenarios (3 and 3b): each app runs in a child process of its own
 * (bench/apps/serve.mjs) and answers requests from the scenario process over IPC — its port, a
 * full GC, and its own CPU time (`process.cpuUsage()`), so that CPU per request is measured inside
 * the server, free of the load generator that shares the machine's cores.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appsDir = fileURLToPath(new URL('../apps/', import.meta.url));
const STOP_TIMEOUT_MS = 15_000;

/**
 * @typedef {{
 *   port: number,
 *   get(path: string): Promise<string>,
 *   gc(): Promise<void>,
 *   cpuMicros(): Promise<number>,
 *   stop(): Promise<string | undefined>,
 * }} AppServer
 */

/**
 * Starts `appFile` (a module of bench/apps/ exporting createModule(env)) in a child process.
 * @param {string} appFile
 * @param {Record<string, unknown>} env handed to createModule
 * @param {{ serveFile?: string, tag?: string }} [options] `serveFile`: the runner (tests); `tag`: profile file name part
 * @returns {Promise<AppServer>}
 */
export function startServer(appFile, env, { serveFile = join(appsDir, 'serve.mjs'), tag = '' } = {}) {
  // profiled (run.mjs --cpu-prof): profile the apps too, one file each
  const profDir = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='));
  const name = appFile.replace(/^.*\//, '').replace('.mjs', '');
  const profile = profDir ? ['--cpu-prof', profDir, `--cpu-prof-name=s3${tag}-${name}-\${pid}.cpuprofile`] : [];
  const child = fork(serveFile, [appFile.includes('/') ? appFile : join(appsDir, appFile)], {
    execArgv: ['--expose-gc', ...profile],
    env: { ...process.env, BENCH_APP_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let asked = 0;
  /** @type {Map<number, (value: any) => void>} */
  const answers = new Map();
  child.on('message', (/** @type {any} */ message) => {
    const answer = answers.get(message?.id);
    if (answer) {
      answers.delete(message.id);
      answer(message.value);
    }
  });
  /** @param {string} type */
  const ask = (type) =>
    new Promise((resolve) => {
      const id = ++asked;
      answers.set(id, resolve);
      child.send({ type, id });
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${appFile} exited with code ${code} before listening`)));
    child.once('message', (/** @type {any} */ message) => {
      const port = message.port;
      resolve({
        port,
        get: async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).text(),
        gc: async () => {
          await ask('gc');
        },
        cpuMicros: async () => /** @type {number} */ (await ask('cpu')),
        stop: async () => {
          if (child.exitCode === null) child.send({ type: 'stop' });
          const late = Symbol('late');
          /** @type {NodeJS.Timeout | undefined} */
          let timer;
          const deadline = new Promise((done) => {
            timer = setTimeout(() => done(late), STOP_TIMEOUT_MS);
          });
          const outcome = await Promise.race([exited, deadline]);
          clearTimeout(timer);
          if (outcome !== late) return undefined;
          child.kill('SIGKILL');
          await exited;
          return (
            `${appFile}: app.close() had not finished ${STOP_TIMEOUT_MS / 1000} s after the load ended; the process was ` +
            'killed (its own diagnostic, printed during the run, lists what was still open)'
          );
        },
      });
    });
  });
}

/**
 * Runs `load` (a fixed number of requests against `server`) and returns the server's own CPU time
 * it took, user + system, in µs per request: `process.cpuUsage()` read inside the server process
 * before and after.
 * @template T
 * @param {AppServer} server
 * @param {number} requests how many requests `load` makes
 * @param {() => Promise<T>} load
 * @returns {Promise<{ cpuPerRequest: number, result: T }>}
 */
export async function serverCpuPerRequest(server, requests, load) {
  const before = await server.cpuMicros();
  const result = await load();
  const after = await server.cpuMicros();
  return { cpuPerRequest: (after - before) / requests, result };
}
