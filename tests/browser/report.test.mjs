// The HTML report in a real browser (Debian's headless Chromium, driven by
// playwright-core): it loads with no console error and no request leaving the file,
// filters change the row count, a finding opens its details (evidence, attack path,
// remediation), markup injected through a resource name and tag stays text, and the
// print stylesheet hides the controls. Screenshots and a PDF are kept in ARTEFACTS.
//
// REPORT and REPORT_50K name the files (tests/browser/run.sh writes them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const REPORT = resolve(process.env.REPORT ?? '../../target/report-artefacts/report.html');
const REPORT_50K = resolve(process.env.REPORT_50K ?? '../../target/report-artefacts/report-50k.html');
const ARTEFACTS = resolve(process.env.ARTEFACTS ?? '../../target/browser-artefacts');
mkdirSync(ARTEFACTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // --user-data-dir is refused as an argument: playwright gives every launch a
    // fresh, empty profile of its own.
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
});
after(async () => { await browser?.close(); });

/** Opens a report and records what must never happen: a console error, a page
 * error, a request for anything but the file itself. */
async function open(file, viewport = { width: 1400, height: 1000 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = { console: [], errors: [], requests: [] };
  const self = pathToFileURL(file).href;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === self) { return route.continue(); }
    problems.requests.push(url);
    return route.abort();
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { problems.console.push(m.text()); } });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  page.on('request', (r) => { if (r.url() !== self) { problems.requests.push(r.url()); } });
  const started = Date.now();
  await page.goto(self);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
  const loadMs = Date.now() - started;
  return { context, page, problems, loadMs };
}

function clean(problems) {
  assert.deepEqual(problems.errors, [], 'page errors');
  assert.deepEqual(problems.console, [], 'console errors and warnings');
  assert.deepEqual(problems.requests, [], 'requests outside the file');
}

const matches = (page) => page.$eval('#count', (e) => Number(e.dataset.matches));
const rows = (page) => page.$$eval('#rows tr', (r) => r.length);

test('the report loads offline, filters and opens a finding', async () => {
  const { context, page, problems } = await open(REPORT);
  await page.screenshot({ path: `${ARTEFACTS}/report-full.png`, fullPage: true });
  const total = await matches(page);
  assert.ok(total > 100, `${total} findings`);
  assert.equal(await rows(page), 100, 'one page of rows');

  // Every section is there, and the epics and enablers are listed.
  for (const id of ['scan', 'scores', 'maturity', 'compliance', 'findings', 'inventory']) {
    assert.ok(await page.$(`section#${id}`), `section ${id}`);
  }
  assert.equal(await page.$$eval('tr.epic', (r) => r.length), 10, 'ten epics');
  assert.equal(await page.$$eval('tr.enabler', (r) => r.length), 7, 'seven enablers');
  assert.equal(await page.$$eval('details.framework', (d) => d.length), 7, 'seven frameworks');

  // Status filter: fewer rows, every one FAIL.
  await page.selectOption('#f-status', 'FAIL');
  const failing = await matches(page);
  assert.ok(failing > 0 && failing < total, `${failing} of ${total}`);
  const statuses = await page.$$eval('#rows tr td:first-child', (c) => [...new Set(c.map((x) => x.textContent))]);
  assert.deepEqual(statuses, ['FAIL']);
  // Severity narrows further; a search narrows again.
  await page.selectOption('#f-severity', 'high');
  const high = await matches(page);
  assert.ok(high > 0 && high <= failing, `${high} high of ${failing}`);
  await page.selectOption('#f-service', 's3');
  const s3 = await matches(page);
  assert.ok(s3 <= high);
  await page.locator('section#findings').screenshot({ path: `${ARTEFACTS}/report-filtered.png` });
  await page.click('#f-reset');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) === n, total);
  await page.fill('#f-search', 'cloudtrail');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) < n, total);
  const searched = await matches(page);
  assert.ok(searched > 0, 'the search finds cloudtrail findings');
  await page.click('#f-reset');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) === n, total);

  // Each of the other filters has options and narrows the list.
  for (const key of ['region', 'account', 'caf', 'waf', 'epic', 'rule']) {
    const values = await page.$$eval(`#f-${key} option`, (o) => o.map((x) => x.value).filter(Boolean));
    assert.ok(values.length > 0, `${key} has options`);
    await page.selectOption(`#f-${key}`, values[values.length - 1]);
    const n = await matches(page);
    assert.ok(n > 0 && n <= total, `${key}=${values[values.length - 1]}: ${n}`);
    await page.selectOption(`#f-${key}`, '');
  }

  // The first row (worst first) opens its details: evidence, attack path, remediation.
  await page.click('#rows tr:first-child');
  await page.waitForSelector('dialog#detail[open]');
  const detail = await page.textContent('#detail-body');
  for (const heading of ['Evidence', 'Remediation', 'Mappings', 'References']) {
    assert.ok(detail.includes(heading), `details show ${heading}`);
  }
  assert.ok(await page.$('dialog#detail pre.path'), 'the attack path is shown');
  assert.match(await page.textContent('dialog#detail pre.path'), /--\[sts_assume_role\]-->/);
  await page.screenshot({ path: `${ARTEFACTS}/report-finding.png` });
  await page.click('#detail-close');
  await page.waitForSelector('dialog#detail', { state: 'hidden' });

  // Nothing in the DOM points outside the file.
  const external = await page.$$eval('[src],[href],[action],[srcset],[poster]', (els) => els
    .flatMap((e) => ['src', 'href', 'action', 'srcset', 'poster'].map((a) => e.getAttribute(a)))
    .filter((v) => v && /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(v.trim())));
  assert.deepEqual(external, []);
  clean(problems);
  await context.close();
});

test('markup in a resource name or tag stays text', async () => {
  const { context, page, problems } = await open(REPORT);
  const total = await matches(page);
  await page.fill('#f-search', 'pwned');
  // The search applies after a short debounce: wait for it to narrow the list.
  await page.waitForFunction((n) => {
    const m = Number(document.querySelector('#count').dataset.matches);
    return m > 0 && m < n;
  }, total);
  await page.click('#rows tr:first-child');
  await page.waitForSelector('dialog#detail[open]');
  const detail = await page.textContent('#detail-body');
  assert.ok(detail.includes('</script><script>window.__pwned=1</script>'), `the name is shown as text: ${detail.slice(0, 400)}`);
  assert.ok(detail.includes('<img src=x onerror='), 'the tag is shown as text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no injected script ran');
  assert.equal(await page.$$eval('img', (i) => i.length), 0, 'no injected element');
  assert.equal(await page.$$eval('script', (s) => s.length), 2, 'only the data and the report script');
  await page.screenshot({ path: `${ARTEFACTS}/report-hostile-name.png` });
  clean(problems);
  await context.close();
});

test('the print stylesheet hides the controls and prints the selection', async () => {
  const { context, page, problems } = await open(REPORT);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.$eval('#filters', (e) => getComputedStyle(e).display), 'none');
  assert.equal(await page.$eval('header.top', (e) => getComputedStyle(e).display), 'none');
  await page.evaluate(() => window.dispatchEvent(new Event('beforeprint')));
  assert.ok(await rows(page) > 100, 'print shows more than one page of rows');
  assert.equal(await page.$$eval('details.framework:not([open])', (d) => d.length), 0, 'frameworks open');
  await page.pdf({ path: `${ARTEFACTS}/report.pdf`, format: 'A4', printBackground: true });
  await page.screenshot({ path: `${ARTEFACTS}/report-print.png` });
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  assert.equal(await rows(page), 100);
  clean(problems);
  await context.close();
});

test('50,000 findings load, filter and page in the browser', async () => {
  const { context, page, problems, loadMs } = await open(REPORT_50K);
  const total = await matches(page);
  assert.equal(total, 50_000);
  let started = Date.now();
  await page.selectOption('#f-status', 'FAIL');
  const failing = await matches(page);
  const filterMs = Date.now() - started;
  assert.ok(failing > 0 && failing < total);
  started = Date.now();
  await page.fill('#f-search', 'eu-west-1');
  await page.waitForFunction((n) => Number(document.querySelector('#count').dataset.matches) < n, failing);
  const searchMs = Date.now() - started;
  await page.selectOption('#f-account', '444455556666');
  const narrowed = await matches(page);
  assert.ok(narrowed > 0 && narrowed < failing);
  await page.click('#next').catch(() => {});
  await page.click('#rows tr:first-child');
  await page.waitForSelector('dialog#detail[open]');
  await page.screenshot({ path: `${ARTEFACTS}/report-50k.png` });
  console.log(`50,000 findings: loaded in ${loadMs} ms, status filter ${filterMs} ms, search ${searchMs} ms (with the 120 ms debounce)`);
  assert.ok(loadMs < 30_000, `load took ${loadMs} ms`);
  clean(problems);
  await context.close();
});
