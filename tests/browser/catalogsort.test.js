#!/usr/bin/env node
/* Browser test of the Customers and Products lists' order (issue 20, "Lists: ... sortable";
 * audit20): each page has a Sort picker (Import order, Name A–Z, Name Z–A); picking one lists
 * the rows by name, says so in the page's address (a link or a reload keeps it) and keeps the
 * count; at 1280x800 and 390x844. A real `levy serve` + `levy sim` through
 * tests/e2e/harness.py pair (port base 30360), connected and imported, Debian's Chromium
 * through playwright-core.
 *
 *   node tests/browser/catalogsort.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const t = require('./harness')('catalogsort.test.js'); // tests/browser/harness.js
const { ROOT, LEVY, TOKEN, EVENTS, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-catalogsort-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '2', '--invoices', '10', '--public-url', '--port-base', '30360']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const YEAR = new Date().toISOString().slice(0, 4);
  let totals = {};

  await check('setup: levy connected to the simulator, customers and products imported', async () => {
    const { key, usd } = await t.simReady(simUrl);
    await t.connectRillet(base, simUrl, key, usd, YEAR + '-01-01', { INVOICE: EVENTS });
    for (const k of ['customers', 'products']) {
      totals[k] = (await http('GET', base + '/v1/' + k + '?limit=1', undefined, auth)).json.total;
      assert(totals[k] >= 3, k + ': ' + totals[k]);
    }
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);
  /* the rows' names as the page shows them, once the count says every row is there */
  const names = async (table, k) => {
    await t.until(k + ' listed', async () => (await page.locator(table + ' tbody tr[data-id]').count()) >= Math.min(totals[k], 50), 15000, 200);
    return page.locator(table + ' tbody tr[data-id] td:first-child').evaluateAll(tds => tds.map(td => {
      const a = td.querySelector('a'); return (a ? a.textContent : td.childNodes[0].textContent || '').trim();
    }));
  };
  const sorted = (xs, desc) => {
    const s = xs.slice().sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
    return desc ? s.reverse() : s;
  };

  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    for (const [k, table] of [['customers', '#customers-table'], ['products', '#products-table']]) {
      await check(w + ' px: ' + k + ': Sort Name A–Z and Z–A order the rows by name, in the address too', async () => {
        await page.setViewportSize({ width: w, height: hgt });
        await page.goto(base + '/#/' + k);
        await names(table, k);
        for (const [value, desc] of [['name', false], ['-name', true]]) {
          await page.locator('select[name=sort]').selectOption(value);
          await t.until('the address says sort=' + value, async () => page.url().includes('sort=' + encodeURIComponent(value)), 10000, 100);
          await t.until('rows in ' + value + ' order', async () => {
            const got = await names(table, k);
            return got.length && JSON.stringify(got) === JSON.stringify(sorted(got, desc)) ? got : null;
          }, 15000, 300);
          assert(new RegExp('\\b' + totals[k] + ' found\\b').test(await page.locator('main').innerText()), 'count: not ' + totals[k] + ' found');
        }
        /* a reload (or a link) keeps the order */
        await page.reload();
        await page.locator(table + ' tbody tr[data-id]').first().waitFor();
        assert(await page.locator('select[name=sort]').inputValue() === '-name', 'after reload: ' + await page.locator('select[name=sort]').inputValue());
        const got = await names(table, k);
        assert(JSON.stringify(got) === JSON.stringify(sorted(got, true)), 'after reload, not Z–A: ' + got.slice(0, 5).join(' | '));
        const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert(over <= 0, 'the page overflows by ' + over + ' px');
        await shot('catalogsort-' + k + '-' + w);
      });
    }
  }

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => { assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | ')); });
  await ctx.close();
}

t.run(main);
