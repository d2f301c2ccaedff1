import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, MalformedUrlError, parseDatabaseUrl } from 'nestjs-multidb';
import { resolveDatabases, resolveOptions } from '../../src/config/resolve-databases.js';
import { HostState } from '../../src/orm/host-state.js';

const root = '/srv/app';
const owner = { key: 'default', maskedUrl: 'postgresql://app:***@a,b/app', secrets: ['s3cret'] };

describe('host lists in database URLs (issue #19)', () => {
  it('a libpq-style list: every host in order, the first as host/port, the target kept out of the driver options', () => {
    const parsed = parseDatabaseUrl(
      'default',
      'postgresql://app:s3cret@db1:5432,db2:5433,[::1]/app?targetSessionAttrs=read-write&application_name=x',
      root,
    );
    expect(parsed.hostList).toEqual({
      hosts: [
        { host: 'db1', port: 5432 },
        { host: 'db2', port: 5433 },
        { host: '::1', port: 5432 },
      ],
      target: 'read-write',
    });
    expect(parsed.options).toMatchObject({ host: 'db1', port: 5432, user: 'app', password: 's3cret', dbName: 'app' });
    expect(parsed.options.driverOptions).toEqual({ application_name: 'x' });
    expect(parsed.maskedUrl).toBe(
      'postgresql://app:***@db1:5432,db2:5433,[::1]/app?targetSessionAttrs=read-write&application_name=x',
    );
  });

  it("MariaDB lists are sequential with the engine's default port; libpq's spelling of the target is accepted", () => {
    const maria = parseDatabaseUrl('auth', 'mariadb://app:pw@n1:3306,n2,n3:3307/app', root);
    expect(maria.hostList).toEqual({
      hosts: [
        { host: 'n1', port: 3306 },
        { host: 'n2', port: 3306 },
        { host: 'n3', port: 3307 },
      ],
      target: 'any',
    });
    const one = parseDatabaseUrl('main', 'postgresql://app:pw@db1/app?target_session_attrs=primary', root);
    expect(one.hostList).toEqual({ hosts: [{ host: 'db1', port: 5432 }], target: 'primary' });
    expect(one.options.driverOptions).toBeUndefined();
    expect(parseDatabaseUrl('main', 'postgresql://app:pw@db1/app', root).hostList).toBeUndefined();
  });

  it.each([
    ['postgresql://app:pw@db1:5432,,db2/app', 'host 2 of the host list is empty'],
    ['postgresql://app:pw@db1:5432,db2:x/app', "the port of host 2 of the host list ('db2:x') is not a number"],
    ['postgresql://app:pw@db1:5432,db2:70000/app', 'is outside 1-65535'],
    ['postgresql://app:pw@db1:5432,db1:5432/app', 'the host list names db1:5432 twice'],
  ])('%s is refused: %s', (url, reason) => {
    const error = (() => {
      try {
        parseDatabaseUrl('orders', url, root);
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(MalformedUrlError);
    expect(error.message).toContain("Database 'orders'");
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain(':pw@');
  });

  it('an unknown target, or a target MySQL cannot honour, is refused naming the key and the allowed values', () => {
    expect(() => parseDatabaseUrl('orders', 'postgresql://a:pw@db1,db2/app?targetSessionAttrs=master', root)).toThrow(
      /Database 'orders': targetSessionAttrs 'master' is not supported here; use one of 'any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'/,
    );
    expect(() => parseDatabaseUrl('auth', 'mysql://a:pw@n1,n2/app?targetSessionAttrs=read-write', root)).toThrow(
      InvalidOptionsError,
    );
    expect(() => parseDatabaseUrl('meta', 'sqlite:///x.db?targetSessionAttrs=any', root)).toThrow(InvalidOptionsError);
  });

  it('the options form: hosts and targetSessionAttrs replace the URL host; a list given twice is refused', () => {
    const [db] = resolveDatabases({
      databases: {
        default: {
          url: 'postgresql://app:pw@ignored/app',
          hosts: ['db1:5432', { host: 'db2', port: 6432 }],
          targetSessionAttrs: 'prefer-standby',
        },
      },
    });
    expect(db?.hostLists).toEqual([
      {
        hosts: [
          { host: 'db1', port: 5432 },
          { host: 'db2', port: 6432 },
        ],
        target: 'prefer-standby',
      },
    ]);
    expect(db?.options).toMatchObject({ host: 'db1', port: 5432 });
    expect(() =>
      resolveDatabases({ databases: { default: { url: 'postgresql://app:pw@a,b/app', hosts: ['c'] } } }),
    ).toThrow(/its URL lists several hosts and its 'hosts' option gives them again/);
    // a host list belongs to one database
    expect(() =>
      resolveDatabases({ databases: { default: 'postgresql://a:pw@x/app' }, common: { hosts: ['db1'] } } as never),
    ).toThrow(InvalidOptionsError);
    for (const hosts of [[], 'db1', [42], ['db1', 'db1:5432'], [{ host: 'db1', port: 0 }]]) {
      expect(() =>
        resolveDatabases({ databases: { default: { url: 'postgresql://a:pw@x/app', hosts } } } as never),
      ).toThrow(InvalidOptionsError);
    }
  });

  it('replicas and tenant templates take host lists too', async () => {
    const [db] = resolveDatabases({
      databases: {
        default: {
          url: 'postgresql://app:pw@db1,db2/app?targetSessionAttrs=read-write',
          replicas: ['postgresql://app:pw@r1,r2/app?targetSessionAttrs=prefer-standby', 'postgresql://app:pw@r3/app'],
        },
      },
    });
    expect(db?.hostLists.map((l) => l && `${l.target}:${l.hosts.map((h) => h.host).join(',')}`)).toEqual([
      'read-write:db1,db2',
      'prefer-standby:r1,r2',
      undefined,
    ]);
    const { templates } = resolveOptions({
      databases: {
        default: 'sqlite://',
        shop: { url: 'postgresql://app:pw@db1:5432,db2:5432/shop_{tenant}?targetSessionAttrs=read-write', tenants: {} },
      },
    });
    const acme = await templates[0]?.resolve('acme');
    expect(acme?.hostLists[0]).toEqual({
      hosts: [
        { host: 'db1', port: 5432 },
        { host: 'db2', port: 5432 },
      ],
      target: 'read-write',
    });
    expect(acme?.maskedUrl).toBe('postgresql://app:***@db1:5432,db2:5432/shop_acme?targetSessionAttrs=read-write');
  });
});

describe('HostState: which host the next connection tries', () => {
  const list = {
    hosts: [
      { host: 'a', port: 1 },
      { host: 'b', port: 1 },
      { host: 'c', port: 1 },
    ],
    target: 'any' as const,
  };

  it('starts with the first host, moves past failed ones in order and sticks with the one that served', () => {
    const state = new HostState(list, owner);
    expect(state.pick()).toBe(0);
    state.failed(0, 'connect ECONNREFUSED');
    expect(state.pick()).toBe(1);
    state.served(1);
    state.served(0); // a connection to the first host served again: it is current again
    expect(state.pick()).toBe(0);
    state.failed(0, 'down');
    state.failed(1, 'down');
    expect(state.pick()).toBe(2);
  });

  it('when every host failed, the one that failed longest ago is tried again; the error lists each host and its reason, secrets scrubbed', () => {
    const state = new HostState(list, owner);
    state.failed(1, 'b down');
    state.failed(2, 'c down');
    state.failed(0, 'password s3cret refused');
    expect(state.pick()).toBe(1);
    const error = state.noHostError();
    expect(error.key).toBe('default');
    expect(error.message).toBe(
      "Database 'default' (postgresql://app:***@a,b/app): no server of its host list is usable as 'any': a:1 (password *** refused); b:1 (b down); c:1 (c down). Start or promote a server of the list, or fix the list; the next connection tries every host again.",
    );
  });
});
