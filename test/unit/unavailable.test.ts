import { describe, expect, it } from 'vitest';
import { carryConnectMark, isUnavailable, markConnectError } from '../../src/errors/unavailable.js';

const error = (props: Record<string, unknown>, message = 'boom') => Object.assign(new Error(message), props);

describe('isUnavailable: which errors mean "the database cannot be reached right now"', () => {
  it('DNS that cannot answer yet (EAI_AGAIN) and unreachable networks, like ENOTFOUND', () => {
    for (const code of ['EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'ECONNABORTED']) {
      expect({ code, unavailable: isUnavailable(error({ code })) }).toEqual({ code, unavailable: true });
    }
  });

  it('an error that ended the session: PostgreSQL FATAL, mysql2 `fatal`', () => {
    expect(isUnavailable(error({ code: '25P03', severity: 'FATAL' }))).toBe(true);
    expect(isUnavailable(error({ code: 'HANDSHAKE_UNKNOWN_ERROR', fatal: true }))).toBe(true);
    expect(isUnavailable(error({ code: '42P01', severity: 'ERROR' }))).toBe(false);
  });

  it('login, database and TLS refusals count only when raised while opening a connection', () => {
    const refusals = [
      error({ code: '28P01', severity: 'ERROR' }),
      error({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045 }),
      error({ code: 'ER_DBACCESS_DENIED_ERROR', errno: 1044 }),
      error({ code: 'ER_BAD_DB_ERROR', errno: 1049 }),
      error({ code: '3D000', severity: 'ERROR' }),
      error({}, 'The server does not support SSL connections'),
      error({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'self-signed certificate'),
    ];
    for (const refusal of refusals) {
      expect({ message: refusal.message, answer: isUnavailable(refusal) }).toEqual({
        message: refusal.message,
        answer: false,
      });
      expect(isUnavailable(markConnectError(refusal))).toBe(true);
    }
  });

  it('the mark follows the error into the DriverException MikroORM converts it to, and through causes', () => {
    const raw = markConnectError(error({ code: 'ER_ACCESS_DENIED_ERROR' }));
    const converted = carryConnectMark(raw, error({ code: 'ER_ACCESS_DENIED_ERROR' }));
    expect(isUnavailable(converted)).toBe(true);
    expect(isUnavailable(carryConnectMark(error({}), error({ code: 'ER_ACCESS_DENIED_ERROR' })))).toBe(false);
    expect(isUnavailable(new Error('wrapped', { cause: raw }))).toBe(true);
  });

  it('a bad query stays a bad query', () => {
    expect(isUnavailable(error({ code: 'ER_NO_SUCH_TABLE' }))).toBe(false);
    expect(isUnavailable(markConnectError(new TypeError('SSL profile must be an object')))).toBe(false);
    expect(isUnavailable(undefined)).toBe(false);
  });
});
