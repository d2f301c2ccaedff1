/**
 * Scenario 3 — server CPU per request of an endpoint reading from two databases (SQLite +
 * PostgreSQL), two databases configured: nestjs-multidb vs @mikro-orm/nestjs (lib/http-scenario.mjs).
 */
import { runHttpComparison } from '../lib/http-scenario.mjs';

export const title = 'HTTP: one endpoint, two databases';

/** @param {import('../lib/config.mjs').BenchConfig} config */
export function run(config) {
  return runHttpComparison(config, { id: '3', title, databases: 2, goal: 0.97, control: true });
}
