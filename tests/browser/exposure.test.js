#!/usr/bin/env node
/* Browser test of the Exposure pages (issue 20): Settings' physical-presence form (region
 * picker, not free text), the Exposure list with its problem notice, the drill-down, the
 * marketplace-customer form, and the CSV export; at 1280x800 and 390x844 (no horizontal page
 * overflow, every control labelled, no console error). A real `levy serve` + `levy sim`
 * through tests/e2e/harness.py pair, Debian's Chromium through playwright-core.
 *
 *   node tests/browser/exposure.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('exposure.test.js'); // tests/browser/harness.js: checks, levy + sim, HTTP, the run
const { CHROMIUM, ROOT, OUT, LEVY, TOKEN, EVENTS, chromium, log, check, assert, sleep, startPair, http, pickKey, pickToken } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-exposure-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '7', '--invoices', '0', '--public-url']);
  const base = pair.levy_url;
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  });
  ctx.setDefaultTimeout(15000);
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('console', m => { if (m.type() === 'error' && !/status of 422/.test(m.text())) errors.push(m.text()); });
  page.on('pageerror', e => errors.push('pageerror: ' + e.message));
  const unlabelled = [];
  async function shot(name) {
    const bad = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea, button')).filter(el => {
      if (el.type === 'hidden' || !el.getClientRects().length) return false;
      if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
      return !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
    }).map(el => el.outerHTML.slice(0, 80)));
    bad.forEach(b => unlabelled.push(name + ': ' + b));
    await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: true });
  }

  await check('sign in', async () => {
    const out = execFileSync(LEVY, ['signin', '--data-dir', path.join(tmp, 'data'), '--public-url', base],
      { env: Object.assign({}, process.env, { LEVY_API_TOKEN: '' }) }).toString();
    const m = /#signin=([A-Za-z0-9_-]+)/.exec(out);
    assert(m, 'levy signin printed no link');
    await page.goto(base + '/#signin=' + m[1]);
    await page.locator('main h1').first().waitFor();
  });

  await check('Settings: add physical presence through the state picker; an empty form names the field', async () => {
    await page.goto(base + '/#/settings');
    const sec = page.locator('#physical-presence');
    await sec.waitFor();
    const state = sec.getByLabel('State', { exact: true });
    await until(async () => (await state.locator('option').count()) > 40);
    assert(await state.evaluate(el => el.tagName) === 'SELECT', 'the state is not a picker');
    await sec.getByRole('button', { name: 'Add' }).click();
    await sec.locator('.field-error', { hasText: 'US state' }).first().waitFor();
    await state.selectOption('US-NV');
    await sec.getByLabel('What').selectOption('inventory');
    await sec.getByLabel('From', { exact: true }).fill('2025-03-01');
    await sec.getByLabel('Note (optional)').fill('FBA LAS1');
    await sec.getByRole('button', { name: 'Add' }).click();
    await sec.locator('#presence-rows tr', { hasText: 'US-NV' }).waitFor();
    await shot('exposure-settings-presence');
  });

  await check('Exposure: NV listed as nexus since 2025-03-01 with a problem notice; CSV downloads', async () => {
    await page.locator('#nav a[data-route="exposure"]').click();
    await page.locator('#exposure-rows tr', { hasText: 'US-NV' }).waitFor();
    const row = page.locator('#exposure-rows tr', { hasText: 'US-NV' });
    const text = await row.innerText();
    assert(/Nexus/.test(text) && /since 2025-03-01/.test(text), 'row: ' + text);
    await page.locator('#exposure-problems', { hasText: 'US-NV' }).waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const file = await dl.path();
    const csv = fs.readFileSync(file, 'utf8');
    assert(csv.startsWith('region,state,nexus_status') && /US-NV,NV,nexus,2025-03-01/.test(csv), 'csv: ' + csv.slice(0, 200));
    await shot('exposure-list');
  });

  await check('Exposure: marketplace customer added and listed', async () => {
    const sec = page.locator('#marketplace-customers');
    await sec.getByLabel('Customer id (from Rillet)').fill('cus_market_1');
    await sec.getByRole('button', { name: 'Mark as marketplace' }).click();
    await sec.locator('li', { hasText: 'cus_market_1' }).waitFor();
  });

  await check('drill-down: US-NV shows its status, presence and the documents table', async () => {
    await page.locator('#exposure-rows a', { hasText: 'US-NV' }).click();
    await page.locator('h1', { hasText: 'Exposure in US-NV' }).waitFor();
    await page.locator('#exposure-documents dl', { hasText: 'Inventory' }).waitFor();
    await shot('exposure-drill');
  });

  await check('390x844: exposure, drill-down and settings do not overflow horizontally', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const r of ['exposure', 'exposure/US-NV', 'settings']) {
      await page.goto(base + '/#/' + r);
      await page.locator('main h1').first().waitFor();
      await page.locator('main .loading').first().waitFor({ state: 'detached' }).catch(() => {});
      const w = await page.evaluate(() => document.documentElement.scrollWidth);
      const wide = w <= 390 ? [] : await page.evaluate(() => Array.from(document.querySelectorAll('main *'))
        .filter(el => el.getBoundingClientRect().right > 391 && !el.closest('.table-wrap'))
        .slice(-3).map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right)));
      assert(w <= 390, r + ' is ' + w + 'px wide: ' + wide.join(' | '));
      await shot('narrow-' + r.replace('/', '-'));
    }
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

async function until(fn, ms) {
  const end = Date.now() + (ms || 15000);
  while (Date.now() < end) { if (await fn()) return; await new Promise(r => setTimeout(r, 200)); }
  throw new Error('timed out');
}
t.run(main);
