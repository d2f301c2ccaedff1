import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Engine, runSql, serverUrl } from '../fixtures/databases.js';

// The child runs the built package (npm run build) with --expose-gc: the heap figures are its own,
// not those of this worker (whose secrets sweep keeps every log line of the file).
const CHILD = fileURLToPath(new URL('../fixtures/tenant-churn-child.mjs', import.meta.url));
const CYCLES = 1200;
const SAMPLE_EVERY = 100;
const MiB = 1024 * 1024;
/** "Within a few MiB of the start": bare MikroORM's own open/close cycles reach about 2 MiB (issue #14). */
const ALLOWED_GROWTH = 6 * MiB;

interface ChurnReport {
  baseline: number;
  samples: { cycle: number; heap: number }[];
  end: number;
  seconds: number;
  opened: number;
  closed: number;
  peakOpen: number;
}

function churn(engine: Engine, templateUrl: string): Promise<ChurnReport> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      TEMPLATE_URL: templateUrl,
      CYCLES: String(CYCLES),
      SAMPLE_EVERY: String(SAMPLE_EVERY),
    };
    const child = spawn(process.execPath, ['--expose-gc', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${engine} churn child exited with ${code}: ${err.slice(0, 2000)}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as ChurnReport);
    });
  });
}

describe('tenant churn: closing a tenant ORM releases it at once (issue #14)', () => {
  for (const engine of ['mariadb', 'postgres'] as const) {
    it(`${engine}: ${CYCLES} tenant opens with maxOpen 2 keep the heap within a few MiB, sampled while the churn runs`, {
      timeout: 180_000,
    }, async () => {
      const prefix = `churn_${process.pid}_${Date.now().toString(36)}`;
      const maintenance = engine === 'postgres' ? 'postgres' : 'mysql';
      for (const tenant of ['t0', 't1', 't2']) await runSql(engine, maintenance, `create database ${prefix}_${tenant}`);

      const report = await churn(engine, serverUrl(engine, `${prefix}_{tenant}`));

      // every cycle opened one tenant ORM and closed another: the churn really happened
      expect(report.opened).toBeGreaterThanOrEqual(CYCLES);
      expect(report.closed).toBeGreaterThanOrEqual(CYCLES - 2);
      expect(report.peakOpen).toBeLessThanOrEqual(2);
      expect(report.samples).toHaveLength(CYCLES / SAMPLE_EVERY);
      const growth = report.samples.map((s) => s.heap - report.baseline);
      const perCycleKiB = Math.max(...growth) / 1024 / CYCLES;
      console.log(
        `${engine}: heap growth after GC every ${SAMPLE_EVERY} opens (MiB): ${growth.map((g) => (g / MiB).toFixed(1)).join(', ')}; ` +
          `at most ${perCycleKiB.toFixed(1)} KiB per open/close cycle; ${report.seconds.toFixed(1)} s`,
      );
      // while the churn runs, not only after it: a closed ORM must not wait for a timer to be freed
      for (const g of growth) expect(g).toBeLessThan(ALLOWED_GROWTH);
      expect(report.end - report.baseline).toBeLessThan(ALLOWED_GROWTH);
    });
  }
});
