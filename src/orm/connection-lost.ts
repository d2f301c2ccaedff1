import type { MikroORM } from '@mikro-orm/core';
import { redact } from '../config/mask.js';
import type { ResolvedDatabase } from '../config/resolve-databases.js';
import { DatabaseConnectionError, MultiDbError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { isUnavailable, raisedOpeningConnection } from '../errors/unavailable.js';

/**
 * For a database with a host list: a statement or transaction that fails because its server went
 * away (the node died, a failover is under way) fails with a DatabaseConnectionError naming the key
 * and saying that nothing was retried, its driver error as `cause` (still HTTP 503 through
 * DatabaseUnavailableFilter). Runs in MikroORM's exception converter, so only failures pay for it.
 */
export function nameKeyOnConnectionLoss(orm: MikroORM, config: ResolvedDatabase): void {
  if (!config.hostLists.some((list) => list !== undefined)) return;
  const converter = orm.config.getPlatform().getExceptionConverter();
  const convert = converter.convertException.bind(converter);
  converter.convertException = (error) => {
    const converted = convert(error);
    // a connection that could not be opened is not a lost one (start-up and health say so themselves)
    if (converted instanceof MultiDbError || raisedOpeningConnection(converted) || !isUnavailable(converted)) {
      return converted;
    }
    const reason = redact(converted.message || String(error), config.secrets);
    const lost = new DatabaseConnectionError(messages.connectionLost(config.key, config.maskedUrl, reason), {
      key: config.key,
      cause: converted,
    });
    return lost as unknown as typeof converted;
  };
}
