import { DatabaseOperationError, type KeyOutcome } from '../errors/multi-db.error.js';

/**
 * Runs `fn` for every key concurrently (at most `concurrency` at a time), each database on its own:
 * one failing does not stop the others. Resolves with every outcome when all succeeded; otherwise
 * rejects with a DatabaseOperationError that carries them all.
 */
export async function forEachKey<T>(
  operation: string,
  keys: readonly string[],
  fn: (key: string) => Promise<T>,
  redact: (key: string, text: string) => string = (_, text) => text,
  concurrency = Number.POSITIVE_INFINITY,
): Promise<KeyOutcome<T>[]> {
  const outcomes = await mapLimit(keys, concurrency, async (key): Promise<KeyOutcome<T>> => {
    const begin = performance.now();
    try {
      const value = await fn(key);
      return { key, ok: true, value, ms: performance.now() - begin };
    } catch (cause) {
      const message = redact(key, cause instanceof Error ? cause.message : String(cause));
      const error = cause instanceof Error && message === cause.message ? cause : new Error(message);
      return { key, ok: false, error, ms: performance.now() - begin };
    }
  });
  if (outcomes.some((o) => !o.ok)) throw new DatabaseOperationError(operation, outcomes);
  return outcomes;
}

/** The value of a one-key run (which resolves only when that key succeeded). */
export function onlyValue<T>(outcomes: readonly KeyOutcome<T>[]): T {
  const [outcome] = outcomes;
  if (!outcome?.ok) throw new Error('onlyValue: expected one successful outcome');
  return outcome.value;
}

/** `Promise.all(items.map(fn))` with at most `limit` calls running at once; results keep the items' order. */
async function mapLimit<I, O>(items: readonly I[], limit: number, fn: (item: I) => Promise<O>): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as I);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
