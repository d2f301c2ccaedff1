import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import type { MultiDbModuleOptions } from 'nestjs-multidb';
import { openDatabases } from '../../src/orm/open-databases.js';
import { closeAll } from '../../src/orm/start-databases.js';
import { boot } from '../fixtures/boot.js';
import { libraryEntities } from '../fixtures/shared-metadata.js';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;

describe('start-up work done once for every key (#15)', () => {
  it('10 SQLite keys and a tenant template: the driver package is imported once, not once per key', async () => {
    const rootPath = await mkdtemp(join(tmpdir(), 'multidb-startup-once-'));
    const databases: MultiDbModuleOptions['databases'] = { default: 'sqlite:///db0.db' };
    for (let k = 1; k < 10; k++) databases[`db${k}`] = `sqlite:///db${k}.db`;
    databases.tenant = { url: 'sqlite:///tenants/{tenant}.db', tenants: { list: () => ['a', 'b'] } };
    const imports: string[] = [];
    const started = await openDatabases(
      { databases, rootPath },
      {
        logger: quiet,
        importer: (specifier) => {
          imports.push(specifier);
          return import(specifier);
        },
      },
    );
    try {
      expect(started.databases).toHaveLength(10);
      expect(imports).toEqual(['@mikro-orm/sqlite']);
    } finally {
      await started.tenants.close();
      await closeAll(started.databases, quiet);
    }
  });

  it('keys with the same entities on one engine (entitiesOf) share metadata, keep their own identity maps and rows', async () => {
    const { Author, Book, Label } = libraryEntities('default');
    const { app, db } = await boot({
      databases: { default: 'sqlite://', copy: { url: 'sqlite://', entitiesOf: 'default' }, other: 'sqlite://' },
      entities: [Author, Book, Label],
    });
    try {
      const [main, copy] = [db.orm('default'), db.orm('copy')];
      expect(main).not.toBe(copy);
      for (const name of ['Author', 'Book', 'Label']) {
        expect(copy.getMetadata().getByClassName(name)).toBe(main.getMetadata().getByClassName(name));
      }
      expect(db.orm('other').getMetadata().getByClassName('Book', false)).toBeUndefined();
      await db.createAll('default', 'copy');
      await db.runInContext(async () => {
        const em = db.em('default');
        em.create(Author, { id: 1, name: 'in default' });
        await em.flush();
        db.em('copy').create(Author, { id: 1, name: 'in copy' });
        await db.em('copy').flush();
        const [a, b] = [await em.findOneOrFail(Author, 1), await db.em('copy').findOneOrFail(Author, 1)];
        expect(a).not.toBe(b);
        expect([a.name, b.name]).toEqual(['in default', 'in copy']);
      });
    } finally {
      await app.close();
    }
  });
});
