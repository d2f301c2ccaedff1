import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the bench, without type declarations
import { run } from '../../bench/scenarios/s1-repository.mjs';

interface Row {
  name: string;
  unit: string;
  a: { label: string; stats: { samples: number[] } };
  b: { label: string; stats: { samples: number[] } };
  workload: string;
  ratio: { definition: string; median: number };
  goal: { op: string; value: number } | null;
}

describe('bench scenario 1 (issue #16): the verdict is A/R, against MikroORM’s own RequestContext', () => {
  it('gives the A/R rows (findOne and find) the ≥ 1.00 goal, A/B (a bare fork) none, and prices the per-query equipment in ns (and what SQLite statement reuse saves)', async () => {
    const result = await run({
      smoke: true,
      tmpDir: mkdtempSync(join(tmpdir(), 'multidb-bench-1-')),
      benchDir: join(import.meta.dirname, '../../bench'),
      pg: null,
    });
    const rows = result.rows as Row[];
    const verdicts = rows.filter((row) => row.goal !== null);
    expect(verdicts.map((row) => row.name)).toEqual([
      "SQLite: findOne by primary key, vs MikroORM's RequestContext",
      "SQLite: find, limit 10, vs MikroORM's RequestContext",
    ]);
    for (const row of verdicts) {
      expect(row.goal).toMatchObject({ op: '>=', value: 1 });
      expect(row.ratio.definition).toBe('A / R ops per CPU-second');
      expect(row.b.label).toBe('MikroORM: RequestContext.create + em.getRepository');
      for (const sample of [...row.a.stats.samples, ...row.b.stats.samples]) expect(sample).toBeGreaterThan(0);
    }
    const bareFork = rows.find((row) => row.name === 'SQLite: findOne by primary key, vs a bare fork');
    expect(bareFork?.goal).toBeNull();
    expect(bareFork?.b.label).toBe('MikroORM: em.fork().getRepository');

    // the price list: each piece of per-query equipment by itself, in nanoseconds of CPU
    const prices = rows.filter((row) => row.name.startsWith('price of '));
    expect(prices.map((row) => row.name)).toEqual([
      'price of the connection guard, per checkout',
      'price of the error tagging, per query',
    ]);
    expect(prices[0]?.workload).toMatch(/: -?\d+ \[-?\d+–-?\d+\] ns of CPU per checkout$/);
    expect(prices[1]?.workload).toMatch(/: -?\d+ \[-?\d+–-?\d+\] ns of CPU per query$/);
    // the guard does more than a bare driver that answers at once
    expect(prices[0]?.ratio.median).toBeLessThan(1);

    // and what SQLite's statement reuse saves per query, on a real database
    const reuse = rows.find((row) => row.name === 'SQLite statement reuse, per query');
    expect(reuse?.workload).toMatch(/: -?\d+ \[-?\d+–-?\d+\] ns of CPU less per query$/);
    expect(reuse?.b.label).toBe("MikroORM's literal SQL, compiled every time");
    for (const sample of [...(reuse?.a.stats.samples ?? []), ...(reuse?.b.stats.samples ?? [])]) {
      expect(sample).toBeGreaterThan(0);
    }
  });
});
