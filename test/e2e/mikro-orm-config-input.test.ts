import { defineConfig as defineCoreConfig } from '@mikro-orm/core';
import { defineConfig as defineMariaDbConfig } from '@mikro-orm/mariadb';
import { MySqlDriver } from '@mikro-orm/mysql';
import { defineConfig as definePostgreSqlConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { defineConfig as defineSqliteConfig } from '@mikro-orm/sqlite';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type MultiDbModuleOptions, MultiDbModule } from 'nestjs-multidb';
import { type Booted, boot, bootWith, rejection } from '../fixtures/boot.js';
import { createDatabase, serverUrl, tablesOf } from '../fixtures/databases.js';
import { AuditEntry, Post, User } from '../fixtures/entities.js';

/** The connection options of a run's throwaway server, as a MikroORM config spells them. */
const connection = (engine: 'postgres' | 'mariadb', dbName: string) => {
  const s = inject(engine);
  return { host: s.host, port: s.port, user: s.user, password: s.password, dbName };
};

describe('Databases given as MikroORM configs (defineConfig), on PostgreSQL and MariaDB (#17)', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await booted?.app.close();
    booted = undefined;
  });

  it('each driver package’s defineConfig and core defineConfig({ driver }) open their database (PostgreSQL, MariaDB, SQLite), with masked URLs', async () => {
    const [pg, maria, meta] = await Promise.all([
      createDatabase('postgres', 'defcfg'),
      createDatabase('mariadb', 'defcfg'),
      createDatabase('mariadb', 'defcfgmeta'),
    ]);
    const rootPath = await mkdtemp(join(tmpdir(), 'multidb-defcfg-'));
    booted = await boot({
      rootPath,
      databases: {
        default: definePostgreSqlConfig({ ...connection('postgres', pg), entities: [Post] }),
        local: defineSqliteConfig({ dbName: 'data/local.db' }),
        auth: defineMariaDbConfig({ ...connection('mariadb', maria), entities: [User] }),
        meta: defineCoreConfig({ driver: MySqlDriver, ...connection('mariadb', meta), entities: [AuditEntry] }),
      },
    });
    const { db } = booted;
    await db.createAll();
    expect(await tablesOf('postgres', pg)).toContain('posts');
    expect(await tablesOf('mariadb', maria)).toContain('users');
    expect(await tablesOf('mariadb', meta)).toContain('audit_log');
    const em = db.em('auth').fork();
    em.persist(em.create(User, { email: 'a@b.c' }));
    await em.flush();
    const posts = db.em('default').fork();
    posts.persist(posts.create(Post, { title: 'hello' }));
    await posts.flush();
    expect(await db.em('auth').fork().count(User)).toBe(1);
    expect(await db.em('default').fork().count(Post)).toBe(1);
    const s = inject('postgres');
    expect(db.info('default')).toEqual({
      key: 'default',
      driver: 'postgresql',
      url: `postgresql://${s.user}:***@${s.host}:${s.port}/${pg}`,
    });
    expect(db.info('auth').driver).toBe('mariadb');
    expect(db.info('meta').driver).toBe('mysql');
    for (const key of db.keys) expect(db.info(key).url).not.toContain(inject('mariadb').password);
    expect(db.info('local')).toEqual({ key: 'local', driver: 'sqlite', url: 'sqlite:///data/local.db' });
    expect(existsSync(join(rootPath, 'data/local.db'))).toBe(true);
    await booted.app.close();
    booted = undefined;
    await rm(rootPath, { recursive: true, force: true });
  });

  it('replicas given as MikroORM objects serve reads; a wrong password is reported masked, naming the key', async () => {
    const pg = await createDatabase('postgres', 'defcfgrep');
    const s = inject('postgres');
    booted = await boot({
      databases: {
        default: defineCoreConfig({
          driver: PostgreSqlDriver,
          ...connection('postgres', pg),
          entities: [Post],
          replicas: [{ host: s.host }],
        }),
      },
    });
    expect(booted.db.info().replicas).toEqual([`postgresql://${s.user}:***@${s.host}:${s.port}/${pg}`]);
    await booted.db.createAll();
    expect(await booted.db.em().fork().count(Post)).toBe(0);
    await booted.app.close();
    booted = undefined;
    const wrong = 'not-the-password-42';
    const error = await rejection(
      bootWith([
        MultiDbModule.setup({
          databases: { default: definePostgreSqlConfig({ ...connection('postgres', pg), password: wrong }) },
        } as MultiDbModuleOptions),
      ]),
    );
    expect(error.message).toContain("'default'");
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(s.password);
  });

  it('a key given as a config and another as a URL over one database are refused as two keys on one database', async () => {
    const pg = await createDatabase('postgres', 'defcfgtwice');
    const error = await rejection(
      boot({
        databases: {
          default: serverUrl('postgres', pg),
          reporting: definePostgreSqlConfig(connection('postgres', pg)),
        },
      }),
    );
    expect(error.message).toContain("'reporting'");
    expect(error.message).toContain(`PostgreSQL database ${pg} (schema public)`);
    expect(error.message).toContain('sharesDatabaseWith');
  });
});
