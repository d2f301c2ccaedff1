import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseConnectionError, DbService, MultiDbModule, type MultiDbModuleOptions, maskUrl } from 'nestjs-multidb';
import { pingDatabase } from 'nestjs-multidb/health';
import { resolveDatabases } from '../../src/config/resolve-databases.js';
import { rejection } from '../fixtures/boot.js';
import { freePort } from '../fixtures/free-port.js';
import { lineCapture } from '../fixtures/log-capture.js';

/** Values that must never be shown, one per secret query parameter. */
const SECRETS = {
  sslpassword: 'SslPw-7f3a',
  access_token: 'AccTok-91c2',
  api_key: 'ApiKey-55d0',
  Client_Secret: 'CliSec-a1b2',
  'x-session-token': 'SessTok-e4f5',
  sslkey: 'SslKey-c3d4',
};
const query = Object.entries(SECRETS)
  .map(([name, value]) => `${name}=${value}`)
  .join('&');

function expectMasked(text: string): void {
  for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
}

describe('maskUrl hides every secret query parameter', () => {
  it.each([
    ['sslpassword', 'postgresql://app@db/main?sslpassword=abc', 'postgresql://app@db/main?sslpassword=***'],
    ['access_token', 'mysql://app@db/main?access_token=abc&x=1', 'mysql://app@db/main?access_token=***&x=1'],
    [
      'api_key',
      'postgresql://app@db/main?sslmode=require&api_key=abc',
      'postgresql://app@db/main?sslmode=require&api_key=***',
    ],
    [
      'case-insensitive',
      'postgresql://db/m?SSLPassword=abc&AccessToken=def',
      'postgresql://db/m?SSLPassword=***&AccessToken=***',
    ],
    ['any name containing secret', 'postgresql://db/m?client_secret=abc', 'postgresql://db/m?client_secret=***'],
    ['any name containing key', 'postgresql://db/m?sslkey=/k.pem&apikey=x', 'postgresql://db/m?sslkey=***&apikey=***'],
    ['an encoded name', 'postgresql://db/m?access%5Ftoken=abc', 'postgresql://db/m?access%5Ftoken=***'],
    ['pass and pwd', 'sqlite:///a.db?pass=abc&pwd=def', 'sqlite:///a.db?pass=***&pwd=***'],
    ['the password too', 'postgresql://app:pw@db/m?token=abc', 'postgresql://app:***@db/m?token=***'],
    ['a parameter hidden in a value', 'postgresql://db/m?a=b?password=abc', 'postgresql://db/m?a=b?password=***'],
  ])('%s', (_, url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });

  it('leaves other parameters alone', () => {
    const url = 'postgresql://app@db/main?schema=s&sslmode=require&application_name=web&passive=1';
    expect(maskUrl(url)).toBe(url);
  });
});

describe('secret query parameters stay hidden on every surface', () => {
  const { lines, logger: capture } = lineCapture();
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
    lines.length = 0;
  });

  async function start(options: MultiDbModuleOptions): Promise<DbService> {
    const moduleRef = await Test.createTestingModule({ imports: [MultiDbModule.setup(options)] })
      .setLogger(capture)
      .compile();
    const app = moduleRef.createNestApplication({ logger: capture });
    await app.init();
    close = () => app.close();
    return app.get(DbService);
  }

  it('info(), health, logs and redact() of a database that is down', async () => {
    const port = await freePort();
    const url = `postgresql://app@127.0.0.1:${port}/main?${query}`;
    const replica = `postgresql://reader@127.0.0.1:${port}/main?access_token=${SECRETS.access_token}`;
    const db = await start({
      databases: { default: 'sqlite://', auth: { url, lazy: true, replicas: [replica] } },
      common: { debug: true, logger: (message: string) => lines.push(message) },
    });
    const info = db.info('auth');
    expect(info.url).toBe(`postgresql://app@127.0.0.1:${port}/main?${query.replace(/=[^&]*/g, '=***')}`);
    expect(info.replicas).toEqual([`postgresql://reader@127.0.0.1:${port}/main?access_token=***`]);
    const health = await pingDatabase(db, 'auth', { timeout: 2000 });
    expect(health.status).toBe('down');
    expectMasked(JSON.stringify(health));
    // a driver message that echoes a secret is scrubbed too
    expect(db.redact('auth', `token ${SECRETS.access_token} rejected by ${url}`)).toBe(
      `token *** rejected by ${info.url}`,
    );
    const warning = lines.find((l) => l.includes("Database 'auth'") && l.includes('not reachable'));
    expect(warning).toContain(info.url);
    expectMasked(lines.join('\n'));
  });

  it('the start-up error of a database that cannot be reached', async () => {
    const port = await freePort();
    const url = `postgresql://app@127.0.0.1:${port}/main?${query}`;
    const error = await rejection(start({ databases: { default: 'sqlite://', auth: url } }));
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect(error.message).toContain(`127.0.0.1:${port}/main?sslpassword=***&access_token=***&api_key=***`);
    expectMasked(`${error.message}\n${error.stack}\n${lines.join('\n')}`);
  });

  it('secret driver options given as options are scrubbed from driver messages too', () => {
    const [db] = resolveDatabases({
      databases: {
        default: {
          url: 'postgresql://app@db/main',
          driverOptions: { sslpassword: 'FromOpts-1', ssl: { key: 'PemKey-2', rejectUnauthorized: false } },
        },
      },
    });
    expect(db?.secrets).toEqual(expect.arrayContaining(['FromOpts-1', 'PemKey-2']));
  });
});
