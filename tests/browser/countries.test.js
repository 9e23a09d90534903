#!/usr/bin/env node
/* Browser test of the country pickers (issue 20, "a region picker instead of free text";
 * audit20): the Settings seller address and the Calculator's ship-to list each country once, by
 * its current ISO code. Chromium's Intl.DisplayNames also names withdrawn codes ("United
 * Kingdom (UK)" beside "United Kingdom (GB)", "Germany (DD)", "Russia (SU)", "France (FX)",
 * "Benin (DY)" ...), and a seller address saved as UK or DD is not the country levy's rules
 * know. At 1280x800 and 390x844. A real `levy serve` + `levy sim` through tests/e2e/harness.py
 * pair (port base 30340), Debian's Chromium through playwright-core.
 *
 *   node tests/browser/countries.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const t = require('./harness')('countries.test.js'); // tests/browser/harness.js
const { ROOT, LEVY, TOKEN, check, assert, startPair } = t;

/* ISO 3166 codes withdrawn or never a country's own code, that CLDR still names */
const WITHDRAWN = ['AN', 'BU', 'CS', 'DD', 'DY', 'FX', 'HV', 'NH', 'RH', 'SU', 'TP', 'UK', 'VD', 'YD', 'YU', 'ZR'];

async function main() {
  const tmp = t.mkTmp('levy-ui-countries-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '1', '--invoices', '5', '--public-url', '--port-base', '30340']);
  const base = pair.levy_url;
  const { ctx, page, errors, shot } = await t.browser(tmp, {});
  await t.signIn(page, tmp, base);

  const options = async () => page.locator('select[name=country]').first().evaluate(sel =>
    Array.from(sel.options).filter(o => o.value).map(o => [o.value, o.textContent]));
  const checkList = (list, where) => {
    const bad = list.filter(([v]) => WITHDRAWN.includes(v));
    assert(!bad.length, where + ' offers withdrawn codes: ' + bad.map(x => x[1]).join(', '));
    const names = {};
    list.forEach(([v, text]) => { const n = text.replace(/ \([A-Z]{2}\)$/, ''); (names[n] = names[n] || []).push(v); });
    const twice = Object.entries(names).filter(([, v]) => v.length > 1);
    assert(!twice.length, where + ' names a country twice: ' + twice.map(([n, v]) => n + ' ' + v.join('/')).join(', '));
    for (const c of ['GB', 'DE', 'FR', 'RU', 'US', 'CA', 'BJ', 'RS']) assert(list.some(([v]) => v === c), where + ' lacks ' + c);
  };

  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await check(w + ' px: Settings: the seller address\'s country picker lists each country once, by its current code', async () => {
      await page.setViewportSize({ width: w, height: hgt });
      await page.goto(base + '/#/settings');
      await page.locator('select[name=country]').first().waitFor();
      checkList(await options(), 'Settings');
      await shot('countries-settings-' + w);
    });
    await check(w + ' px: Calculator: the ship-to country picker lists each country once, by its current code', async () => {
      await page.setViewportSize({ width: w, height: hgt });
      await page.goto(base + '/#/calculator');
      await page.locator('select[name=country]').first().waitFor();
      checkList(await options(), 'Calculator');
    });
  }

  await check('Settings: United Kingdom is one choice, its value GB (not UK)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/settings');
    const sel = page.locator('select[name=country]').first();
    await sel.waitFor();
    const values = await sel.evaluate(s => Array.from(s.options).filter(o => /^United Kingdom\b/.test(o.textContent)).map(o => o.value));
    assert(values.length === 1 && values[0] === 'GB', 'United Kingdom choices: ' + values.join(', '));
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await ctx.close();
}

t.run(main);
