import { EntitySchema } from '@mikro-orm/core';
import { describe, expect, inject, it } from 'vitest';
import { inDatabase, NoUsableHostError } from 'nestjs-multidb';
import { boot, bootLogged, rejection } from '../fixtures/boot.js';
import { createDatabase, serverUrl } from '../fixtures/databases.js';
import { Write } from '../fixtures/failover.js';

/** A URL of the run's server with a dead host (port 1: refused at once) listed before it. */
function deadFirst(url: string, engine: 'postgres' | 'mariadb'): string {
  const { port } = inject(engine);
  return url.replace(`@127.0.0.1:${port}/`, `@127.0.0.1:1,127.0.0.1:${port}/`);
}

const TenantWrite = inDatabase(
  'shop',
  new EntitySchema<Write>({
    name: 'TenantWrite',
    tableName: 'writes',
    properties: { id: { type: 'number', primary: true, autoincrement: true }, tag: { type: 'string' } },
  }),
);

describe('host lists everywhere a URL goes (issue #19)', () => {
  it('MariaDB: a dead first host is passed over (sequential); every host dead names each one', async () => {
    const name = await createDatabase('mariadb', 'ha_maria');
    const url = deadFirst(serverUrl('mariadb', name, 'mariadb'), 'mariadb');
    const booted = await boot({ databases: { default: url }, entities: [Write] });
    try {
      await booted.db.createAll();
      await booted.db.em().fork().insert(Write, { tag: 'maria' });
      expect(await booted.db.em().fork().count(Write, {})).toBe(1);
    } finally {
      await booted.app.close();
    }
    const dead = url.replace(`,127.0.0.1:${inject('mariadb').port}/`, ',127.0.0.1:2/');
    const error = await rejection(boot({ databases: { default: dead }, entities: [Write] }));
    expect(error).toBeInstanceOf(NoUsableHostError);
    expect(error.message).toMatch(/^Database 'default' \(mariadb:\/\/root:\*\*\*@127\.0\.0\.1:1,127\.0\.0\.1:2\//);
    expect(error.message).toContain('127.0.0.1:1 (');
    expect(error.message).toContain('127.0.0.1:2 (');
    expect(error.message).not.toContain(inject('mariadb').password);
  });

  it('a wrong password on every host: the start-up error gives each host its reason, the password never', async () => {
    const name = await createDatabase('postgres', 'ha_auth');
    const { password } = inject('postgres');
    const url = deadFirst(serverUrl('postgres', name), 'postgres').replace(
      `:${encodeURIComponent(password)}@`,
      ':not-the-password@',
    );
    const error = await rejection(
      boot({ databases: { default: `${url}?targetSessionAttrs=read-write` }, entities: [Write] }),
    );
    expect(error).toBeInstanceOf(NoUsableHostError);
    expect(error.message).toContain('127.0.0.1:1 (');
    expect(error.message).toMatch(/password authentication failed/);
    expect(error.message).not.toContain('not-the-password');
    expect(error.message).not.toContain('was lost');
  });

  it('read replicas take host lists: reads go through a replica list whose first host is dead', async () => {
    const name = await createDatabase('postgres', 'ha_replica');
    const url = serverUrl('postgres', name);
    const booted = await bootLogged({
      databases: { default: { url, replicas: [`${deadFirst(url, 'postgres')}?targetSessionAttrs=any`] } },
      entities: [Write],
    });
    try {
      await booted.db.createAll();
      await booted.db.em().fork().insert(Write, { tag: 'replica' });
      const read = await booted.db.runInContext(() => booted.db.em().find(Write, {}, { connectionType: 'read' }));
      expect(read.map((w) => w.tag)).toEqual(['replica']);
      // served by the replica's pool (its second host), not by the fallback to the primary
      expect(booted.warnings.filter((w) => w.includes('replica'))).toEqual([]);
    } finally {
      await booted.app.close();
    }
  });

  it('tenant templates: a host list in the template URL serves every tenant', async () => {
    const names = { acme: await createDatabase('postgres', 'ha_tenant') };
    const template = deadFirst(serverUrl('postgres', names.acme), 'postgres').replace(names.acme, `{tenant}`);
    const booted = await boot({
      databases: { default: 'sqlite://', shop: { url: template, tenants: {} } },
      entities: [TenantWrite],
    });
    try {
      await booted.db.attach(names.acme);
      await booted.db.runForTenant(names.acme, async () => {
        await booted.db.createAll('shop');
        await booted.db.em('shop').insert(TenantWrite, { tag: 'tenant' });
        expect(await booted.db.em('shop').count(TenantWrite, {})).toBe(1);
      });
    } finally {
      await booted.app.close();
    }
  });
});
