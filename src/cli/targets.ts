import { InvalidOptionsError, InvalidTenantKeyError, UnknownDatabaseError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import type { TenantDatabases } from '../tenants/tenant-databases.js';
import { TENANT_KEY_PATTERN } from '../tenants/tenant-template.js';

/** What one CLI line works on: a configured database, or one tenant's database of a template. */
export type Target = { name: string; key: string; tenant?: undefined } | { name: string; key: string; tenant: string };

/** The `--db` values split into configured keys (opened with the app's databases) and tenant selectors. */
export interface Selection {
  keys: string[];
  /** `<template>:<tenant>` or `<template>:*` (every known tenant). */
  tenants: Array<{ template: string; tenant: string }>;
}

/**
 * Splits `--db` values; no value means every configured database (tenants only when named). A
 * value that names nothing (an unknown key, a template without `:<tenant>`, an invalid tenant key)
 * throws before any database is opened.
 */
export function selectTargets(
  requested: readonly string[],
  keys: readonly string[],
  templates: readonly string[],
): Selection {
  if (requested.length === 0) return { keys: [...keys], tenants: [] };
  const selection: Selection = { keys: [], tenants: [] };
  for (const value of new Set(requested)) {
    const colon = value.indexOf(':');
    const key = colon < 0 ? value : value.slice(0, colon);
    if (templates.includes(key)) {
      if (colon < 0) throw new InvalidOptionsError(messages.tenantSelectorNeeded(key), { key });
      const tenant = value.slice(colon + 1);
      if (tenant !== '*' && !TENANT_KEY_PATTERN.test(tenant)) throw new InvalidTenantKeyError(key, tenant);
      selection.tenants.push({ template: key, tenant });
    } else if (colon < 0 && keys.includes(key)) selection.keys.push(key);
    else throw new UnknownDatabaseError(value, [...keys, ...templates.map((t) => `${t}:*`)]);
  }
  return selection;
}

/**
 * The lines to run: the configured keys, then every tenant the selectors name (`*`: every tenant the
 * template's `tenants.list()` returned). A named tenant that is not listed is attached from the
 * template's URL pattern, so a new tenant's database can be migrated before the app knows it.
 */
export async function expandTargets(selection: Selection, tenants: TenantDatabases): Promise<Target[]> {
  const targets: Target[] = selection.keys.map((key) => ({ name: key, key }));
  const seen = new Set(targets.map((t) => t.name));
  for (const { template, tenant } of selection.tenants) {
    const registry = tenants.registry(template);
    if (tenant !== '*' && !registry.has(tenant)) await registry.attach(tenant);
    for (const one of tenant === '*' ? registry.list() : [tenant]) {
      const name = `${template}:${one}`;
      if (!seen.has(name)) targets.push({ name, key: template, tenant: one });
      seen.add(name);
    }
  }
  return targets;
}
