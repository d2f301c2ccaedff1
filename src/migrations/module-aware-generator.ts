import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { IMigrationGenerator, MigrationDiff, MigrationsOptions, NamingStrategy } from '@mikro-orm/core';

interface GeneratorDriver {
  config: { get(name: 'baseDir'): string };
}

/**
 * `emit: 'js'` migrations in the module system of the project they are written into: ESM
 * (`import` / `export class`) when the nearest package.json above the migrations folder says
 * `"type": "module"`, CommonJS otherwise (MikroORM's own JSMigrationGenerator, whose CommonJS
 * `.js` files an ESM project cannot load: "exports is not defined in ES module scope").
 * Set for every database whose migrations use `emit: 'js'` and name no `generator` of their own.
 */
export class ModuleAwareMigrationGenerator implements IMigrationGenerator {
  constructor(
    private readonly driver: GeneratorDriver,
    private readonly namingStrategy: NamingStrategy,
    private readonly options: MigrationsOptions,
  ) {}

  async generate(diff: MigrationDiff, path?: string, name?: string): Promise<[string, string]> {
    // @mikro-orm/migrations is an optional peer: loaded only when a migration is written
    const { JSMigrationGenerator } = await import('@mikro-orm/migrations');
    const commonJs = new JSMigrationGenerator(this.driver as never, this.namingStrategy, this.options);
    const folder = resolve(this.driver.config.get('baseDir'), path ?? this.options.path ?? '.');
    if (isEsmFolder(folder)) {
      commonJs.generateMigrationFile = (className: string, d: MigrationDiff) => this.#esm(className, d);
    }
    return commonJs.generate(diff, path, name);
  }

  createStatement(sql: string, padLeft: number): string {
    if (!sql) return '\n';
    return `${' '.repeat(padLeft)}this.addSql(\`${sql.replace(/[`$\\]/g, '\\$&')}\`);\n`;
  }

  async generateMigrationFile(className: string, diff: MigrationDiff): Promise<string> {
    const folder = resolve(this.driver.config.get('baseDir'), this.options.path ?? '.');
    if (isEsmFolder(folder)) return this.#esm(className, diff);
    const { JSMigrationGenerator } = await import('@mikro-orm/migrations');
    return new JSMigrationGenerator(this.driver as never, this.namingStrategy, this.options).generateMigrationFile(
      className,
      diff,
    );
  }

  #esm(className: string, diff: MigrationDiff): string {
    let code = `import { Migration } from '@mikro-orm/migrations';\n\n`;
    code += `export class ${className} extends Migration {\n\n`;
    code += `  name = '${className}';\n\n`;
    code += '  async up() {\n';
    for (const sql of diff.up) code += this.createStatement(sql, 4);
    code += '  }\n\n';
    if (diff.down.length > 0) {
      code += '  async down() {\n';
      for (const sql of diff.down) code += this.createStatement(sql, 4);
      code += '  }\n\n';
    }
    return `${code}}\n`;
  }
}

/** Whether Node loads `.js` files in `folder` as ES modules: the nearest package.json's `"type"`. */
export function isEsmFolder(folder: string): boolean {
  for (let dir = resolve(folder); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false; // Node itself refuses to load from a folder with an unreadable package.json
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** Migration options with our generator when they emit `.js` and bring none of their own. */
export function withModuleAwareGenerator<T extends { emit?: unknown; generator?: unknown }>(options: T): T {
  if (options.emit !== 'js' || options.generator) return options;
  return { ...options, generator: ModuleAwareMigrationGenerator };
}
