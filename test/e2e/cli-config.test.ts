import { afterEach, describe, expect, it } from 'vitest';
import { createProject, type TempProject } from '../fixtures/project.js';
import { sqliteTables } from '../fixtures/databases.js';
import { join } from 'node:path';

const TS_CONFIG = `import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { MultiDbModuleOptions } from 'nestjs-multidb';

@Entity({ tableName: 'people' })
export class Person {
  static __database__ = 'auth';

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;
}

export default {
  databases: { default: 'sqlite:///data/main.db', auth: 'sqlite:///data/auth.db' },
  entities: [Person],
} satisfies MultiDbModuleOptions;
`;

describe('the CLI config file', () => {
  let project: TempProject | undefined;
  afterEach(async () => project?.remove());

  it('loads a TypeScript config with decorated entities through tsx, found by its default name', async () => {
    project = await createProject();
    await project.write(
      'tsconfig.json',
      JSON.stringify({ compilerOptions: { experimentalDecorators: true, module: 'NodeNext', target: 'ES2023' } }),
    );
    await project.write('multidb.config.ts', TS_CONFIG);
    const result = await project.cli(['schema:create']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await sqliteTables(join(project.dir, 'data/auth.db'))).toEqual(['people']);
    expect(await sqliteTables(join(project.dir, 'data/main.db'))).toEqual([]);
  });

  it('without a config file, says where it looked and how to pass one', async () => {
    project = await createProject();
    const result = await project.cli(['migration:list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No config file found');
    expect(result.stderr).toContain('multidb.config.js, multidb.config.mjs, multidb.config.ts');
    expect(result.stderr).toContain('--config <file>');
  });

  it('a config that exports no options is refused clearly', async () => {
    project = await createProject();
    await project.write('empty.config.mjs', 'export const unrelated = 1;\n');
    const result = await project.cli(['migration:list', '--config', 'empty.config.mjs']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("must export (as default or as 'options') the MultiDbModule options");
  });
});
