// The dashboard in a real browser against a real daemon (tests/browser/dashboard.sh
// starts it on its own moto server and lets it scan twice, with changes between):
// pages redirect to the sign-in without a session, a wrong token is refused, the right
// one signs in (the cookie is HttpOnly and SameSite=Strict, the token in no URL); the
// accounts, scores over time, findings by lifecycle (filters change the row count, a
// finding opens its details), drift per resource and a scan's details all render, with
// no console error and no request leaving the daemon. Screenshots go to ARTEFACTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.DASHBOARD_URL;
const TOKEN = readFileSync(process.env.VIGIL_TOKEN_FILE, 'utf8').trim();
const ARTEFACTS = resolve(process.env.ARTEFACTS ?? '../../target/browser-artefacts');
mkdirSync(ARTEFACTS, { recursive: true });
const ORIGIN = new URL(BASE).origin;

let browser;
before(async () => {
  assert.ok(BASE, 'DASHBOARD_URL is set (tests/browser/dashboard.sh sets it)');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});
after(async () => { await browser?.close(); });

/** A browser context that records what must never happen: a console error or
 * warning, a page error, a request to anything but the daemon, a URL with the token. */
async function context() {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await ctx.newPage();
  const problems = { console: [], errors: [], requests: [], tokenInUrl: [] };
  await ctx.route('**/*', (route) => {
    const url = route.request().url();
    if (url.includes(TOKEN)) { problems.tokenInUrl.push(url); }
    if (new URL(url).origin === ORIGIN) { return route.continue(); }
    problems.requests.push(url);
    return route.abort();
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { problems.console.push(m.text()); } });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  return { ctx, page, problems };
}

function clean(problems) {
  assert.deepEqual(problems.errors, [], 'page errors');
  assert.deepEqual(problems.console, [], 'console errors and warnings');
  assert.deepEqual(problems.requests, [], 'requests that leave the daemon');
  assert.deepEqual(problems.tokenInUrl, [], 'the token in a URL');
}

async function signIn(page, token = TOKEN) {
  await page.goto(`${BASE}/login`);
  await page.fill('#token', token);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
}

/** Nothing in the DOM points outside the daemon. */
async function noExternalUrl(page) {
  const external = await page.$$eval('[src],[href],[action],[srcset],[poster]', (els) => els
    .flatMap((e) => ['src', 'href', 'action', 'srcset', 'poster'].map((a) => e.getAttribute(a)))
    .filter((v) => v && /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(v.trim())));
  assert.deepEqual(external, [], `external URLs on ${page.url()}`);
}

const matches = (page) => page.$eval('#count', (e) => Number(e.dataset.matches));
const rows = (page) => page.$$eval('#rows tr', (r) => r.length);

test('without a session every page leads to the sign-in; a wrong token is refused', async () => {
  const { ctx, page, problems } = await context();
  for (const path of ['/', '/findings', '/drift', '/accounts/x', '/scans/1']) {
    await page.goto(`${BASE}${path}`);
    assert.equal(new URL(page.url()).pathname, '/login', `${path} redirects`);
  }
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-login.png` });
  await signIn(page, 'not-the-token');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.ok(await page.$('#login-error'), 'the wrong token is said to be wrong');
  assert.deepEqual(await ctx.cookies(), [], 'no session for a wrong token');
  // The API's 401 for the wrong token is the only console line allowed here: a
  // failed sign-in page answers 401, which Chromium logs as a failed resource load.
  problems.console = problems.console.filter((m) => !m.includes('401'));
  clean(problems);
  await ctx.close();
});

test('sign-in sets a session cookie scripts cannot read; sign-out ends it', async () => {
  const { ctx, page, problems } = await context();
  await signIn(page);
  assert.equal(new URL(page.url()).pathname, '/');
  const cookies = await ctx.cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].name, 'vigil_session');
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');
  assert.ok(!cookies[0].value.includes(TOKEN), 'the cookie is not the token');
  assert.equal(await page.evaluate(() => document.cookie), '', 'no script reads the session');
  await Promise.all([page.waitForNavigation(), page.click('#logout')]);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.goto(`${BASE}/`);
  assert.equal(new URL(page.url()).pathname, '/login', 'signed out');
  clean(problems);
  await ctx.close();
});

test('accounts, scores over time and a scan\'s details', async () => {
  const { ctx, page, problems } = await context();
  await signIn(page);
  const accounts = await page.$$eval('tr.account', (r) => r.map((x) => x.dataset.account));
  assert.equal(accounts.length, 1, `one account: ${accounts}`);
  assert.match(accounts[0], /^\d{12}$/);
  assert.ok(await page.$$eval('#scans-table tbody tr', (r) => r.length) >= 2, 'two scans listed');
  assert.ok(await page.$('tr.account svg.bar'), 'the results bar');
  await noExternalUrl(page);
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-accounts.png`, fullPage: true });

  await Promise.all([page.waitForNavigation(), page.click('tr.account td:first-child a')]);
  assert.equal(await page.$$eval('#maturity-trend svg.chart circle.dot', (d) => d.length), 2, 'maturity over two scans');
  assert.equal(await page.$$eval('#pass-trend svg.chart circle.dot', (d) => d.length), 2, 'pass rate over two scans');
  assert.equal(await page.$$eval('tr.epic', (r) => r.length), 10, 'the report\'s maturity section: ten epics');
  assert.ok(await page.$('section#scores table.scores'), 'the report\'s scores section');
  await noExternalUrl(page);
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-account.png`, fullPage: true });

  // The latest scan: succeeded, with the changes it saw.
  await Promise.all([page.waitForNavigation(), page.click('#account-scans tbody tr:first-child a')]);
  assert.equal(await page.textContent('#scan-status'), 'succeeded');
  const changes = await page.$eval('#drift-count', (e) => Number(e.dataset.changes));
  assert.ok(changes >= 3, `the second scan saw changes: ${changes}`);
  await noExternalUrl(page);
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-scan.png`, fullPage: true });
  clean(problems);
  await ctx.close();
});

test('findings by lifecycle: tabs and filters change the rows, a finding opens', async () => {
  const { ctx, page, problems } = await context();
  await signIn(page);
  await page.goto(`${BASE}/findings`);
  await page.waitForSelector('html[data-ready="true"]');
  const total = await matches(page);
  assert.ok(total > 10, `${total} findings`);
  const tabs = Object.fromEntries(await page.$$eval('#tabs a', (a) => a.map((x) => [x.textContent.split(' (')[0], Number(x.dataset.count)])));
  for (const state of ['New', 'Open', 'Resolved', 'Muted']) {
    assert.ok(tabs[state] > 0, `${state}: ${tabs[state]} (${JSON.stringify(tabs)})`);
  }
  assert.equal(tabs.All, total);
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-findings.png`, fullPage: true });

  // The lifecycle filter in the page narrows to the tab's count.
  await page.selectOption('#f-lifecycle', 'RESOLVED');
  assert.equal(await matches(page), tabs.Resolved);
  const states = await page.$$eval('#rows tr .tag.lc', (c) => [...new Set(c.map((x) => x.textContent))]);
  assert.deepEqual(states, ['RESOLVED']);
  await page.selectOption('#f-lifecycle', '');
  // The report's filters work on the stored findings too.
  await page.selectOption('#f-status', 'FAIL');
  const failing = await matches(page);
  assert.ok(failing > 0 && failing < total, `${failing} of ${total}`);
  await page.click('#f-reset');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) === n, total);
  await page.fill('#f-search', 'vigil-dash-new');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) < n, total);
  const fresh = await matches(page);
  assert.ok(fresh > 0, 'the bucket created between the scans has findings');
  assert.deepEqual(
    await page.$$eval('#rows tr .tag.lc', (c) => [...new Set(c.map((x) => x.textContent))].filter((s) => s !== 'MUTED')),
    ['NEW'], 'its failures are NEW');

  // A NEW finding opens its details: lifecycle, evidence, remediation.
  await page.click('#rows tr:has(.tag.lc.NEW)');
  await page.waitForSelector('dialog#detail[open]');
  const detail = await page.textContent('#detail-body');
  for (const text of ['Lifecycle', 'NEW', 'First seen', 'Evidence', 'Remediation', 'Mappings']) {
    assert.ok(detail.includes(text), `details show ${text}`);
  }
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-finding.png` });
  await page.click('#detail-close');

  // The server-side tab narrows the page itself.
  await Promise.all([page.waitForNavigation(), page.click('#tabs a:text("Open")')]);
  await page.waitForSelector('html[data-ready="true"]');
  assert.equal(await matches(page), tabs.Open);
  assert.equal(await rows(page), Math.min(tabs.Open, 100));

  // A tag value with markup stays text: shown in the details, never an element.
  await page.goto(`${BASE}/findings`);
  await page.waitForSelector('html[data-ready="true"]');
  await page.fill('#f-search', 'vigil-dash-closed');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) < n, total);
  await page.click('#rows tr:first-child');
  await page.waitForSelector('dialog#detail[open]');
  assert.ok((await page.textContent('#detail-body')).includes('<img src=x onerror=alert(1)>'));
  assert.equal(await page.$$eval('img', (i) => i.length), 0, 'no injected element');
  await noExternalUrl(page);
  clean(problems);
  await ctx.close();
});

test('drift per resource shows what changed between the scans', async () => {
  const { ctx, page, problems } = await context();
  await signIn(page);
  await page.goto(`${BASE}/drift`);
  const resources = await page.$$eval('details.resource summary a', (a) => a.map((x) => x.textContent));
  for (const bucket of ['vigil-dash-gone', 'vigil-dash-new']) {
    assert.ok(resources.some((r) => r.endsWith(`:::${bucket}`)), `${bucket} drifted: ${resources}`);
  }
  const group = resources.find((r) => r.includes(':security-group/'));
  assert.ok(group, `the security group drifted: ${resources}`);
  assert.ok(await page.$('tr.change.removed'), 'a removed resource');
  assert.ok(await page.$('tr.change.added'), 'an added resource');
  const paths = await page.$$eval('tr.change.modified td.rid', (t) => t.map((x) => x.textContent));
  assert.ok(paths.some((p) => p.startsWith('/properties/ingress')), `its ingress changed: ${paths}`);
  const after = await page.$$eval('tr.change.modified td pre', (t) => t.map((x) => x.textContent).join(' '));
  assert.ok(after.includes('10.0.0.0/8'), 'the new rule is shown');
  await page.screenshot({ path: `${ARTEFACTS}/dashboard-drift.png`, fullPage: true });

  // One resource's own history.
  await Promise.all([page.waitForNavigation(), page.click('details.resource summary a:has-text("security-group")')]);
  assert.equal(await page.$$eval('details.resource', (d) => d.length), 1);
  assert.ok(await page.$('tr.change.modified'));
  await noExternalUrl(page);
  clean(problems);
  await ctx.close();
});
