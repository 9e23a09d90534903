#!/usr/bin/env node
/* Browser test of "Recount kept sums" on the Settings page (issue 20 operations,
 * plugins/rillet/recount.lua): after the exposure day sums and a connection's document count
 * are changed in the store behind levy's back, the Settings page's Recount button runs the
 * recount, shows a progress bar while it runs and then says in plain words what differed and
 * is fixed, per kept table ("Exposure sums (US sales per state and day): 2 days differed from
 * the documents — fixed."); the kept tables equal the documents again. At 1280x800 and 390x844
 * (no horizontal page overflow, every control labelled, no console error). A real
 * `levy serve` + `levy sim` through tests/e2e/harness.py pair, Debian's Chromium through
 * playwright-core.
 *
 *   node tests/browser/recount.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('recount.test.js');
const { ROOT, LEVY, TOKEN, EVENTS, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-recount-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '20', '--public-url', '--port-base', '46380']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);
  const db = path.join(tmp, 'data', 'levy.db');
  const py = (code) => execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c', code, db]).toString().trim();
  /* the kept exposure sums against the same sums counted from the documents: "ok" or the difference */
  const ORACLE = 'import sqlite3,sys\n' +
    'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
    'kept = sorted(db.execute("SELECT doc_type, doc_date, state, docs FROM rillet_us_days").fetchall())\n' +
    'docs = sorted(db.execute("SELECT t, d, s, count(*) FROM (SELECT \'invoice\' AS t, d.doc_date AS d, upper(k.ship_state) AS s FROM invoices d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id WHERE d.deleted = 0 AND d.currency = \'USD\' AND upper(k.ship_country) = \'US\' AND k.ship_state IS NOT NULL AND COALESCE(d.net_amount, k.total_amount) IS NOT NULL) GROUP BY t, d, s").fetchall())\n' +
    'print("ok" if kept == docs else "differ")\n';

  await check('setup: levy connected to the simulator, its invoices taxed', async () => {
    const { key, usd } = await t.simReady(simUrl);
    for (const code of ['US-CA', 'US-NY', 'US-TX', 'US-WA', 'US-IL']) {
      const r = await api('PUT', '/v1/regions/' + code, { subscribed: true, tax_calculation: true });
      assert(r.status === 200, 'subscribe ' + code + ': ' + r.status);
    }
    await t.connectRillet(base, simUrl, key, usd, '2026-01-01', { INVOICE: EVENTS });
    await t.until('the kept sums ready and exposure sums kept', async () => {
      const s = (await api('GET', '/v1/reports/filing/sums')).json;
      return s && s.ready && s.liability_ready && py(ORACLE) === 'ok' &&
        Number(py('import sqlite3,sys\nprint(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM rillet_us_days").fetchone()[0])')) >= 2;
    }, 180000, 500);
  });

  await check('behind levy\'s back: two exposure days removed, a connection\'s count changed', async () => {
    py('import sqlite3,sys\n' +
      'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
      'for r in db.execute("SELECT doc_type, doc_date, state FROM rillet_us_days ORDER BY doc_date LIMIT 2").fetchall():\n' +
      '    db.execute("DELETE FROM rillet_us_days WHERE doc_type = ? AND doc_date = ? AND state = ?", r)\n' +
      'db.execute("INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided) VALUES (\'con_gone\', \'invoice\', 0, 5, 5)")\n' +
      'db.commit()\n');
    assert(py(ORACLE) === 'differ', 'the exposure sums still equal the documents');
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);

  await check('Settings: Recount kept sums, with its progress, then what was fixed in words', async () => {
    await page.goto(base + '/#/settings');
    const btn = page.locator('#recount-start');
    await btn.waitFor();
    await page.locator('#recount-status', { hasText: 'No recount has run yet.' }).waitFor();
    await btn.click();
    await page.locator('#recount-status', { hasText: 'Fixed from the documents' }).waitFor({ timeout: 120000 });
    const items = await page.locator('#recount-tables li').allInnerTexts();
    assert(items.some((x) => x === 'Exposure sums (US sales per state and day): 2 days differed from the documents — fixed.'),
      'exposure: ' + items.join(' | '));
    assert(items.some((x) => x.startsWith('Documents per connection') && x.includes('1 connection differed from the documents — fixed')),
      'connections: ' + items.join(' | '));
    assert(items.some((x) => x.includes('matched the documents')), 'the tables that were right: ' + items.join(' | '));
    assert(await page.locator('#recount-bar').isHidden(), 'the progress bar is still shown');
    assert(!(await btn.isDisabled()), 'the button stays disabled');
    await shot('recount-settings');
    assert(py(ORACLE) === 'ok', 'the exposure sums differ from the documents after the recount');
    const s = (await api('GET', '/v1/store/recount')).json;
    assert(s.state === 'done' && s.fixed >= 3, 'state: ' + JSON.stringify(s).slice(0, 300));
  });

  await check('Settings at 390 px: the recount card fits the page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#/settings');
    await page.locator('#recount-status', { hasText: 'Every kept total matched' }).or(
      page.locator('#recount-status', { hasText: 'Fixed from the documents' })).waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(w <= 390, 'the page is ' + w + 'px wide');
    await shot('recount-settings-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
