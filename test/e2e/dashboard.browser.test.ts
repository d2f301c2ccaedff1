import type { INestApplication } from '@nestjs/common';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../sample-app/src/app.js';
import { parsePrometheus, sampleOf } from '../fixtures/prometheus.js';

/** The sample app's dashboard, driven in Debian's Chromium: its three databases on fresh SQLite files. */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = join(REPO, 'test-results', 'dashboard.png');
const URL_VARIABLES = ['DATABASE_URL', 'AUTH_DATABASE_URL', 'META_DATABASE_URL'] as const;
const FILES = { DATABASE_URL: 'default.db', AUTH_DATABASE_URL: 'auth.db', META_DATABASE_URL: 'meta.db' } as const;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

describe('sample app dashboard in a real browser', () => {
  const savedEnv: Partial<Record<(typeof URL_VARIABLES)[number], string>> = {};
  let folder: string | undefined;
  let app: INestApplication | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let baseUrl: string;

  const count = async (table: string) => (await page.locator(`td[data-table="${table}"]`).textContent())?.trim();
  const counts = async () => ({
    users: await count('auth.users'),
    posts: await count('default.posts'),
    audit: await count('meta.audit_log'),
  });
  const notice = () => page.locator('.flash.ok');
  /** Submits a form and waits for the 303 back to the dashboard to have loaded. */
  const submit = async (form: string) => {
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/' && url.searchParams.has('notice'), { timeout: 15_000 }),
      page.locator(`${form} button[type="submit"]`).click(),
    ]);
  };

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
    for (const name of URL_VARIABLES) {
      savedEnv[name] = process.env[name];
      process.env[name] = `sqlite:///${join(folder, FILES[name])}`; // sqlite:// + /abs/path: four slashes
    }
    app = await createApp({ logger: false });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    for (const name of URL_VARIABLES) {
      if (savedEnv[name] === undefined) delete process.env[name];
      else process.env[name] = savedEnv[name];
    }
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 60_000);

  it('shows the three databases up, adds a user and a post through the forms, and the counts follow', async () => {
    expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await page.goto(`${baseUrl}/`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('nestjs-multidb sample');

    // the three keys, each with its status badge
    for (const key of ['default', 'auth', 'meta']) {
      const card = page.locator(`section.card[data-key="${key}"]`);
      expect(await card.count()).toBe(1);
      expect((await card.locator('h2').textContent())?.trim()).toMatch(new RegExp(`^${key}\\s+up$`));
      const badge = card.locator('.badge');
      expect((await badge.textContent())?.trim()).toBe('up');
      expect(await badge.getAttribute('class')).toContain('up');
      expect(await card.locator('.driver').first().textContent()).toContain('sqlite');
      // its pool gauge (db.stats()): SQLite's one connection, given back once the page's queries ended
      const gauge = card.locator(`.pool[data-pool="${key}"]`);
      expect(await gauge.locator('meter').getAttribute('max')).toBe('1');
      expect(await gauge.locator('meter').getAttribute('value')).toBe('0');
      expect((await gauge.locator('[data-stat="waiting"]').textContent())?.trim()).toBe('0');
    }
    expect(await counts()).toEqual({ users: '0', posts: '0', audit: '0' });
    expect(await notice().count()).toBe(0);

    // a user, into auth (and its audit entry into meta)
    await page.locator('#user-form input[name="email"]').fill('ada@example.com');
    await page.locator('#user-form input[name="displayName"]').fill('Ada Lovelace');
    await submit('#user-form');
    expect((await notice().textContent())?.trim()).toBe('User Ada Lovelace added to auth.');
    expect(await page.locator('.flash.err').count()).toBe(0);
    expect(await counts()).toEqual({ users: '1', posts: '0', audit: '1' });

    // a post, into default, by the new user
    const author = page.locator('#post-form select[name="authorId"]');
    const option = author.locator('option', { hasText: 'Ada Lovelace (ada@example.com)' });
    expect(await option.count()).toBe(1);
    const authorId = await option.getAttribute('value');
    expect(authorId).toMatch(/^\d+$/);
    await page.locator('#post-form input[name="title"]').fill('Hello from Chromium');
    await page.locator('#post-form textarea[name="body"]').fill('Written through the dashboard form.');
    expect(await author.selectOption(authorId!)).toEqual([authorId]);
    await submit('#post-form');
    expect((await notice().textContent())?.trim()).toBe('Post “Hello from Chromium” added to default.');
    expect(await page.locator('.flash.err').count()).toBe(0);
    expect(await counts()).toEqual({ users: '1', posts: '1', audit: '2' });
    const latest = page.locator('main > section.card table tbody tr');
    expect(await latest.count()).toBe(1);
    expect(await latest.first().textContent()).toContain('Hello from Chromium');
    expect(await latest.first().textContent()).toContain('Ada Lovelace');

    // the same pools at /metrics, in Prometheus text format
    const scraped = await page.request.get(`${baseUrl}/metrics`);
    expect(scraped.status()).toBe(200);
    expect(scraped.headers()['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await scraped.text());
    for (const key of ['default', 'auth', 'meta']) {
      expect(sampleOf(families, 'multidb_pool_max', { key, pool: 'primary' })).toBe(1);
      expect(sampleOf(families, 'multidb_pool_in_use', { key, pool: 'primary' })).toBe(0);
    }
    await page.goto(`${baseUrl}/`);

    // a full-page screenshot for people to look at (test-results/ is not meant for git)
    await mkdir(join(REPO, 'test-results'), { recursive: true });
    await rm(SCREENSHOT, { force: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
  }, 60_000);
});
