import { describeHost, type HostAddress, type HostList, type TargetSessionAttrs } from '../config/host-list.js';
import { redact } from '../config/mask.js';
import { NoUsableHostError } from '../errors/multi-db.error.js';

/** Why a host was last passed over: it did not answer, or answered in the wrong role. */
interface Mark {
  readonly at: number;
  readonly reason: string;
  readonly wrongRole: boolean;
}

/** What names a database in the errors of its host list. */
export interface HostListOwner {
  readonly key: string;
  readonly maskedUrl: string;
  readonly secrets: readonly string[];
}

/**
 * Which host of a list the next physical connection of one pool goes to. A new connection starts
 * with the host that served last (sticky: a Galera cluster sees one writer node, a recovered old
 * primary is not preferred over the one in use) and moves on in list order past hosts that just
 * failed; when every host failed, the one that failed longest ago is tried again, so a server that
 * comes back (a promoted standby) is found by the very next connection. Nothing here runs per query.
 */
export class HostState {
  readonly #marks: (Mark | undefined)[];
  #current = 0;
  #seq = 0;

  constructor(
    readonly list: HostList,
    private readonly owner: HostListOwner,
  ) {
    this.#marks = list.hosts.map(() => undefined);
  }

  get hosts(): readonly HostAddress[] {
    return this.list.hosts;
  }

  get target(): TargetSessionAttrs {
    return this.list.target;
  }

  /** The index of the host the next connection goes to. */
  pick(): number {
    const n = this.#marks.length;
    for (let step = 0; step < n; step++) {
      const i = (this.#current + step) % n;
      if (this.#marks[i] === undefined) return i;
    }
    let oldest = this.#current;
    for (let i = 0; i < n; i++) {
      if ((this.#marks[i]?.at ?? 0) < (this.#marks[oldest]?.at ?? 0)) oldest = i;
    }
    return oldest;
  }

  /** A connection to host `index` now serves: it is where the next ones go. */
  served(index: number): void {
    this.#marks[index] = undefined;
    this.#current = index;
  }

  /** Host `index` did not answer (or answered in the wrong role): the next connection skips it. */
  failed(index: number, reason: string, wrongRole = false): void {
    this.#marks[index] = { at: ++this.#seq, reason: redact(reason, this.owner.secrets), wrongRole };
    if (this.#current === index) this.#current = (index + 1) % this.#marks.length;
  }

  /**
   * For `prefer-standby`: a primary is good enough when no other host is usable (every other one
   * failed or was a primary too).
   */
  othersUnusable(index: number): boolean {
    return this.#marks.every((mark, i) => i === index || mark !== undefined);
  }

  /** The error once every host failed: the key, the masked URL and each host with why it was passed over. */
  noHostError(cause?: unknown): NoUsableHostError {
    const hosts = this.list.hosts.map(describeHost);
    const reasons = this.#marks.map((m) => m?.reason ?? 'not tried');
    return new NoUsableHostError(this.owner.key, this.owner.maskedUrl, this.list.target, hosts, reasons, cause);
  }
}

/** A short reason from a driver error, for the per-host list of a NoUsableHostError. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reasonOf(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.name;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
