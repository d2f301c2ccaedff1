/**
 * Scenario 3b — scenario 3's endpoint (it reads SQLite + PostgreSQL) with 10 databases configured:
 * @mikro-orm/nestjs's forMiddleware() forks every configured ORM on every request, nestjs-multidb
 * only the ones a request uses (lib/http-scenario.mjs).
 */
import { runHttpComparison } from '../lib/http-scenario.mjs';

export const title = 'HTTP: one endpoint touching 2 of 10 databases';

/** @param {import('../lib/config.mjs').BenchConfig} config */
export function run(config) {
  return runHttpComparison(config, { id: '3b', title, databases: 10, goal: 0.8 });
}
