/** Base class of every error this package throws for something a user can fix. */
export class MultiDbError extends Error {
  /** The database key the error is about, when there is one. */
  readonly key: string | undefined;

  constructor(message: string, options?: { key?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = this.constructor.name;
    this.key = options?.key;
  }
}
