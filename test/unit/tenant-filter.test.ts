import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnavailableFilter, InvalidTenantKeyError, UnknownTenantError } from 'nestjs-multidb';
import { get, startTenantApp, type TenantApp } from '../fixtures/tenant-app.js';

/** Tenant keys a client could try: unknown, invalid, and ones that look like probes. */
const UNKNOWN = ['nobody', 'zz-top', 'a1'];
const INVALID = ['../etc', 'a b', '-x', 'x'.repeat(64), '<script>'];

describe('unknown and invalid tenants cannot be told apart over HTTP (default filter)', () => {
  let t: TenantApp;
  beforeAll(async () => {
    t = await startTenantApp({ maxOpen: 2 });
  });
  afterAll(() => t?.close());

  it('answers every unknown and invalid tenant with the same status and body, never echoing the key', async () => {
    const replies = await Promise.all([...UNKNOWN, ...INVALID].map((tenant) => get(t, '/query', tenant)));
    const shapes = new Set(replies.map((r) => JSON.stringify([r.status, r.body])));
    expect([...shapes]).toEqual([
      JSON.stringify([404, { statusCode: 404, error: 'Not Found', message: 'Unknown tenant.', database: 'tenant' }]),
    ]);
    replies.forEach((reply, i) => {
      const key = [...UNKNOWN, ...INVALID][i] as string;
      expect(JSON.stringify(reply.body)).not.toContain(key);
    });
  });

  it('still answers a known tenant, and a request without one with 400', async () => {
    expect((await get(t, '/query', 'a')).status).toBe(200);
    expect(await get(t, '/query')).toMatchObject({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'This request needs a tenant.', database: 'tenant' },
    });
  });

  it('keeps the key in the error object for logs and code', async () => {
    const unknown = await t.db.runForTenant('nobody', () => undefined).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownTenantError);
    expect(unknown).toMatchObject({ tenant: 'nobody', key: 'tenant' });
    const invalid = await t.db.runForTenant('../etc', () => undefined).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidTenantKeyError);
    expect(invalid).toMatchObject({ tenant: '../etc', key: 'tenant' });
  });
});

describe("DatabaseUnavailableFilter.withOptions({ tenantErrors: 'distinct' })", () => {
  let t: TenantApp;
  beforeAll(async () => {
    t = await startTenantApp({ maxOpen: 2 }, DatabaseUnavailableFilter.withOptions({ tenantErrors: 'distinct' }));
  });
  afterAll(() => t?.close());

  it('restores 404 for unknown and 400 for invalid tenants, still without the key', async () => {
    for (const tenant of UNKNOWN) {
      expect(await get(t, '/query', tenant)).toMatchObject({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: 'Unknown tenant.', database: 'tenant' },
      });
    }
    for (const tenant of INVALID) {
      const reply = await get(t, '/query', tenant);
      expect(reply).toMatchObject({
        status: 400,
        body: { statusCode: 400, error: 'Bad Request', message: 'Invalid tenant key.', database: 'tenant' },
      });
      expect(JSON.stringify(reply.body)).not.toContain(tenant);
    }
  });

  it('is a DatabaseUnavailableFilter subclass, usable with new (useGlobalFilters) too', () => {
    const Distinct = DatabaseUnavailableFilter.withOptions({ tenantErrors: 'distinct' });
    expect(new Distinct()).toBeInstanceOf(DatabaseUnavailableFilter);
    expect(Distinct.name).toBe('DatabaseUnavailableFilter');
  });
});
