import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, type TempProject } from '../fixtures/project.js';

// each migration holds its tenant for 400 ms, far longer than the template's slotTimeout of 50 ms
const MIGRATION = `import { Migration } from '@mikro-orm/migrations';
export class Migration20260101000000_items extends Migration {
  async up() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    this.addSql('create table "items" ("id" integer not null primary key)');
  }
}
`;
const CONFIG = `export default {
  databases: {
    default: 'sqlite://',
    tenant: { url: 'sqlite:///tenants/{tenant}.db', tenants: { maxOpen: 2, slotTimeout: 50, list: () => ['t1', 't2', 't3', 't4', 't5'] } },
  },
};
`;

describe("the CLI migrates tenants within the template's maxOpen", () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await createProject('multidb-tenant-cli-');
    await project.write('multidb.config.mjs', CONFIG);
    await project.write('migrations/tenant/Migration20260101000000_items.js', MIGRATION);
  });
  afterAll(() => project?.remove());

  it('--concurrency above maxOpen runs at most maxOpen tenants at once: none waits for a place or times out', async () => {
    const result = await project.cli(['migration:up', '--db', 'tenant:*', '--concurrency', '5']);
    expect(result.stderr).not.toContain('TenantBusyError');
    expect(result.stdout).not.toMatch(/^FAILED/m);
    expect(result.stdout.match(/^OK +tenant:t\d +migration:up: applied 1/gm)).toHaveLength(5);
    expect(result.code).toBe(0);
  });
});
