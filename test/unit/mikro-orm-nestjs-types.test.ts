import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const typeTest = join(root, 'test/types/mikro-orm-nestjs-readonly-entities.test-d.ts');

/** The compiler's messages for one file, compiled with the project's own tsconfig.json (paths, strict, decorators). */
function diagnosticsOf(file: string): string[] {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const program = ts.createProgram([file], { ...options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe("@mikro-orm/nestjs's own type test, ported (tests/readonly-entities.types.test-d.ts)", () => {
  it('compiles: every line of theirs (MikroORM configs, readonly entity lists), and each @ts-expect-error is an error', () => {
    const source = readFileSync(typeTest, 'utf8');
    // their 14 checked lines are all here, and the refusals stay refused (an unused @ts-expect-error fails too)
    expect(source.match(/^ {2}(void MultiDbModule\.setup(Async)?\(|const _o\d)/gm)?.length).toBeGreaterThanOrEqual(14);
    expect(source.match(/@ts-expect-error/g)).toHaveLength(4);
    expect(diagnosticsOf(typeTest)).toEqual([]);
  }, 120_000);
});
