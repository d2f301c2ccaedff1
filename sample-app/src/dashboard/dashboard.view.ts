import type { DatabaseStats } from 'nestjs-multidb';
import type { DatabaseReport } from '../databases/databases.service.js';
import type { Post, User } from '../entities/index.js';

export interface DashboardModel {
  databases: DatabaseReport[];
  /** db.stats(): each database's pool now. */
  pools: Record<string, DatabaseStats>;
  users: User[];
  posts: Post[];
  notice?: string;
  error?: string;
}

const html = (value: unknown): string =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const STYLE = `
  :root { --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --bg:#f6f7fb; --card:#fff; --accent:#4f46e5; --up:#12b76a; --down:#f04438; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
  header { background:var(--ink); color:#fff; padding:20px 32px; }
  header h1 { margin:0; font-size:20px; font-weight:600; }
  header p { margin:4px 0 0; color:#c7cbd6; font-size:13px; }
  main { max-width:1120px; margin:0 auto; padding:24px 32px 48px; }
  .grid { display:grid; grid-template-columns:repeat(auto-fit,minmax(300px,1fr)); gap:16px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:18px 20px; }
  .card h2 { margin:0 0 2px; font-size:17px; display:flex; align-items:center; gap:8px; }
  .badge { font-size:11px; font-weight:600; padding:2px 8px; border-radius:999px; text-transform:uppercase; letter-spacing:.03em; }
  .badge.up { background:#ecfdf3; color:var(--up); } .badge.down { background:#fef3f2; color:var(--down); }
  .driver { color:var(--muted); font-size:13px; }
  code { font-size:12px; background:var(--bg); padding:2px 6px; border-radius:6px; overflow-wrap:anywhere; }
  a { color:var(--accent); }
  table { width:100%; border-collapse:collapse; margin-top:10px; }
  th, td { text-align:left; padding:6px 0; border-bottom:1px solid var(--line); font-size:14px; }
  th { color:var(--muted); font-weight:500; font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  td.n { text-align:right; font-variant-numeric:tabular-nums; font-weight:600; }
  h3 { margin:28px 0 12px; font-size:16px; }
  form { display:grid; gap:10px; margin-top:12px; }
  label { display:grid; gap:4px; font-size:13px; color:var(--muted); }
  input, select, textarea { font:inherit; padding:8px 10px; border:1px solid var(--line); border-radius:8px; color:var(--ink); }
  button { font:inherit; font-weight:600; padding:9px 14px; border:0; border-radius:8px; background:var(--accent); color:#fff; cursor:pointer; }
  .flash { padding:10px 14px; border-radius:8px; margin-bottom:16px; }
  .flash.ok { background:#ecfdf3; color:#05603a; } .flash.err { background:#fef3f2; color:#b42318; }
  .muted { color:var(--muted); font-size:13px; }
  .pool { margin:8px 0 0; font-size:13px; color:var(--muted); }
  .pool meter { width:100%; height:10px; display:block; margin-bottom:2px; }
`;

/** The pool gauge of one database: connections in use out of `pool.max`, and what waits. */
function poolGauge(key: string, stats: DatabaseStats | undefined): string {
  if (!stats) return '';
  const p = stats.pool;
  return `<div class="pool" data-pool="${html(key)}">
    <meter min="0" max="${p.max}" value="${p.inUse}" title="connections in use">${p.inUse}/${p.max}</meter>
    pool: <b data-stat="inUse">${p.inUse}</b> in use of <b data-stat="max">${p.max}</b> · <span data-stat="idle">${p.idle}</span> idle · <span data-stat="waiting">${p.waiting}</span> waiting · <span data-stat="acquireTimeouts">${p.acquireTimeouts}</span> timeouts
  </div>`;
}

function databaseCard(db: DatabaseReport, stats: DatabaseStats | undefined): string {
  const rows = db.tables
    .map(
      (t) =>
        `<tr><td>${html(t.table)}</td><td class="muted">${html(t.entity)}</td><td class="n" data-table="${html(`${db.key}.${t.table}`)}">${t.rows ?? '–'}</td></tr>`,
    )
    .join('');
  return `<section class="card" data-key="${html(db.key)}">
    <h2>${html(db.key)} <span class="badge ${db.status}">${db.status}</span></h2>
    <div class="driver">${html(db.driver)} · ${db.latencyMs} ms</div>
    <p><code>${html(db.url)}</code></p>
    ${poolGauge(db.key, stats)}
    ${db.error ? `<p class="flash err">${html(db.error)}</p>` : ''}
    <table><thead><tr><th>Table</th><th>Entity</th><th style="text-align:right">Rows</th></tr></thead><tbody>${rows}</tbody></table>
  </section>`;
}

/** The dashboard: one server-rendered page, no front-end build step. */
export function renderDashboard(model: DashboardModel): string {
  const authors = model.users
    .map((u) => `<option value="${u.id}">${html(u.displayName)} (${html(u.email)})</option>`)
    .join('');
  const names = new Map(model.users.map((u) => [u.id, u.displayName]));
  const posts = model.posts
    .map(
      (p) =>
        `<tr><td>${html(p.title)}</td><td class="muted">${html(names.get(p.authorId) ?? `user #${p.authorId}`)}</td><td class="muted">${html(new Date(p.createdAt).toISOString().slice(0, 16).replace('T', ' '))}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>nestjs-multidb sample</title><style>${STYLE}</style></head>
<body>
<header><h1>nestjs-multidb sample</h1><p>One Nest app, three databases: posts in <b>default</b>, users in <b>auth</b>, audit log and settings in <b>meta</b>.</p></header>
<main>
  ${model.notice ? `<div class="flash ok" role="status">${html(model.notice)}</div>` : ''}
  ${model.error ? `<div class="flash err" role="alert">${html(model.error)}</div>` : ''}
  <div class="grid">${model.databases.map((db) => databaseCard(db, model.pools[db.key])).join('')}</div>
  <h3>Add data</h3>
  <div class="grid">
    <section class="card"><h2>New user <span class="driver">→ auth</span></h2>
      <form method="post" action="/dashboard/users" id="user-form">
        <label>Email <input name="email" type="email" required maxlength="254"></label>
        <label>Display name <input name="displayName" required maxlength="100"></label>
        <button type="submit">Add user</button>
      </form>
    </section>
    <section class="card"><h2>New post <span class="driver">→ default</span></h2>
      <form method="post" action="/dashboard/posts" id="post-form">
        <label>Title <input name="title" required maxlength="200"></label>
        <label>Body <textarea name="body" rows="2"></textarea></label>
        <label>Author <select name="authorId" required>${authors || '<option value="">add a user first</option>'}</select></label>
        <button type="submit">Add post</button>
      </form>
    </section>
  </div>
  <h3>Latest posts</h3>
  <section class="card">${posts ? `<table><thead><tr><th>Title</th><th>Author</th><th>Created</th></tr></thead><tbody>${posts}</tbody></table>` : '<p class="muted">No posts yet.</p>'}</section>
  <p class="muted">JSON: <a href="/databases">/databases</a> · <a href="/health">/health</a> · <a href="/users">/users</a> · <a href="/posts">/posts</a> · <a href="/audit">/audit</a> · <a href="/metrics">/metrics</a></p>
</main>
</body></html>`;
}
