import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MultiDbError, MultiDbModule, maskUrl, type MultiDbModuleOptions } from 'nestjs-multidb';
import { resolveDatabases } from '../../src/config/resolve-databases.js';
import { EntityRegistry } from '../../src/entities/entity-registry.js';

/** A password that cannot appear in a message by chance: a marker plus anything, reserved characters and unicode included. */
const password = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 24 }).map((tail) => `Pw7Q${tail}`);
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '..',
    '../../etc',
    '/',
    ':',
    '@',
    '%',
    '%zz',
    '?',
    '#',
    'ü',
    '数据库',
    'a'.repeat(5000),
    '\u0000',
    '\n',
  ),
);
const scheme = fc.oneof(
  fc.constantFrom(
    'postgresql',
    'postgres',
    'postgresql+asyncpg',
    'mysql',
    'mysql+pymysql',
    'mariadb',
    'sqlite',
    'SQLITE',
    'oracle',
    'http',
    '',
  ),
  fc.string({ maxLength: 12 }),
);
const encodeMaybe = (value: string, encode: boolean) => (encode ? encodeURIComponent(value) : value);

/** URLs around the real shapes: schemes, credentials (raw or escaped), hosts, ports, paths, query strings. */
const url = fc
  .record({
    scheme,
    user: fc.oneof(fc.constant(''), text),
    password,
    encode: fc.boolean(),
    host: fc.oneof(fc.constantFrom('db', '127.0.0.1', '[::1]', '', 'höst'), text),
    port: fc.oneof(fc.constant(''), fc.integer({ min: -1, max: 70_000 }).map(String), text),
    path: fc.oneof(fc.constantFrom('', '/', '/main', '//abs/x.db', '/:memory:', '/a/b'), text),
    query: fc.oneof(
      fc.constant(''),
      fc.constantFrom('?schema=s', '?password=leak', '?a=1&b=true&c'),
      text.map((q) => `?${q}`),
    ),
  })
  .map((u) => ({
    password: u.password,
    url: `${u.scheme}://${u.user}:${encodeMaybe(u.password, u.encode)}@${u.host}${u.port ? `:${u.port}` : ''}${u.path}${u.query}`,
  }));

const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const key = fc.oneof(fc.constantFrom('default', 'auth', 'meta', 'tenant_1', 'a-b'), text);

const options = fc
  .record(
    {
      databases: fc.oneof(
        url.map((u) => ({ value: u.url as unknown, secrets: [u.password] })),
        fc
          .array(
            fc.tuple(
              key,
              fc.oneof(
                url.map((u) => ({ value: u.url as unknown, secret: u.password })),
                url.map((u) => ({ value: { url: u.url, pool: { max: 2 } } as unknown, secret: u.password })),
                junk.map((j) => ({ value: j as unknown, secret: '' })),
              ),
            ),
            { maxLength: 4 },
          )
          .map((entries) => ({
            value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])) as unknown,
            secrets: entries.map(([, v]) => v.secret).filter(Boolean),
          })),
        junk.map((j) => ({ value: j as unknown, secrets: [] as string[] })),
      ),
      rootPath: fc.oneof(fc.constant(undefined), text, junk),
      common: fc.oneof(fc.constant(undefined), junk),
      entities: fc.oneof(fc.constant(undefined), junk),
      migrationOptions: fc.oneof(fc.constant(undefined), junk, fc.record({ directory: fc.oneof(text, junk) })),
      requestContext: fc.oneof(fc.constant(undefined), junk),
    },
    { requiredKeys: ['databases'] },
  )
  .map(({ databases, ...rest }) => ({
    options: { ...rest, databases: databases.value } as unknown as MultiDbModuleOptions,
    secrets: databases.secrets,
  }));

function outcome(options: MultiDbModuleOptions): Error | undefined {
  try {
    MultiDbModule.setup(options);
    const resolved = resolveDatabases(options);
    new EntityRegistry(
      resolved.map((r) => r.key),
      options.entities ?? [],
    );
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('setup() options, fuzzed', () => {
  it('every option set is accepted or refused with a MultiDbError that never shows a password', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(options, ({ options, secrets }) => {
        const error = outcome(options);
        if (error === undefined) {
          accepted++;
          return;
        }
        refused++;
        expect(error, `${error?.name}: ${error?.message}`).toBeInstanceOf(MultiDbError);
        for (const secret of secrets) {
          expect(error.message).not.toContain(secret);
          expect(error.message).not.toContain(encodeURIComponent(secret));
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted + refused).toBe(3000);
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('maskUrl never lets a password through, escaped or not', () => {
    fc.assert(
      fc.property(url, ({ url, password }) => {
        const masked = maskUrl(url);
        expect(masked).not.toContain(password);
        expect(masked).not.toContain(encodeURIComponent(password));
      }),
      { numRuns: 3000 },
    );
  });

  it('database keys that could reach a file path or an SQL identifier are refused unless safe', () => {
    fc.assert(
      fc.property(text, (candidate) => {
        const error = outcome({ databases: { default: 'sqlite://', [candidate]: 'sqlite://' } });
        if (candidate === 'default' || /^[A-Za-z][A-Za-z0-9_-]*$/.test(candidate)) expect(error).toBeUndefined();
        else expect(error).toBeInstanceOf(MultiDbError);
      }),
      { numRuns: 2000 },
    );
  });
});
