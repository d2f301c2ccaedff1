/**
 * The results as markdown (table + one section per scenario) and as a hand-written SVG bar chart
 * of the ratios against their goals.
 */

/**
 * @typedef {import('./harness.mjs').Row} Row
 * @typedef {{ id: string, title: string, command: string, description: string, rows: Row[],
 *   notes?: string[], skipped?: string, error?: string, seconds?: number }} ScenarioResult
 * @typedef {{ kind: 'full' | 'smoke' | 'partial', machine: Record<string, unknown>, build: Record<string, unknown>,
 *   startedAt: string, seconds: number, scenarios: ScenarioResult[] }} Results
 */

/** @param {number} x */
function sig(x) {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** @param {number} x */
const ratio3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/**
 * "median [q1–q3] unit"
 * @param {{ median: number, q1: number, q3: number }} s
 * @param {string} unit
 * @param {(x: number) => string} [f]
 */
function withIqr(s, unit, f = sig) {
  return `${f(s.median)} [${f(s.q1)}–${f(s.q3)}]${unit ? ` ${unit}` : ''}`;
}

/** @param {Row} row */
function goalText(row) {
  if (!row.goal) return '—';
  return `${row.ratio?.definition ?? ''} ${row.goal.text}`.trim();
}

/** @param {Row} row */
function metText(row) {
  if (row.met === null) return '—';
  if (!row.ratio) return row.met ? 'yes' : '**no**';
  // the goal lies within the paired ratios' IQR: say so, a rerun may flip it
  const straddles = row.goal && row.ratio.q1 <= row.goal.value && row.goal.value <= row.ratio.q3;
  return `${row.met ? 'yes' : '**no**'}${straddles ? ' (within IQR)' : ''}`;
}

/** @param {Row} row */
function ratioText(row) {
  if (row.value) return `${sig(row.value.number)} ${row.value.unit}`;
  if (!row.ratio) return '—';
  return withIqr(row.ratio, '', ratio3);
}

/** @param {string} s */
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');

/** @param {Results} results */
export function markdownTable(results) {
  const lines = [
    '| scenario | workload | sizes | A | B | ratio [IQR] | goal | met? |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of results.scenarios) {
    if (s.error) {
      lines.push(`| ${cell(`${s.id}. ${s.title}`)} | **failed**: ${cell(s.error.split('\n')[0])} | | | | | | |`);
      continue;
    }
    if (s.skipped) {
      lines.push(`| ${cell(`${s.id}. ${s.title}`)} | skipped: ${cell(s.skipped)} | | | | | | |`);
      continue;
    }
    for (const row of s.rows) {
      lines.push(
        `| ${cell(`${row.scenario}. ${row.name}`)} | ${cell(row.workload)} | ${cell(row.sizes)} | ` +
          `${row.a ? cell(`${row.a.label}: ${withIqr(row.a.stats, row.unit)}`) : '—'} | ` +
          `${row.b ? cell(`${row.b.label}: ${withIqr(row.b.stats, row.unit)}`) : '—'} | ` +
          `${cell(ratioText(row))} | ${cell(goalText(row))} | ${metText(row)} |`,
      );
    }
  }
  return lines.join('\n');
}

/** @param {Results} results */
export function markdown(results) {
  const m = /** @type {Record<string, any>} */ (results.machine);
  const b = /** @type {Record<string, any>} */ (results.build);
  const out = [
    `# nestjs-multidb benchmarks (${results.kind} run)`,
    '',
    `${results.startedAt} · ${Math.round(results.seconds)} s · \`${b.command}\``,
    '',
    `**Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform} ${m.release}; ` +
      `node ${m.node}; load average before/after ${m.loadBefore} / ${m.loadAfter}` +
      `${m.postgres ? `; PostgreSQL ${m.postgres} (throwaway server)` : ''}.`,
    '',
    `**Under test:** ${b.packageUnderTest} at git ${b.gitHead}${b.gitDirty ? ` with uncommitted changes in ${b.gitDirty}` : ''} ` +
      `(dist built ${b.distBuiltAt}, fingerprint ${b.distFingerprint}); @mikro-orm/core ${b.mikroOrm}, ` +
      `@mikro-orm/nestjs ${b.mikroOrmNestjs}, @nestjs/core ${b.nestCore}, autocannon ${b.autocannon}.`,
    '',
    '**Method:** each compared pair (or group) runs in one process per scenario, in interleaved rounds whose ' +
      'order reverses every other round (A B | B A | …), after warm-up rounds, with a full GC before every ' +
      'round. A round is a fixed amount of work and gives one sample per side. A and B columns: median ' +
      '[interquartile range] of the per-round samples. Ratio: median [IQR] of the per-round ratios A/B ' +
      '(rounds next to each other in time, so the machine\'s drift cancels); "met?" compares that median ' +
      'with the goal, "(within IQR)" marks a goal inside the ratio\'s IQR, where a rerun may flip the verdict.',
    '',
    markdownTable(results),
    '',
    ...goalSummary(results),
  ];
  for (const s of results.scenarios) {
    out.push(`## ${s.id}. ${s.title}`, '');
    out.push(s.description ?? '', '');
    out.push(`Command: \`${s.command}\`${s.seconds ? ` (${Math.round(s.seconds)} s)` : ''}`, '');
    if (s.error) out.push('**Failed:**', '', '```', s.error, '```', '');
    if (s.skipped) out.push(`Skipped: ${s.skipped}.`, '');
    for (const row of s.rows ?? []) {
      out.push(`- **${row.name}** — ${row.workload}; ${row.sizes}.`);
      for (const side of [row.a, row.b]) {
        if (!side) continue;
        const st = side.stats;
        out.push(
          `  - ${side.label}: median ${sig(st.median)} ${row.unit}, IQR ${sig(st.q1)}–${sig(st.q3)}, ` +
            `min–max ${sig(st.min)}–${sig(st.max)} (${st.n} rounds)`,
        );
      }
      if (row.ratio) {
        out.push(
          `  - ratio ${row.ratio.definition}: ${ratio3(row.ratio.median)} (IQR ${ratio3(row.ratio.q1)}–` +
            `${ratio3(row.ratio.q3)}, min–max ${ratio3(row.ratio.min)}–${ratio3(row.ratio.max)})` +
            `${row.goal ? `; goal ${row.goal.text}: ${metText(row)}` : ''}`,
        );
      }
      if (row.value) out.push(`  - ${sig(row.value.number)} ${row.value.unit}: ${row.value.detail}`);
      if (row.note) out.push(`  - ${row.note}`);
    }
    for (const note of s.notes ?? []) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}

/** @param {Results} results */
function goalSummary(results) {
  const rows = results.scenarios.flatMap((s) => (s.rows ?? []).filter((r) => r.goal));
  if (rows.length === 0) return [];
  const met = rows.filter((r) => r.met).length;
  const lines = [`**Goals:** ${met} of ${rows.length} met.`, ''];
  for (const row of rows) {
    const r = /** @type {NonNullable<Row['ratio']>} */ (row.ratio);
    lines.push(
      `- ${row.met ? 'met' : '**missed**'}: ${row.scenario}. ${row.name} — ${r.definition} = ${ratio3(r.median)} ` +
        `(IQR ${ratio3(r.q1)}–${ratio3(r.q3)}), goal ${row.goal?.text}`,
    );
  }
  lines.push('');
  return lines;
}

/** @param {string} s */
const esc = (s) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * Horizontal bars: every row with a ratio, its goal as a tick; green met, red missed, grey no goal.
 * @param {Results} results
 */
export function svgChart(results) {
  // every row with a ratio, except the baselines compared with themselves (ratio 1 in every round)
  const rows = results.scenarios.flatMap((s) =>
    (s.rows ?? []).filter((r) => r.ratio && !(r.ratio.min === 1 && r.ratio.max === 1)),
  );
  const width = 1240;
  const labelW = 430;
  const barX = labelW + 10;
  const barW = 480;
  const rowH = 26;
  const top = 56;
  const height = top + rows.length * rowH + 40;
  const max = Math.max(1.5, ...rows.flatMap((r) => [r.ratio?.q3 ?? 0, r.goal?.value ?? 0])) * 1.08;
  const x = (/** @type {number} */ v) => barX + (Math.min(v, max) / max) * barW;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<title>nestjs-multidb benchmarks: ratios against their goals</title>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">nestjs-multidb benchmarks: ratios (median, IQR whisker) vs goals</text>`,
    `<text x="10" y="38" fill="#555">${esc(`${results.startedAt} · ${results.machine.cpuModel} × ${results.machine.cores} · node ${results.machine.node} · ${results.kind} run`)}</text>`,
  ];
  // scale: ticks every 0.5
  for (let t = 0; t <= max; t += 0.5) {
    parts.push(
      `<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${top + rows.length * rowH}" stroke="${t === 1 ? '#888' : '#e4e4e4'}" ${t === 1 ? 'stroke-dasharray="4 3"' : ''}/>`,
    );
    parts.push(
      `<text x="${x(t)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${t.toFixed(1)}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const r = /** @type {NonNullable<Row['ratio']>} */ (row.ratio);
    const color = row.met === null ? '#9e9e9e' : row.met ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${labelW}" y="${y + 16}" text-anchor="end">${esc(`${row.scenario}. ${row.name}`)}</text>`);
    parts.push(
      `<rect x="${barX}" y="${y + 5}" width="${Math.max(1, x(r.median) - barX)}" height="${rowH - 10}" fill="${color}" opacity="0.85"/>`,
    );
    const mid = y + rowH / 2;
    parts.push(`<line x1="${x(r.q1)}" y1="${mid}" x2="${x(r.q3)}" y2="${mid}" stroke="#222" stroke-width="1"/>`);
    for (const q of [r.q1, r.q3])
      parts.push(`<line x1="${x(q)}" y1="${mid - 3}" x2="${x(q)}" y2="${mid + 3}" stroke="#222" stroke-width="1"/>`);
    if (row.goal) {
      const gx = x(row.goal.value);
      parts.push(`<line x1="${gx}" y1="${y + 2}" x2="${gx}" y2="${y + rowH - 2}" stroke="#1565c0" stroke-width="2"/>`);
      parts.push(`<path d="M ${gx - 4} ${y} L ${gx + 4} ${y} L ${gx} ${y + 5} Z" fill="#1565c0"/>`);
    }
    const label = `${r.median.toFixed(3)} (${r.definition}${row.goal ? `, goal ${row.goal.text}` : ''})`;
    parts.push(`<text x="${barX + barW + 8}" y="${y + 16}" fill="${color}">${esc(label)}</text>`);
  });
  const legendY = height - 8;
  parts.push(
    `<text x="10" y="${legendY}" fill="#555">bar: median ratio · whisker: its IQR · blue mark: goal · green: goal met · red: goal missed · grey: reported only · dashed: 1.0</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
