import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';
import { describe } from './values.js';

/** setTimeout's largest delay: every timeout option must fit in it. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Whether `value` is a number of milliseconds from `min` to setTimeout's largest delay. */
export function isDuration(value: unknown, min = 1): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= MAX_TIMER_MS;
}

/** What a duration option must be, for messages. */
export function durationRange(min = 1): string {
  return `a number of milliseconds from ${min} to ${MAX_TIMER_MS}`;
}

/** A value as a message shows it: numbers as they are, other things by their kind. */
export function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : describe(value);
}

/** `value` when it is a duration, else an InvalidOptionsError naming `<key>.<name>` and the range. */
export function checkDuration(key: string, name: string, value: unknown, min = 1): number {
  if (isDuration(value, min)) return value;
  throw new InvalidOptionsError(messages.optionWrongType(`${key}.${name}`, durationRange(min), shown(value)), { key });
}
