/** A writable text stream, and whether it is a terminal. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** One database's line: its key, what was done, how long it took. */
export interface KeyLine {
  key: string;
  /** `changed`: it worked, but something needs the user's attention (migration:check). */
  status: 'ok' | 'changed' | 'failed';
  summary: string;
  ms: number;
}

/** Draws more than a handful of databases as a progress bar on a terminal; silent otherwise. */
export class Progress {
  static readonly THRESHOLD = 5;
  #done = 0;
  readonly #enabled: boolean;

  constructor(
    private readonly stream: OutputStream,
    private readonly total: number,
    private readonly label: string,
    /** `--progress`: draw it also when the stream is not a terminal (CI logs, tests). */
    force = false,
  ) {
    this.#enabled = (force || stream.isTTY === true) && total > Progress.THRESHOLD;
    this.#draw();
  }

  tick(): void {
    this.#done++;
    this.#draw();
  }

  clear(): void {
    if (this.#enabled) this.stream.write('\r\x1b[2K');
  }

  #draw(): void {
    if (!this.#enabled) return;
    const width = 30;
    const filled = Math.round((this.#done / this.total) * width);
    this.stream.write(
      `\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.total}`,
    );
  }
}

/** Plain, aligned lines: one per database (good for terminals and CI logs alike). */
export function formatLines(command: string, lines: readonly KeyLine[]): string {
  const width = Math.max(...lines.map((l) => l.key.length));
  return lines
    .map(
      (l) =>
        `${l.status.toUpperCase().padEnd(7)} ${l.key.padEnd(width)}  ${command}: ${l.summary} (${Math.round(l.ms)} ms)\n`,
    )
    .join('');
}

/** A table closing a run over many databases: how many ended in each status, and which failed. */
export function formatSummary(command: string, lines: readonly KeyLine[]): string {
  const rows = (['ok', 'changed', 'failed'] as const).map((status) => {
    const keys = lines.filter((l) => l.status === status).map((l) => l.key);
    return [status, String(keys.length), status === 'ok' ? '' : keys.join(', ')] as const;
  });
  const header = ['status', 'count', 'databases'] as const;
  const w0 = Math.max(header[0].length, ...rows.map((r) => r[0].length));
  const w1 = Math.max(header[1].length, ...rows.map((r) => r[1].length));
  const line = (r: readonly [string, string, string]) =>
    `  ${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`.trimEnd();
  const rule = `  ${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ${'-'.repeat(9)}`;
  return `\n${command}: ${lines.length} databases\n${[line(header), rule, ...rows.map(line)].join('\n')}\n`;
}
