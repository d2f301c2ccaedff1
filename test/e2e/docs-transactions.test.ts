import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Profile, SignupService, User } from '../../examples/transactions.js';
import { type Booted, boot, rejection } from '../fixtures/boot.js';
import { createDatabase, runSql, serverUrl } from '../fixtures/databases.js';

// docs/transactions.md shows examples/transactions.ts; it needs servers that can prepare, so it runs here
describe('docs/transactions.md: the cross-database transaction example', () => {
  let booted: Booted;
  let pg: string;
  let maria: string;

  beforeAll(async () => {
    [pg, maria] = await Promise.all([createDatabase('postgres', 'docs_tx'), createDatabase('mariadb', 'docs_tx')]);
    booted = await boot(
      {
        databases: { default: serverUrl('postgres', pg), auth: serverUrl('mariadb', maria, 'mariadb') },
        entities: [User, Profile],
      },
      { providers: [SignupService] },
    );
    await booted.db.createAll();
  });

  afterAll(() => booted?.app.close());

  const rows = async () => ({
    users: await runSql<{ email: string }>('mariadb', maria, 'select email from user order by id'),
    profiles: await runSql<{ bio: string }>('postgres', pg, 'select bio from profile order by id'),
  });

  it('signUp commits the user (MariaDB) and the profile (PostgreSQL) together, two-phase', async () => {
    const user = await booted.app.get(SignupService).signUp('ada@example.com', 'engines');
    expect(user.id).toBeGreaterThan(0);
    expect(await rows()).toEqual({ users: [{ email: 'ada@example.com' }], profiles: [{ bio: 'engines' }] });
  });

  it('a failing signUp writes neither row', async () => {
    // the e-mail is unique: the second insert fails inside the transaction, before any commit
    const error = await rejection(booted.app.get(SignupService).signUp('ada@example.com', 'twice'));
    expect(error.message).toMatch(/duplicate|unique/i);
    expect(await rows()).toEqual({ users: [{ email: 'ada@example.com' }], profiles: [{ bio: 'engines' }] });
  });

  it('closeAccount deletes both rows in one two-phase transaction', async () => {
    const [{ id } = { id: 0 }] = await runSql<{ id: number }>('mariadb', maria, 'select id from user');
    await booted.app.get(SignupService).closeAccount(id);
    expect(await rows()).toEqual({ users: [], profiles: [] });
  });
});
