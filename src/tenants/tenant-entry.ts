import type { Database } from '../orm/start-databases.js';
import type { PlaceWait } from './tenant-places.js';

/** One tenant's ORM. It holds a place (of `maxOpen`) from the moment its pool is opened until it is closed. */
export interface Entry {
  readonly tenant: string;
  readonly database: Database;
  refs: number;
  place: boolean;
  opening: Promise<void> | undefined;
  waiting: PlaceWait | undefined;
  /** Set once it is closed or dropped: the error any later use of it gets. */
  ended: (() => Error) | undefined;
  closing: Promise<void> | undefined;
  /** A detach waiting for its last user to leave. */
  idle: (() => void) | undefined;
  detaching: Promise<void> | undefined;
}

export type Closer = (database: Database) => Promise<void>;
