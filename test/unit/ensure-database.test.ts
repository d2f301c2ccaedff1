import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseConnectionError, DatabaseMissingError } from 'nestjs-multidb';
import { boot, rejection } from '../fixtures/boot.js';

describe('ensureDatabase: false on a SQLite file refuses a missing file, as on a server', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'multidb-ensure-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('start-up stops naming the key and the file; neither the file nor its folder is created', async () => {
    const file = join(dir, 'nested/missing.db');
    const error = await rejection(
      boot({ databases: { default: { url: `sqlite:///${file}`, ensureDatabase: false } } }),
    );
    expect(error).toBeInstanceOf(DatabaseMissingError);
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain(`Database 'default' (sqlite:///${file}): the SQLite file '${file}' does not exist`);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(dir, 'nested'))).toBe(false);
  });

  it('with the default (ensureDatabase on) the file is created, as before', async () => {
    const file = join(dir, 'created/app.db');
    const { app } = await boot({ databases: { default: `sqlite:///${file}` } });
    await app.close();
    expect(existsSync(file)).toBe(true);
  });
});
