#!/usr/bin/env node
// npm run docs: the API reference (TypeDoc, from the TSDoc comments) of every entry point the package
// exports, into docs/api/ (gitignored). Any TypeDoc warning fails the run (typedoc.json:
// treatWarningsAsErrors; validation notExported, invalidLink, notDocumented).
// Usage: node scripts/docs.mjs [project folder (default: the working directory)] [more TypeDoc options]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { entryPoints } from './docs-entry-points.mjs';

const [first, ...rest] = process.argv.slice(2);
const project = resolve(first && !first.startsWith('--') ? first : '.');
const extra = first && !first.startsWith('--') ? rest : process.argv.slice(2);
const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
const typedoc = join(dirname(createRequire(import.meta.url).resolve('typedoc/package.json')), 'bin', 'typedoc');
const entries = entryPoints(pkg).flatMap((file) => ['--entryPoints', file]);
const args = [typedoc, '--options', join(project, 'typedoc.json'), ...entries, ...extra];
const run = spawnSync(process.execPath, args, { cwd: project, stdio: 'inherit' });
process.exit(run.status ?? 1);
