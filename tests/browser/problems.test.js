#!/usr/bin/env node
/* Browser test of issue 20's "every problem levy knows about is on the home page with the link
 * that fixes it" (home20), for the problems that were only in metrics and alerts or only in the
 * dismissible getting-started checklist:
 *   - a rejected reload of rules/plugins (the previous generation keeps serving): Home says it
 *     in plain words, linking to the Rules page, which names the file, line and message; a
 *     reload that takes clears it;
 *   - a background job that gave up after its retries (state dead): Home says what it was doing,
 *     linking to the Rules page's list of such jobs with each one's last error;
 *   - no seller address: Home says it (checklist dismissed), linking to Settings; entering one
 *     clears it;
 *   - one name per country: the Invoices region picker says "Türkiye (TR)" as the Regions page
 *     does (it said "Turkey (TR)", the rule script's name).
 * A real `levy serve` + `levy sim` (tests/e2e/harness.py pair, its rules from a copy of scripts/
 * so a broken rule can be written), Debian's Chromium through playwright-core.
 *
 *   node tests/browser/problems.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('problems.test.js');
const { ROOT, LEVY, TOKEN, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-problems-');
  const scripts = path.join(tmp, 'scripts');
  fs.cpSync(path.join(ROOT, 'scripts'), scripts, { recursive: true });
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '5', '--scripts', scripts, '--port-base', '30900']);
  const base = pair.levy_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);
  const broken = path.join(scripts, 'zz_home20_broken.lua');

  await check('GET /admin/generation: no reload yet, no dead job', async () => {
    const g = (await api('GET', '/admin/generation')).json;
    assert(g && g.last_reload === null, 'last_reload: ' + JSON.stringify(g && g.last_reload));
    assert(g.dead_jobs && g.dead_jobs.total === 0 && g.dead_jobs.days === 7, 'dead_jobs: ' + JSON.stringify(g.dead_jobs));
  });

  await check('a broken rule file: the reload is rejected (422) and /admin/generation keeps it as last_reload', async () => {
    fs.writeFileSync(broken, 'return {\n  code = "ZZ",\n  calculate = function( \n');
    const r = await api('POST', '/admin/reload', {});
    assert(r.status === 422, 'reload: ' + r.status + ' ' + r.text);
    const g = (await api('GET', '/admin/generation')).json;
    const lr = g.last_reload || {};
    assert(lr.status === 'rejected' && lr.errors >= 1 && /zz_home20_broken\.lua/.test(lr.file) && lr.message, 'last_reload: ' + JSON.stringify(lr));
  });

  await check('a job that exhausted its retries is in /admin/generation dead_jobs with its last error', async () => {
    /* SQLite beside the running levy (WAL): a write-back job as the runner leaves it after its last try */
    const py = 'import sqlite3,sys,time\n' +
      'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
      'now = int(time.time() * 1000)\n' +
      'db.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, updated_at, last_error) ' +
      'VALUES (\'job_home20deadaaaaaaaaaaaaaaa\', \'rillet.writeback\', NULL, \'{}\', \'dead\', 6, 6, ?, ?, ?, \'Rillet answered 422: line 2 has no tax rate\')", (now, now - 60000, now))\n' +
      'db.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, updated_at, last_error) ' +
      'VALUES (\'job_home20oldbbbbbbbbbbbbbbbb\', \'rillet.import\', NULL, \'{}\', \'dead\', 8, 8, ?, ?, ?, \'too old to show\')", (now, now, now - 8 * 86400000))\n' +
      'db.commit()\n';
    execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c', py, path.join(tmp, 'data', 'levy.db')]);
    const dj = (await api('GET', '/admin/generation')).json.dead_jobs;
    assert(dj.total === 1 && dj.latest.length === 1 && dj.latest[0].kind === 'rillet.writeback' && dj.latest[0].attempts === 6 &&
      /no tax rate/.test(dj.latest[0].last_error) && /^\d{4}-\d\d-\d\dT/.test(dj.latest[0].died_at), 'dead_jobs: ' + JSON.stringify(dj));
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);
  /* the getting-started checklist dismissed, as a user who has read it */
  await page.evaluate(() => localStorage.setItem('levy.onboarding.dismissed', '1'));

  const item = async (id) => {
    await page.goto(base + '/#/home');
    await page.locator('#attention li:not(.loading)').first().waitFor();
    await page.waitForLoadState('networkidle');
    const loc = page.locator('#' + id);
    return (await loc.count()) ? { text: await loc.innerText(), href: await loc.locator('a').getAttribute('href') } : null;
  };

  await check('Home: the rejected reload under Needs attention, in plain words, linking to the Rules page', async () => {
    const it = await item('attention-reload-rejected');
    assert(it, 'no item');
    assert(/refused because of an error in \S*zz_home20_broken\.lua/.test(it.text) &&
      /keeps calculating with the rules it had before/.test(it.text), 'text: ' + it.text);
    assert(it.href === '#/rules', 'link: ' + it.href);
  });

  await check('Home: the job that gave up, saying what it was doing, linking to the Rules page', async () => {
    const it = await item('attention-dead-jobs');
    assert(it, 'no item');
    assert(/gave up on 1 background task in the last 7 days/.test(it.text) && /writing the tax to Rillet/.test(it.text), 'text: ' + it.text);
    assert(it.href === '#/rules', 'link: ' + it.href);
  });

  await check('Home: no seller address under Needs attention (checklist dismissed), linking to Settings', async () => {
    assert(await page.locator('.onboarding-dismiss').count() === 0, 'the checklist is shown');
    const it = await item('attention-seller-address');
    assert(it, 'no item');
    assert(/seller address is not entered/.test(it.text) && /ship from/.test(it.text), 'text: ' + it.text);
    assert(it.href === '#/settings', 'link: ' + it.href);
    await shot('problems-home');
  });

  await check('Rules (the link): the rejected reload with file and message, the job with its last error', async () => {
    await page.locator('#attention-dead-jobs a').click();
    await page.locator('#dead-jobs-table tbody tr[data-job]').first().waitFor();
    const rej = await page.locator('#last-reload-rejected').innerText();
    assert(/was rejected/.test(rej) && /zz_home20_broken\.lua/.test(rej), 'reload notice: ' + rej);
    const rows = page.locator('#dead-jobs-table tbody tr[data-job]');
    assert(await rows.count() === 1, 'rows: ' + await rows.count());
    const row = await rows.first().innerText();
    assert(/writing the tax to Rillet/.test(row) && /line 2 has no tax rate/.test(row), 'row: ' + row);
    await shot('problems-rules');
  });

  await check('the file fixed and reloaded, the seller address entered: Home no longer lists either', async () => {
    fs.unlinkSync(broken);
    const r = await api('POST', '/admin/reload', {});
    assert(r.status === 200, 'reload: ' + r.status + ' ' + r.text);
    const s = await api('PUT', '/v1/settings', { seller_address: { line1: '1 Market St', city: 'San Francisco', state: 'CA', zip_code: '94105', country: 'US' } });
    assert(s.status === 200, 'settings: ' + s.status + ' ' + s.text);
    assert(await item('attention-reload-rejected') === null, 'the reload item is still shown');
    assert(await item('attention-seller-address') === null, 'the seller item is still shown');
    assert(await item('attention-dead-jobs') !== null, 'the dead job is not shown any more');
  });

  await check('one name for a country: the Invoices region picker names TR as the Regions page does (Türkiye)', async () => {
    await page.goto(base + '/#/regions');
    const rc = page.locator('select[name="country"] option[value="TR"]');
    await rc.waitFor({ state: 'attached' });
    const regionsName = (await rc.innerText()).trim();
    await page.goto(base + '/#/invoices');
    const ic = page.locator('select[name="region"] option[value="TR"]');
    await ic.waitFor({ state: 'attached' });
    const invoicesName = (await ic.innerText()).trim();
    assert(regionsName === 'Türkiye (TR)' && invoicesName === regionsName, 'Regions: ' + regionsName + ', Invoices: ' + invoicesName);
    /* a region whose name says more than its country keeps it */
    const ca = (await page.locator('select[name="region"] option[value="CA"]').innerText()).trim();
    assert(ca === 'Canada \u2014 GST/HST (CA)', 'CA: ' + ca);
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
