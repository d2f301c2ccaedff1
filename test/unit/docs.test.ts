import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GuideBlock,
  guideBlocks,
  guidePaths,
  root,
  testsImporting,
  typeCheck,
  writeSandbox,
} from '../fixtures/docs-blocks.js';
import { brokenLinks, headingAnchors, links } from '../fixtures/markdown.js';

// README.md and every docs/*.md guide: code blocks compiled and run, links resolved
const blocks: GuideBlock[] = await guideBlocks();
const sandbox = join(root, '.tmp', `docs-blocks-${process.pid}`);
let diagnostics = new Map<string, string[]>();

beforeAll(async () => {
  await writeSandbox(sandbox, blocks);
  diagnostics = typeCheck(sandbox, blocks);
}, 180_000);

afterAll(() => rm(sandbox, { recursive: true, force: true }));

describe('guides: code blocks', () => {
  it('finds the blocks of README.md and of every docs/*.md guide', async () => {
    expect(await guidePaths()).toEqual(expect.arrayContaining(['README.md', 'docs/tenants.md', 'docs/testing.md']));
    const docs = new Set(blocks.map((b) => b.doc));
    for (const doc of ['README.md', 'docs/configuration.md', 'docs/production.md', 'docs/tenants.md']) {
      expect(docs).toContain(doc);
    }
  });

  it('type-checks nothing but the blocks (no error outside them)', () => {
    expect(diagnostics.get('(elsewhere)') ?? []).toEqual([]);
  });

  for (const block of blocks) {
    const where = `${block.doc}:${block.line}`;
    const example = block.example;
    const file = block.file;
    if (example) {
      it(`${where} is ${example} verbatim, which a test runs`, async () => {
        expect(await testsImporting(example), `no test under test/ imports ${example}`).not.toEqual([]);
      });
    } else if (file) {
      it(`${where} compiles (strict TypeScript, the repository's options)`, () => {
        expect(diagnostics.get(join(sandbox, file)), `the ${block.lang} block at ${where}`).toEqual([]);
      });
      it(`${where} runs (the block imported as a module in a fresh working directory)`, async () => {
        const cwd = process.cwd();
        const dir = await mkdtemp(join(tmpdir(), 'multidb-docs-'));
        process.chdir(dir);
        try {
          const module: Record<string, unknown> = await import(pathToFileURL(join(sandbox, file)).href);
          for (const value of Object.values(module)) if (value instanceof Promise) await value;
        } finally {
          process.chdir(cwd);
          await rm(dir, { recursive: true, force: true });
        }
      });
    }
  }
});

describe('guides: the README', () => {
  it('stays an overview under 400 lines: the rest lives in the guides', async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThan(400);
    for (const heading of ['## Try it', '## Install', '## Quickstart', '## Features and guides', '## Performance']) {
      expect(readme).toContain(heading);
    }
  });
});

describe('guides: links', () => {
  it('every link between README.md and the guides resolves, #anchors included', async () => {
    const docs = new Map<string, string>();
    for (const path of await guidePaths()) docs.set(path, await readFile(join(root, path), 'utf8'));
    expect(brokenLinks(docs, (path) => existsSync(join(root, path)))).toEqual([]);
  });

  it("links every docs/*.md guide from the README's feature map", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const linked = new Set(links(readme).map((l) => l.target.split('#')[0]));
    const guides = (await guidePaths()).filter((p) => p !== 'README.md');
    expect(guides.filter((g) => !linked.has(g))).toEqual([]);
  });

  it('reports a missing file, a missing anchor and an anchor of a file outside the guides', () => {
    const docs = new Map([
      ['README.md', '# Title\n\n## Two words\n\n[ok](#two-words) [ok](docs/a.md#a-b) [bad](#nope)\n'],
      ['docs/a.md', '# A `b`\n\n[up](../README.md#title) [gone](missing.md) [out](../package.json#x)\n'],
    ]);
    const exists = (path: string) => ['README.md', 'docs/a.md', 'package.json'].includes(path);
    expect(brokenLinks(docs, exists)).toEqual([
      'README.md:5: (#nope) README.md has no heading #nope',
      'docs/a.md:3: (missing.md) missing.md does not exist',
      'docs/a.md:3: (../package.json#x) #x points into package.json, which is not a checked guide',
    ]);
  });

  it("computes GitHub's anchors: punctuation dropped, repeated headings numbered", () => {
    const md =
      '# `DbService` (injectable)\n\n## Schema-per-tenant (one pool)\n\n## Errors\n\n### Errors\n\n```\n# not a heading\n```\n';
    expect([...headingAnchors(md)]).toEqual([
      'dbservice-injectable',
      'schema-per-tenant-one-pool',
      'errors',
      'errors-1',
    ]);
  });
});
