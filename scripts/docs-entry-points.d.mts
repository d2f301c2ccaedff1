/** `./dist/x/index.js` → `src/x/index.ts` for every export of package.json but `./package.json`. */
export function entryPoints(pkg: { exports?: Record<string, string | Record<string, string>> }): string[];
