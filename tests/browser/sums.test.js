#!/usr/bin/env node
/* Browser test of the reports' kept sums check (issue 20, liab20): after a kept liability sum
 * is changed in the store behind levy's back and a check finds it, Home lists it under Needs
 * attention, the Reports page's Tax liability section and the Filing report say it in plain
 * words ("The kept liability totals differ from the documents for 1 period (<month>)") with a
 * Rebuild button; the button rebuilds them (its check then ends ok) and the notices are gone.
 * At 1280x800, the Filing notice at 390x844 too (no horizontal page overflow, every control
 * labelled, no console error). A real `levy serve` + `levy sim` through tests/e2e/harness.py
 * pair, Debian's Chromium through playwright-core.
 *
 *   node tests/browser/sums.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('sums.test.js'); // tests/browser/harness.js: checks, levy + sim, HTTP, the run
const { ROOT, LEVY, TOKEN, EVENTS, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-sums-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '30', '--public-url', '--port-base', '17800']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);
  let month = null;

  await check('setup: levy connected to the simulator, its invoices taxed and written back, the kept sums ready', async () => {
    const { key, usd } = await t.simReady(simUrl);
    for (const code of ['US-CA', 'US-NY', 'US-TX', 'US-WA', 'US-IL']) {
      const r = await api('PUT', '/v1/regions/' + code, { subscribed: true, tax_calculation: true });
      assert(r.status === 200, 'subscribe ' + code + ': ' + r.status);
    }
    await t.connectRillet(base, simUrl, key, usd, '2026-01-01', { INVOICE: EVENTS });
    await t.until('collected tax in the liability report and the kept sums ready', async () => {
      const s = (await api('GET', '/v1/reports/filing/sums')).json;
      const l = (await api('GET', '/v1/reports/liability?from=2026-01-01&to=2026-12-31&not_collected_limit=1')).json;
      return s && s.ready && s.liability_ready && l && l.totals && l.totals.USD && Number(l.totals.USD.tax) > 0;
    }, 180000, 500);
  });

  await check('a kept liability sum changed in the store is found by the check (kind liability, 1 period)', async () => {
    /* the store is SQLite here: one UPDATE beside the running levy (WAL), as an operator's hand edit */
    const py = 'import sqlite3,sys\n' +
      'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
      'k, m = db.execute("SELECT k, month FROM rillet_filing_sums WHERE kind = \'ltax\' AND tax > 0 AND docs > 0 ORDER BY k LIMIT 1").fetchone()\n' +
      'db.execute("UPDATE rillet_filing_sums SET tax = tax + 500 WHERE k = ?", (k,))\n' +
      'db.commit()\n' +
      'print(m)\n';
    month = execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c', py, path.join(tmp, 'data', 'levy.db')]).toString().trim();
    assert(/^\d{4}-\d{2}$/.test(month), 'changed month: ' + month);
    const r = await api('POST', '/v1/reports/filing/sums/check');
    assert(r.status === 202, 'check: ' + r.status);
    const s = await t.until('the check', async () => {
      const x = (await api('GET', '/v1/reports/filing/sums')).json;
      return x && x.check && x.check.state !== 'running' ? x : null;
    }, 120000, 300);
    const k = s.check.kinds || {};
    assert(s.check.state === 'mismatch' && k.liability && k.liability.periods === 1 && k.liability.months[0] === month,
      'check: ' + JSON.stringify(s.check).slice(0, 300));
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  const monthName = () => new Date(Date.UTC(+month.slice(0, 4), +month.slice(5, 7) - 1, 1))
    .toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const SAID = () => 'The kept liability totals differ from the documents for 1 period (' + monthName() + ').';

  await t.signIn(page, tmp, base);

  await check('Home: Needs attention says the kept liability totals differ, linking to the Filing report', async () => {
    await page.goto(base + '/#/home');
    const item = page.locator('#attention-kept-sums');
    await item.waitFor();
    const text = await item.innerText();
    assert(text.includes(SAID()) && /rebuilt/.test(text), 'item: ' + text);
    assert(await item.locator('a').getAttribute('href') === '#/filing', 'link: ' + await item.locator('a').getAttribute('href'));
    await shot('sums-home');
  });

  await check('Reports: the Tax liability section says it above its table, with Rebuild', async () => {
    await page.goto(base + '/#/reports');
    const box = page.locator('#liability-sums-mismatch');
    await box.waitFor();
    const text = await box.innerText();
    assert(text.includes(SAID()), 'notice: ' + text);
    assert(await page.locator('#liability-sums-mismatch-rebuild').innerText() === 'Rebuild', 'no Rebuild button');
    assert(await page.locator('#liability #liability-sums-mismatch').count() === 1, 'the notice is not in the liability section');
    await shot('sums-reports');
  });

  await check('Filing report at 390 px: the notice fits the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#/filing');
    await page.locator('#filing-sums-mismatch').waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, 'the page is ' + w + 'px wide');
    await shot('sums-filing-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('Filing report: the notice with Rebuild; Rebuild rebuilds the sums and its check ends ok', async () => {
    await page.goto(base + '/#/filing');
    const box = page.locator('#filing-sums-mismatch');
    await box.waitFor();
    assert((await box.innerText()).includes(SAID()), 'notice: ' + await box.innerText());
    await shot('sums-filing');
    await page.locator('#filing-sums-mismatch-rebuild').click();
    await box.locator('p', { hasText: 'Rebuilding the kept sums from the documents' }).waitFor();
    const s = await t.until('the rebuild and its check', async () => {
      const x = (await api('GET', '/v1/reports/filing/sums')).json;
      return x && x.ready && x.liability_ready && x.check.state !== 'running' ? x : null;
    }, 120000, 300);
    assert(s.check.state === 'ok' && s.check.kinds.liability.mismatches === 0, 'after the rebuild: ' + JSON.stringify(s.check).slice(0, 300));
  });

  await check('after the rebuild: nothing about the sums on Home, no notice on the Filing report', async () => {
    await page.goto(base + '/#/home');
    await page.locator('#attention li:not(.loading)').first().waitFor();
    assert(await page.locator('#attention-kept-sums').count() === 0, 'Home still lists the kept sums');
    await page.goto(base + '/#/filing');
    await page.locator('#filing table').first().waitFor();
    await page.waitForLoadState('networkidle');
    assert(await page.locator('#filing-sums-mismatch').count() === 0, 'the notice is still shown');
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
