#!/usr/bin/env node
/* Browser test of issue 20's audit log (audit20): the Activity page says each admin change in
 * plain words ("The API token changed the seller address from … to …", "Browser session
 * 3f9a1c2e subscribed to Texas (US-TX)"), newest first; its "What changed" filter, its CSV
 * download and a region's History link (the page filtered to that region) work; at 1280x800 and
 * 390x844 without horizontal overflow; no key or token is shown. Its Person picker (person20),
 * filled from GET /v1/audit/people, lists what Alice did with her token and in a session opened
 * with it, not Bob's; the CSV then holds only the picked person's rows; once Bob's token is
 * revoked he stays in the picker as "Bob (revoked)" with his rows (tokens23).
 * A real `levy serve` + `levy sim` (tests/e2e/harness.py pair), Debian's Chromium through
 * playwright-core.
 *
 *   node tests/browser/activity.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const t = require('./harness')('activity.test.js');
const { ROOT, LEVY, TOKEN, check, assert, startPair, http } = t;

const SF = { line1: '1 Market St', city: 'San Francisco', state: 'CA', zip_code: '94105', country: 'US' };
const NY = { line1: '500 Broadway', city: 'New York', state: 'NY', zip_code: '10012', country: 'US' };

async function main() {
  const tmp = t.mkTmp('levy-ui-activity-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '5', '--invoices', '2', '--port-base', '41380']);
  const base = pair.levy_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);

  await check('changes through the API token: California subscribed, the seller address set twice', async () => {
    let r = await api('PUT', '/v1/regions/US-CA', { subscribed: true, tax_calculation: true });
    assert(r.status === 200, 'region: ' + r.status);
    r = await api('PUT', '/v1/settings', { seller_address: SF });
    assert(r.status === 200, 'settings 1: ' + r.status);
    r = await api('PUT', '/v1/settings', { seller_address: NY });
    assert(r.status === 200, 'settings 2: ' + r.status);
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);
  await page.evaluate(() => localStorage.setItem('levy.onboarding.dismissed', '1'));

  await check('a change in the UI: Texas subscribed on the Regions page', async () => {
    await page.goto(base + '/#/regions');
    const row = page.locator('tr[data-code="US-TX"]');
    await row.waitFor();
    await row.locator('input[name=subscribed]').check();
    await row.locator('.status-cell.ok').waitFor();
  });

  const rows = page.locator('#activity-table tbody tr[data-id]');
  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await check(w + ' px: Activity lists every change in words, newest first, without overflow', async () => {
      await page.setViewportSize({ width: w, height: hgt });
      await page.goto(base + '/#/activity');
      await rows.first().waitFor();
      const texts = await rows.locator('td.activity-text > span:first-child').allInnerTexts();
      assert(texts.length === 4, 'rows: ' + JSON.stringify(texts));
      assert(/^Browser session [0-9a-f]{8} subscribed to Texas \(US-TX\)\.$/.test(texts[0]), 'newest: ' + texts[0]);
      assert(texts[1] === 'The API token changed the seller address from 1 Market St, San Francisco, CA 94105, US to ' +
        '500 Broadway, New York, NY 10012, US.', 'settings: ' + texts[1]);
      assert(/^The API token changed the seller address from nothing to 1 Market St/.test(texts[2]), 'first settings: ' + texts[2]);
      assert(texts[3] === 'The API token subscribed to California (US-CA) and turned on tax calculation for California (US-CA).',
        'region: ' + texts[3]);
      assert(!texts.some(x => x.includes(TOKEN) || /_/.test(x.replace(/\(US-\w+\)/g, ''))), 'a token or a code in: ' + texts.join(' | '));
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(over <= 0, 'the page overflows by ' + over + ' px');
      await shot('activity-' + w);
    });
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  await check('"What changed: Settings" shows only the two settings changes', async () => {
    await page.goto(base + '/#/activity');
    await rows.first().waitFor();
    await page.locator('select[name=action]').selectOption('settings.');
    await t.until('two rows', async () => (await rows.count()) === 2 &&
      (await rows.evaluateAll(trs => trs.every(tr => tr.dataset.action === 'settings.updated'))), 15000, 200);
  });

  await check('Download CSV: the filtered rows, one line per changed field', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('.list-csv').click()]);
    const lines = fs.readFileSync(await dl.path(), 'utf8').split('\r\n').filter(Boolean);
    assert(lines[0] === 'id,at,actor_kind,actor,action,object_kind,object_id,object_label,field,before,after,request_id,person', 'header: ' + lines[0]);
    assert(lines.length === 3 && lines.slice(1).every(l => l.includes(',settings.updated,') && l.includes(',seller_address,')),
      'lines: ' + lines.join(' | '));
    assert(!lines.some(l => l.includes(TOKEN)), 'the API token in the CSV');
  });

  await check('a region\'s History link opens Activity filtered to it', async () => {
    await page.goto(base + '/#/regions');
    const link = page.locator('tr[data-code="US-CA"] a.history-link');
    await link.waitFor();
    assert(await link.getAttribute('aria-label') === 'History of California', 'label: ' + await link.getAttribute('aria-label'));
    await link.click();
    await page.locator('#activity-filtered').filter({ hasText: 'US-CA' }).waitFor();
    await t.until('one row', async () => (await rows.count()) === 1, 15000, 200);
    const text = await rows.first().locator('td.activity-text > span:first-child').innerText();
    assert(/California \(US-CA\)/.test(text) && !/Texas/.test(text), 'row: ' + text);
    assert(await page.locator('input[name=object_id]').inputValue() === 'US-CA', 'object id field');
  });

  await check('work asked for by hand: "What changed: Filing sums" shows a sums check in words', async () => {
    const r = await api('POST', '/v1/reports/filing/sums/check', {});
    assert(r.status === 202, 'sums check: ' + r.status);
    await page.goto(base + '/#/activity');
    await rows.first().waitFor();
    await page.locator('select[name=action]').selectOption('filing_sums.');
    await t.until('one row', async () => (await rows.count()) === 1 &&
      (await rows.first().getAttribute('data-action')) === 'filing_sums.check_requested', 15000, 200);
    const text = await rows.first().locator('td.activity-text > span:first-child').innerText();
    assert(text === 'The API token asked for a check of the filing sums against the documents.', 'row: ' + text);
  });

  await check('reloads by SIGHUP with new rates, syncs, reconciliations and tax id checks read as sentences', async () => {
    const said = await page.evaluate(() => [
      { actor_kind: 'system', actor: 'signal', action: 'rules.reloaded', object_kind: 'generation',
        changes: { generation: { before: 1, after: 2 }, rates: { before: 'avalara-zip5 2025-12', after: 'avalara-zip5 2025-12, avalara-zip5 2026-03' } } },
      { actor_kind: 'system', actor: 'watch', action: 'rules.reloaded', object_kind: 'generation',
        changes: { generation: { before: 2, after: 3 } } },
      { actor_kind: 'api_token', actor: 'API token', action: 'connection.sync_requested', object_kind: 'connection',
        object_label: 'Rillet connection c1', changes: { sync: { before: null, after: 'queued' } } },
      { actor_kind: 'api_token', actor: 'API token', action: 'connection.reconcile_requested', object_kind: 'connection',
        object_label: 'Rillet connection c1', changes: {} },
      { actor_kind: 'ui_session', actor: 'UI session 3f9a1c2e', action: 'customer.tax_id_verified', object_kind: 'customer',
        object_label: 'Example GmbH', changes: { tax_id_check: { before: 'not_registered', after: 'registered' } } },
      { actor_kind: 'system', actor: 'rates update schedule', action: 'filing_sums.rebuild_requested', object_kind: 'filing_sums', changes: {} },
    ].map(window.levy.activitySentence));
    const want = [
      'levy (on a SIGHUP) reloaded the rules and plugins (generation 1 → 2) with new rate tables: avalara-zip5 2025-12, avalara-zip5 2026-03 (were avalara-zip5 2025-12).',
      'levy (--watch saw a changed file) reloaded the rules and plugins (generation 2 → 3).',
      'The API token asked for a sync of Rillet connection c1 now.',
      'The API token started a reconciliation of Rillet connection c1 with Rillet.',
      'Browser session 3f9a1c2e checked the tax id of Example GmbH with the registry (answer: registered, was not registered).',
      'levy’s scheduled rate update asked for the filing sums to be rebuilt from the documents.',
    ];
    for (let i = 0; i < want.length; i++) assert(said[i] === want[i], 'sentence ' + i + ': ' + said[i]);
  });

  /* the audit log by person (person20): Alice's token and a UI session opened with it, Bob's token */
  const tok = {};
  await check('people: Alice changes US-WA with her token and US-OR in a session opened with it, Bob US-NV', async () => {
    for (const n of ['Alice', 'Bob']) {
      const r = await api('POST', '/v1/tokens', { name: n });
      assert(r.status === 201, 'token ' + n + ': ' + r.status);
      tok[n] = r.json.token;
    }
    let r = await http('PUT', base + '/v1/regions/US-WA', { subscribed: true }, { Authorization: 'Bearer ' + tok.Alice });
    assert(r.status === 200, 'Alice: ' + r.status);
    r = await http('POST', base + '/v1/session', { api_token: tok.Alice }, {});
    assert(r.status === 201, 'session: ' + r.status);
    r = await http('PUT', base + '/v1/regions/US-OR', { subscribed: true }, { Authorization: 'Bearer ' + r.json.session_token });
    assert(r.status === 200, 'Alice\'s session: ' + r.status);
    r = await http('PUT', base + '/v1/regions/US-NV', { subscribed: true }, { Authorization: 'Bearer ' + tok.Bob });
    assert(r.status === 200, 'Bob: ' + r.status);
  });
  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await check(w + ' px: the Person picker lists the named tokens; Alice shows her token\'s and her session\'s rows only', async () => {
      await page.setViewportSize({ width: w, height: hgt });
      await page.goto(base + '/#/activity');
      await rows.first().waitFor();
      const picker = page.locator('select[name=person]');
      await t.until('Alice and Bob in the picker', async () =>
        JSON.stringify(await picker.locator('option').allInnerTexts()) === JSON.stringify(['Anyone', 'Alice', 'Bob']), 15000, 200);
      assert(await picker.isVisible(), 'the picker is not visible');
      await picker.selectOption('Alice');
      await page.locator('#activity-filtered').filter({ hasText: 'Alice' }).waitFor();
      await t.until('two rows', async () => (await rows.count()) === 2, 15000, 200);
      const texts = await rows.locator('td.activity-text > span:first-child').allInnerTexts();
      assert(/^Browser session of Alice [0-9a-f]{8} subscribed to Oregon \(US-OR\)/.test(texts[0]) &&
        /^Alice's token subscribed to Washington \(US-WA\)/.test(texts[1]), 'rows: ' + JSON.stringify(texts));
      assert(/[#&?]person=Alice(&|$)/.test(page.url()), 'the address keeps the filter: ' + page.url());
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(over <= 0, 'the page overflows by ' + over + ' px');
      await shot('activity-person-' + w);
    });
  }
  await check('Download CSV with Person: Bob: his row only, with a person column', async () => {
    await page.locator('select[name=person]').selectOption('Bob');
    await t.until('one row', async () => (await rows.count()) === 1, 15000, 200);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('.list-csv').click()]);
    const lines = fs.readFileSync(await dl.path(), 'utf8').split('\r\n').filter(Boolean);
    assert(lines[0].endsWith(',request_id,person'), 'header: ' + lines[0]);
    assert(lines.length === 2 && lines[1].includes(',US-NV,') && lines[1].endsWith(',Bob') &&
      !lines.some(l => l.includes('Alice')), 'lines: ' + lines.join(' | '));
  });
  await check('Bob\'s token revoked: the picker still lists him, "Bob (revoked)", and his row', async () => {
    const r = await api('DELETE', '/v1/tokens/Bob');
    assert(r.status === 200, 'revoke: ' + r.status + ' ' + r.text);
    await page.goto(base + '/#/home');
    await page.goto(base + '/#/activity');
    await rows.first().waitFor();
    const picker = page.locator('select[name=person]');
    await t.until('Bob (revoked) in the picker', async () =>
      JSON.stringify(await picker.locator('option').allInnerTexts()) === JSON.stringify(['Anyone', 'Alice', 'Bob (revoked)']), 15000, 200);
    await picker.selectOption('Bob');
    await t.until('his rows: the region and nothing else', async () => (await rows.count()) === 1, 15000, 200);
    const texts = await rows.locator('td.activity-text > span:first-child').allInnerTexts();
    assert(/^Bob's token subscribed to Nevada \(US-NV\)/.test(texts[0]), 'rows: ' + JSON.stringify(texts));
  });
  await page.setViewportSize({ width: 1280, height: 800 });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
