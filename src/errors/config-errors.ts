import { messages } from './messages.js';
import { InvalidOptionsError, MultiDbError } from './multi-db.error.js';

/**
 * An option nestjs-multidb would otherwise ignore: not one of MikroORM's, not one of ours (a typo,
 * or another library's name such as SQLAlchemy's `pool_recycle`).
 */
export class UnknownOptionError extends InvalidOptionsError {
  constructor(
    message: string,
    /** The option as written, `pool.` in front for one inside `pool`. */
    readonly option: string,
    /** The closest known option. */
    readonly suggestion: string,
    key?: string,
  ) {
    super(message, { key });
  }
}

/** The config file the CLI loads threw (on import, or in its options factory). */
export class ConfigFileError extends MultiDbError {
  constructor(
    /** The config file. */
    readonly path: string,
    reason: string,
    cause: unknown,
  ) {
    super(messages.configFileThrew(path, reason), { cause });
  }
}

/** The CLI was called wrongly: unknown command or option, an option the command does not take, a bad value. */
export class CliUsageError extends MultiDbError {}
