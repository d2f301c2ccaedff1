import { EntitySchema } from '@mikro-orm/core';
import { InvalidOptionsError } from '../errors/multi-db.error.js';
import { messages } from '../errors/messages.js';

/**
 * Refuses anything in an entity list that is not an entity class or schema: `null` / `undefined`
 * (a circular or misspelt import) and paths or globs (`'dist/**\/*.entity.js'`, as MikroORM's folder
 * discovery takes them), which MikroORM would otherwise drop silently, leaving a database without
 * its entities. `where` names the list in the message.
 */
export function assertEntityList(where: string, entities: readonly unknown[]): void {
  entities.forEach((entity, index) => {
    if (typeof entity === 'function' || EntitySchema.is(entity)) return;
    throw new InvalidOptionsError(messages.entityNotAClass(where, index, shown(entity)));
  });
}

function shown(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}'`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return 'an object that is neither a class nor an EntitySchema';
  return `a ${typeof value}`;
}
