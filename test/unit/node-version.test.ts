import { describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../../scripts/node-version.mjs';

describe('the Node.js check run before the tests and `npm test` (better-sqlite3 13 segfaults below Node-API 10)', () => {
  it("refuses the machine's Node 20 and the Node 22 lines without Node-API 10, saying why", () => {
    for (const versions of [
      { node: '20.20.2', napi: '9' },
      { node: '22.13.1', napi: '9' },
      { node: '22.16.0', napi: '10' },
    ]) {
      const problem = nodeVersionProblem(versions);
      expect(problem).toContain(`this is v${versions.node}`);
      expect(problem).toContain('SIGSEGV');
    }
  });

  it('accepts Node 22.17+ and 24 with Node-API 10, and the Node running this test', () => {
    expect(nodeVersionProblem({ node: '22.17.0', napi: '10' })).toBeUndefined();
    expect(nodeVersionProblem({ node: '24.21.0', napi: '10' })).toBeUndefined();
    expect(nodeVersionProblem()).toBeUndefined();
  });
});
