#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (node --cpu-prof): self time by package (node_modules/<package>,
 * this repository's dist/, node internals, GC, idle), the functions with the most self time, and
 * the functions with the most total time (self + callees, each sample counted once per function).
 *
 *   node bench/lib/profile-summary.mjs bench/results/tmp/cpu-prof/s2-1234.cpuprofile [--top 25] [--total 40]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} file
 * @param {{ top?: number, inclusiveTop?: number }} [options]
 */
export function summarizeProfile(file, { top = 20, inclusiveTop = 0 } = {}) {
  /** @type {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} */
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** @type {Map<number, number>} µs of self time per node */
  const self = new Map();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((s, x) => s + x, 0);

  const keyOf = (/** @type {{ functionName: string, url: string, lineNumber: number }} */ frame) => {
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    return `${frame.functionName || '(anonymous)'}${where ? `  ${where}` : ''}`;
  };
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  for (const [id, us] of self) {
    const seen = new Set();
    for (let node = id; node !== undefined; node = /** @type {number} */ (parentOf.get(node))) {
      const frame = byId.get(node)?.callFrame;
      if (!frame || frame.functionName === '(root)') continue;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  /** @type {Map<string, number>} */
  const byFunction = new Map();
  /** @type {Map<string, number>} */
  const byPackage = new Map();
  for (const [id, us] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const key = keyOf(frame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const pct = (/** @type {number} */ us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const lines = [`${basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`, '  self time by package:'];
  for (const [pkg, us] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`    ${pct(us)}  ${pkg}`);
  lines.push(`  top ${top} functions by self time:`);
  for (const [fn, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${pct(us)}  ${fn}`);
  if (inclusiveTop > 0) {
    lines.push(`  top ${inclusiveTop} functions by total time (self + callees), anonymous frames left out:`);
    const named = [...inclusive].filter(([fn]) => !fn.startsWith('(anonymous)'));
    for (const [fn, us] of named.sort((a, b) => b[1] - a[1]).slice(0, inclusiveTop))
      lines.push(`    ${pct(us)}  ${fn}`);
  }
  return lines.join('\n');
}

/** @param {string} url */
function shortUrl(url) {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) return `nestjs-multidb/${path.slice(dist + 1)}`;
  const bench = path.lastIndexOf('/bench/');
  if (bench >= 0) return path.slice(bench + 1);
  return path;
}

/**
 * @param {string} url
 * @param {string} functionName
 */
function packageOf(url, functionName) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.slice(path.lastIndexOf('node_modules/')));
  if (m) return m[1];
  if (path.includes('/dist/')) return 'nestjs-multidb (dist)';
  if (path.includes('/bench/')) return 'bench';
  return path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.slice(2).filter((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const topIndex = process.argv.indexOf('--top');
  const topN = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 20;
  const totalIndex = process.argv.indexOf('--total');
  const totalN = totalIndex > 0 ? Number(process.argv[totalIndex + 1]) : 0;
  for (const f of files) console.log(`${summarizeProfile(f, { top: topN, inclusiveTop: totalN })}\n`);
}
