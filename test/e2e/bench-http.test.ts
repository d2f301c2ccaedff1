import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the bench, without type declarations
import { runHttpComparison } from '../../bench/lib/http-scenario.mjs';
import { runSql, serverUrl } from '../fixtures/databases.js';

interface Row {
  name: string;
  unit: string;
  a: { label: string; stats: { samples: number[] } };
  b: { label: string; stats: { samples: number[] } };
  ratio: { definition: string; median: number };
  goal: { op: string; value: number } | null;
}

// the bench's own database name on the run's PostgreSQL server (bench/lib/config.mjs), for both scenarios
beforeAll(() => runSql('postgres', 'postgres', 'create database bench_http'));

/** An HTTP scenario in smoke sizes, on the test run's PostgreSQL server. */
function smokeRun(spec: { id: string; title: string; databases: number; goal: number; control?: boolean }) {
  return runHttpComparison(
    {
      smoke: true,
      tmpDir: mkdtempSync(join(tmpdir(), `multidb-bench-${spec.id}-`)),
      benchDir: join(import.meta.dirname, '../../bench'),
      pg: { urlTemplate: serverUrl('postgres', '__DATABASE__') },
    },
    spec,
  );
}

describe('bench scenario 3 (issue #16): an A/A control gives the resolution of the server-CPU measure', () => {
  it('runs the nestjs-multidb app in a second process in the same rounds and reports A′/A without a goal', async () => {
    const result = await smokeRun({
      id: '3',
      title: 'HTTP: one endpoint, two databases',
      databases: 2,
      goal: 0.97,
      control: true,
    });
    expect(result.notes).toEqual([]);
    const [cpu, control, perSecond] = result.rows as [Row, Row, Row];
    expect(cpu.goal).toMatchObject({ op: '<=', value: 0.97 });
    expect(control.name).toContain('A/A control');
    expect(control.goal).toBeNull();
    expect(control.ratio.definition).toBe('A′ / A server CPU µs per request');
    expect([control.a.label, control.b.label]).toEqual(['nestjs-multidb A′ (identical to A)', 'nestjs-multidb']);
    expect(control.b.stats.samples).toEqual(cpu.a.stats.samples);
    for (const sample of control.a.stats.samples) expect(sample).toBeGreaterThan(0);
    expect(control.a.stats.samples).toHaveLength(2);
    expect(perSecond.unit).toBe('requests/s');
  }, 120_000);
});

describe('bench scenario 3b (issue #16): 10 databases configured, the request touches 2', () => {
  it('compares server CPU per request of both apps with 10 databases configured, against the ≤ 0.80 goal', async () => {
    const result = await smokeRun({
      id: '3b',
      title: 'HTTP: one endpoint touching 2 of 10 databases',
      databases: 10,
      goal: 0.8,
    });
    expect(result.notes).toEqual([]);
    expect(result.description).toContain('10 databases configured (the two it reads + 8 SQLite files');
    const [cpu, perSecond] = result.rows as [Row, Row];
    expect(cpu.unit).toBe('µs CPU/request');
    expect(cpu.ratio.definition).toBe('A / B server CPU µs per request');
    expect(cpu.goal).toMatchObject({ op: '<=', value: 0.8 });
    expect([cpu.a.label, cpu.b.label]).toEqual(['nestjs-multidb', '@mikro-orm/nestjs']);
    for (const sample of [...cpu.a.stats.samples, ...cpu.b.stats.samples]) expect(sample).toBeGreaterThan(0);
    expect(cpu.a.stats.samples).toHaveLength(2);
    expect(perSecond.unit).toBe('requests/s');
    expect(perSecond.goal).toBeNull();
    expect(perSecond.name).toContain('load-generator-bound');
  }, 120_000);
});
