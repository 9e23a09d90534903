#!/usr/bin/env node
/* Browser test of the EU One-Stop-Shop section of the Filing report page (issue 20): the ECB
 * rate import (an empty form names the file, a bad file is refused naming its line in plain
 * words, a good one is listed as ready with its days), the OSS return for a quarter (no EU VAT
 * in an empty organisation: said in words), at 1280x800 and 390x844 (no horizontal page
 * overflow, every control labelled, no console error). The figures themselves are checked
 * against hand-computed values by reliab_oss_report.
 *
 *   node tests/browser/oss.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const path = require('path');
const t = require('./harness')('oss.test.js');
const { ROOT, LEVY, TOKEN, check, assert, startPair } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-oss-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '7', '--invoices', '0', '--public-url']);
  const base = pair.levy_url;
  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  const good = path.join(tmp, 'eurofxref-hist.csv');
  fs.writeFileSync(good, 'Date,USD,JPY,GBP,\n2026-10-01,1.1657,170.95,N/A,\n2026-09-29,1.1600,170.10,0.86000,\n');
  const bad = path.join(tmp, 'bad.csv');
  fs.writeFileSync(bad, 'Date,USD,\n2026-10-01,1.1657,\n2026-09-30,one,\n');

  await t.signIn(page, tmp, base);

  const sec = page.locator('#oss');
  await check('Filing report: the OSS section with no rates yet; Import without a file says so', async () => {
    await page.goto(base + '/#/filing');
    await sec.waitFor();
    await sec.locator('#oss-rate-files li', { hasText: 'No exchange rates imported yet' }).waitFor();
    await sec.getByRole('button', { name: 'Import rates' }).click();
    await sec.locator('.notice.error', { hasText: 'Choose the ECB rate file first' }).waitFor();
  });

  await check('a bad rate file is refused naming its line, in words (no API path)', async () => {
    await sec.getByLabel('ECB rate file (eurofxref-hist.csv)').setInputFiles(bad);
    await sec.getByRole('button', { name: 'Import rates' }).click();
    const n = sec.locator('.notice.error', { hasText: 'line 3' });
    await n.waitFor();
    const text = await n.locator('strong').innerText();
    assert(!/\/v1\//.test(text), 'error shows an API path: ' + text);
  });

  await check('the ECB file is imported and listed as ready with its days', async () => {
    await sec.getByLabel('ECB rate file (eurofxref-hist.csv)').setInputFiles(good);
    await sec.getByRole('button', { name: 'Import rates' }).click();
    await sec.locator('.notice.ok', { hasText: 'Rates imported' }).waitFor();
    await sec.locator('#oss-rate-files li', { hasText: 'Ready: 2 days of rates, 29 Sep 2026 to 1 Oct 2026' }).waitFor();
    assert(await sec.locator('[aria-invalid="true"]').count() === 0, 'the file field still shows the earlier error');
  });

  await check('the OSS return of 2026 Q3: no EU VAT, said in words; CSV downloads', async () => {
    await sec.getByLabel('Year', { exact: true }).selectOption('2026');
    await sec.getByLabel('Quarter', { exact: true }).selectOption('Q3');
    await sec.getByRole('button', { name: 'Show OSS return' }).click();
    await sec.locator('#oss-result', { hasText: 'No EU VAT in quarter 3 2026' }).waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), sec.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = fs.readFileSync(await dl.path(), 'utf8');
    assert(csv.startsWith('member_state,member_state_name,rate,rate_type,currency'), 'csv: ' + csv.slice(0, 120));
    await shot('oss-section');
  });

  await check('390x844: the filing page with the OSS section does not overflow horizontally', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#/filing');
    await sec.locator('#oss-rate-files li', { hasText: 'Ready' }).waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = w <= 390 ? [] : await page.evaluate(() => Array.from(document.querySelectorAll('main *'))
      .filter(el => el.getBoundingClientRect().right > 391 && !el.closest('.table-wrap'))
      .slice(-3).map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right)));
    assert(w <= 390, 'filing is ' + w + 'px wide: ' + wide.join(' | '));
    await shot('narrow-oss');
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}
t.run(main);
