// The source file of each entry point package.json exports, for the API reference (scripts/docs.mjs).

/**
 * `./dist/x/index.js` → `src/x/index.ts` for every export but `./package.json`.
 * @param {{ exports?: Record<string, string | Record<string, string>> }} pkg package.json
 * @returns {string[]}
 */
export function entryPoints(pkg) {
  return Object.entries(pkg.exports ?? {}).flatMap(([name, target]) => {
    const file = typeof target === 'string' ? target : (target.default ?? target.import);
    if (name === './package.json' || typeof file !== 'string' || !file.startsWith('./dist/')) return [];
    return [file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')];
  });
}
