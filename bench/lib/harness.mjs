/**
 * Measuring: interleaved rounds, per-round samples, robust statistics.
 *
 * Every compared pair (or group) is measured in one process, round after round, the sides
 * interleaved and their order reversed every other turn (A B | B A | A B …), so drifts of the
 * machine hit both sides alike. A round is a fixed amount of work per side (a fixed op count, one
 * start-up, one fixed-duration HTTP run), so each round gives one sample per side (ops/s, µs per
 * op, ms, MiB…). For op throughput the sides also take turns within a round, block by block
 * (alternateOps). The garbage collector runs before every round when node has --expose-gc.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a full GC if node was started with --expose-gc; twice, so weak refs and finalizers settle. */
export function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
}

export const hasGc = () => typeof globalThis.gc === 'function';

/** @param {string} message */
export function progress(message) {
  process.stderr.write(`  ${message}\n`);
}

/**
 * Calls `op(i)` `count` times one after another and returns ops per second.
 * @param {number} count
 * @param {(i: number) => Promise<unknown>} op
 * @param {number} [offset] first i, so consecutive rounds read different rows
 */
export async function opsPerSecond(count, op, offset = 0) {
  const begin = performance.now();
  for (let i = 0; i < count; i++) await op(offset + i);
  return count / ((performance.now() - begin) / 1000);
}

/** This thread's CPU time so far (user + system), in ms. */
function threadCpuMs() {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

/** Lets callbacks an op left behind (setImmediate, I/O completions) run, so they are charged to it. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Milliseconds one call of `op` takes, on warm code (runs it for ~200 ms first).
 * @param {(i: number) => Promise<unknown>} op
 */
export async function msPerOp(op) {
  let count = 20;
  for (;;) {
    const begin = performance.now();
    for (let i = 0; i < count; i++) await op(i);
    const ms = performance.now() - begin;
    if (ms >= 200) return ms / count;
    count *= 2;
  }
}

/**
 * Sizes for alternateOps: a fixed op count per round and per block, from one op's duration.
 * @param {number} opMs
 * @param {{ roundMs: number, blockMs: number }} target
 */
export function opCounts(opMs, { roundMs, blockMs }) {
  const block = Math.max(1, Math.round(blockMs / opMs));
  const blocks = Math.max(1, Math.round(roundMs / (opMs * block)));
  return { block, opsPerRound: block * blocks };
}

/**
 * Throughput of several sides, interleaved at two levels. Rounds: each gives one ops/s sample per
 * side, after a full GC. Within a round: every side runs the same fixed op count, in blocks of
 * `block` ops, the sides taking turns block by block (order reversed every block: A B | B A | …),
 * each block timed on its own and ending with a setImmediate turn so that the async work an op
 * leaves behind is charged to it. On a machine whose speed drifts by ±10–15 % within tens of
 * milliseconds (shared virtual CPUs), turns of a few milliseconds make the sides of one round see
 * the same machine; whole-round turns would not. `clock: 'cpu'` times the blocks in this thread's
 * CPU time (`process.threadCpuUsage()`) instead of wall time: time the process spends descheduled
 * on a busy machine, or waiting for a database server, is then charged to neither side.
 * @template {string} K
 * @param {Record<K, (i: number) => Promise<unknown>>} ops the op of each side; `i` picks the row
 * @param {{ rounds: number, warmup: number, opsPerRound: number, block: number, label?: string, clock?: 'wall' | 'cpu' }} options
 * @returns {Promise<Record<K, number[]>>} ops/s of every side, round by round
 */
export async function alternateOps(ops, { rounds, warmup, opsPerRound, block, label = '', clock = 'wall' }) {
  const now = clock === 'cpu' ? threadCpuMs : () => performance.now();
  const names = /** @type {K[]} */ (Object.keys(ops));
  const reversed = [...names].reverse();
  const round = async (/** @type {number} */ r) => {
    const ms = /** @type {Record<K, number>} */ (Object.fromEntries(names.map((n) => [n, 0])));
    for (let start = 0, k = 0; start < opsPerRound; start += block, k++) {
      const count = Math.min(block, opsPerRound - start);
      const base = r * opsPerRound + start; // every side reads the same rows
      for (const name of (k + r) % 2 === 0 ? names : reversed) {
        const begin = now();
        for (let i = 0; i < count; i++) await ops[name](base + i);
        await flush();
        ms[name] += now() - begin;
      }
    }
    return /** @type {Record<K, number>} */ (Object.fromEntries(names.map((n) => [n, opsPerRound / (ms[n] / 1000)])));
  };
  for (let w = 0; w < warmup; w++) await round(rounds + w);
  const samples = /** @type {Record<K, number[]>} */ (Object.fromEntries(names.map((n) => [n, []])));
  for (let r = 0; r < rounds; r++) {
    gc();
    const result = await round(r);
    for (const name of names) samples[name].push(result[name]);
    if (label && (r + 1) % 10 === 0) {
      progress(`${label}: round ${r + 1}/${rounds} ${names.map((n) => `${n}=${fmt(result[n])}`).join(' ')}`);
    }
  }
  return samples;
}

/**
 * Interleaved rounds over named sides; each side's function does one round and returns its sample.
 * @template {string} K
 * @param {Record<K, () => Promise<number>>} sides
 * @param {{ rounds: number, warmup: number, label?: string, onSample?: (side: K, round: number, value: number) => void }} options
 * @returns {Promise<Record<K, number[]>>} the samples of every side, round by round
 */
export async function interleave(sides, { rounds, warmup, label = '', onSample }) {
  const names = /** @type {K[]} */ (Object.keys(sides));
  for (let w = 0; w < warmup; w++) {
    for (const name of w % 2 === 0 ? names : [...names].reverse()) await sides[name]();
  }
  const samples = /** @type {Record<K, number[]>} */ (Object.fromEntries(names.map((n) => [n, []])));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      gc();
      const value = await sides[name]();
      samples[name].push(value);
      onSample?.(name, round, value);
    }
    if (label)
      progress(
        `${label}: round ${round + 1}/${rounds} ${names.map((n) => `${n}=${fmt(samples[n][round])}`).join(' ')}`,
      );
  }
  return samples;
}

/** @param {number} x */
function fmt(x) {
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

/**
 * Quantile of sorted values, linear interpolation between closest ranks (type 7, as R and numpy).
 * @param {number[]} sorted
 * @param {number} q
 */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * @param {number[]} samples
 * @returns {{ n: number, median: number, q1: number, q3: number, min: number, max: number, mean: number, samples: number[] }}
 */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    samples,
  };
}

/**
 * Per-round ratios a[i] / b[i] of two interleaved sides: neighbours in time, so the machine's drift
 * cancels out. The row's ratio is their median, the spread their IQR.
 * @param {number[]} a
 * @param {number[]} b
 */
export function pairedRatios(a, b) {
  return a.map((x, i) => x / b[i]);
}

/**
 * @typedef {{ op: '>=' | '<=', value: number, text: string }} Goal
 * @typedef {{ label: string, stats: ReturnType<typeof summarize> }} Side
 * @typedef {{
 *   scenario: string, name: string, workload: string, sizes: string, unit: string,
 *   a: Side | null, b: Side | null,
 *   ratio: (ReturnType<typeof summarize> & { definition: string }) | null,
 *   value?: { number: number, unit: string, detail: string },
 *   goal: Goal | null, met: boolean | null, note?: string,
 * }} Row
 */

/**
 * One row of the results: two sides' samples, their paired ratio (A / B, in the row's unit) and,
 * when there is one, the goal the ratio must meet.
 * @param {{ scenario: string, name: string, workload: string, sizes: string, unit: string,
 *   a: { label: string, samples: number[] }, b: { label: string, samples: number[] },
 *   ratioDefinition: string, goal?: Goal | null, note?: string }} spec
 * @returns {Row}
 */
export function compareRow(spec) {
  const ratio = { ...summarize(pairedRatios(spec.a.samples, spec.b.samples)), definition: spec.ratioDefinition };
  const goal = spec.goal ?? null;
  return {
    scenario: spec.scenario,
    name: spec.name,
    workload: spec.workload,
    sizes: spec.sizes,
    unit: spec.unit,
    a: { label: spec.a.label, stats: summarize(spec.a.samples) },
    b: { label: spec.b.label, stats: summarize(spec.b.samples) },
    ratio,
    goal,
    met: goal ? meets(ratio.median, goal) : null,
    ...(spec.note ? { note: spec.note } : {}),
  };
}

/**
 * @param {number} x
 * @param {Goal} goal
 */
export function meets(x, goal) {
  return goal.op === '>=' ? x >= goal.value : x <= goal.value;
}

/** @param {number} value @param {string} [text] @returns {Goal} */
export const atLeast = (value, text) => ({ op: '>=', value, text: text ?? `≥ ${value}` });
/** @param {number} value @param {string} [text] @returns {Goal} */
export const atMost = (value, text) => ({ op: '<=', value, text: text ?? `≤ ${value}` });

/**
 * Runs a scenario file again in a fresh child process (lib/child.mjs) with `extra` merged into its
 * config, and resolves with the result it reports: a measurement free of this process's heap.
 * @param {string} scenarioFile path of the scenario module
 * @param {object} config
 * @param {object} extra
 * @param {string} what names the child in errors
 * @returns {Promise<any>}
 */
export function runScenarioInChild(scenarioFile, config, extra, what) {
  const child = fork(fileURLToPath(new URL('./child.mjs', import.meta.url)), [scenarioFile], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, BENCH_CONFIG: JSON.stringify({ ...config, ...extra }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    /** @type {any} */
    let message;
    child.on('message', (m) => {
      message = m;
    });
    child.once('exit', (code) => {
      if (message?.result) resolve(message.result);
      else reject(new Error(message?.error ?? `${what} exited with code ${code}`));
    });
  });
}
