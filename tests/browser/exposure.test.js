#!/usr/bin/env node
/* Browser test of the Exposure pages (issue 20): Settings' physical-presence form (region
 * picker, not free text), the Exposure list with its problem notice, the drill-down, the
 * marketplace-customer form, and the CSV export; states named ("Nevada (US-NV)", not "US-NV")
 * on the Exposure page, the Reports page's nexus chart and the Home page, which shows a state
 * over its threshold with the day it was crossed (two Arizona invoices of last year, 40,000 and
 * 70,000 USD, cross AZ's 100,000 USD on the second one's date); at 1280x800 and 390x844 (no
 * horizontal page overflow, every control labelled, no console error). A real `levy serve` + `levy sim`
 * through tests/e2e/harness.py pair, Debian's Chromium through playwright-core.
 *
 *   node tests/browser/exposure.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const t = require('./harness')('exposure.test.js'); // tests/browser/harness.js: checks, levy + sim, HTTP, set-up steps, the run
const { ROOT, LEVY, TOKEN, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-exposure-');
  /* a marketplace customer's sums counted a document a transaction (rillet 0030): a customer
   * with more documents than that is shown as being counted until the job has passed them */
  process.env.LEVY_MARKETPLACE_CHUNK = '1';
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '7', '--invoices', '0', '--public-url']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  /* last calendar year: AZ measures the previous or the current calendar year */
  const PREV = String(Number(new Date().toISOString().slice(0, 4)) - 1);
  const AZ_CROSSED = PREV + '-03-15';
  /* Georgia's row shows the current year (both years below its threshold: the current one wins) */
  const TODAY = new Date().toISOString().slice(0, 10);
  let azCustomer = null; /* the customer of the Arizona invoices (not marked as a marketplace seller) */

  await check('setup: Arizona invoices of 40,000 and 70,000 USD, one Georgia and one Pennsylvania invoice in Rillet; levy connected and imported them', async () => {
    const { key, simH, usd } = await t.simReady(simUrl);
    const cust = ((await http('GET', simUrl + '/customers?limit=10', undefined, simH)).json.customers || [])[0];
    const product = ((await http('GET', simUrl + '/products?limit=100', undefined, simH)).json.products || []).find(x => x.name === 'Edge router');
    assert(usd && cust && product, 'simulator: no USD subsidiary, customer or product');
    azCustomer = cust.id;
    for (const [state, city, zip, date, amount] of [['AZ', 'Phoenix', '85004', PREV + '-02-10', '40000.00'],
      ['AZ', 'Phoenix', '85004', AZ_CROSSED, '70000.00'], ['GA', 'Atlanta', '30303', TODAY, '500.00'],
      /* Pennsylvania at 85 % of its 100,000 USD: approaching (Home says so) */
      ['PA', 'Philadelphia', '19103', PREV + '-06-01', '85000.00']]) {
      const r = await http('POST', simUrl + '/invoices', {
        customer_id: cust.id, subsidiary_id: usd.id, invoice_date: date,
        shipping_address: { line1: '100 Main St', city, state, zip_code: zip, country: 'US' },
        items: [{ description: 'router', price: { product_id: product.id, quantity: 1, amount_per_unit: { amount, currency: 'USD' } } }]
      }, simH);
      assert(r.status === 200 || r.status === 201, 'sim invoice: ' + r.status + ' ' + r.text.slice(0, 200));
    }
    /* abroad (issues 19/20), another customer: Australia 60,000 USD at 1.5 AUD/USD = 90,000 AUD
     * over A$75,000 today; New Zealand 100 USD without an exchange rate (not converted) */
    const other = ((await http('GET', simUrl + '/customers?limit=10', undefined, simH)).json.customers || [])[1];
    assert(other, 'simulator: no second customer');
    for (const [cc, city, st, zip, amount, fx] of [['AU', 'Sydney', 'NSW', '2000', '60000.00', { base: 'USD', target: 'AUD', rate: '1.5', date: TODAY }],
      ['NZ', 'Auckland', 'AUK', '1010', '100.00', null]]) {
      const body = {
        customer_id: other.id, subsidiary_id: usd.id, invoice_date: TODAY,
        shipping_address: { line1: '1 Example St', city, state: st, zip_code: zip, country: cc },
        items: [{ description: 'subscription', price: { product_id: product.id, quantity: 1, amount_per_unit: { amount, currency: 'USD' } } }]
      };
      if (fx) body.exchange_rate = fx;
      const r = await http('POST', simUrl + '/invoices', body, simH);
      assert(r.status === 200 || r.status === 201, 'sim invoice: ' + r.status + ' ' + r.text.slice(0, 200));
    }
    const auth = { Authorization: 'Bearer ' + TOKEN };
    await t.connectRillet(base, simUrl, key, usd, PREV + '-01-01', { CUSTOMER: ['DELETED'] });
    await t.until('AZ over its threshold', async () => {
      const x = ((await http('GET', base + '/v1/reports/exposure', undefined, auth)).json.data || []).find(r => r.region === 'US-AZ');
      return x && x.threshold_status === 'exceeded' && x.crossed_on === AZ_CROSSED;
    }, 60000, 500);
  });
  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });

  await t.signIn(page, tmp, base);

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
    const th = await sec.locator('#presence-rows tr', { hasText: 'US-NV' }).locator('th').innerText();
    assert(th === 'Nevada (US-NV)', 'presence row names the state as ' + th);
    await shot('exposure-settings-presence');
  });

  await check('Exposure: NV listed as nexus since 2025-03-01 with a problem notice; CSV downloads', async () => {
    await page.locator('#nav a[data-route="exposure"]').click();
    await page.locator('#exposure-rows tr', { hasText: 'US-NV' }).waitFor();
    const row = page.locator('#exposure-rows tr', { hasText: 'US-NV' });
    const text = await row.innerText();
    assert(/Nexus/.test(text) && /since 2025-03-01/.test(text), 'row: ' + text);
    const th = await row.locator('th').innerText();
    assert(th === 'Nevada (US-NV)', 'the row names the state as ' + th);
    const collects = await row.locator('td').last().innerText();
    assert(collects === 'No', 'levy collects: ' + collects);
    const ga = await page.locator('#exposure-rows tr', { hasText: 'US-GA' }).innerText();
    assert(/\b1 transaction; 0\.5 % of 100,000\.00 USD or 200 transactions/.test(ga), 'Georgia row: ' + ga);
    /* 1280 px: the table fits its frame (no column hidden behind a scroll) and no date breaks */
    const fit = await page.evaluate(() => {
      const tbl = document.getElementById('exposure-rows'), broken = [];
      const walk = document.createTreeWalker(tbl, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        for (const m of n.data.matchAll(/\d{4}-\d{2}-\d{2}/g)) {
          const r = document.createRange();
          r.setStart(n, m.index); r.setEnd(n, m.index + 10);
          if (new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size > 1) broken.push(m[0]);
        }
      }
      return { table: tbl.scrollWidth, frame: tbl.parentElement.clientWidth, broken };
    });
    assert(fit.table <= fit.frame && !fit.broken.length, 'table ' + fit.table + ' px in a frame of ' + fit.frame + ' px; dates broken: ' + fit.broken.join(', '));
    await page.locator('#exposure-problems', { hasText: 'US-NV' }).waitFor();
    const problems = await page.locator('#exposure-problems').innerText();
    assert(problems.includes('Nevada (US-NV): physical presence in Nevada since 2025-03-01') &&
      problems.includes('Arizona (US-AZ): economic-nexus threshold crossed on ' + AZ_CROSSED + ', but levy does not collect tax in Arizona') &&
      !/ (NV|AZ) /.test(problems), 'problems: ' + problems);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const file = await dl.path();
    const csv = fs.readFileSync(file, 'utf8');
    assert(csv.startsWith('region,state,nexus_status') && /US-NV,NV,nexus,2025-03-01/.test(csv), 'csv: ' + csv.slice(0, 200));
    await shot('exposure-list');
  });

  await check('Exposure abroad: Australia must register (90,000.00 AUD, crossed today, by name); New Zealand names its USD invoice as not converted', async () => {
    await page.locator('#exposure-abroad-rows tr[data-country="AU"]').waitFor();
    const au = await page.locator('#exposure-abroad-rows tr[data-country="AU"]').innerText();
    assert(/Must register/.test(au) && au.includes('90,000.00') && au.includes(TODAY) && /Australia \(AU\)/.test(au) &&
      /75,000\.00/.test(au), 'AU row: ' + au);
    const nz = await page.locator('#exposure-abroad-rows tr[data-country="NZ"]').innerText();
    assert(/Not converted, not counted: 1 document in USD/.test(nz) && /Below/.test(nz), 'NZ row: ' + nz);
    const de = await page.locator('#exposure-abroad-rows tr[data-country="DE"]').innerText();
    assert(/None: from the first sale/.test(de), 'DE row: ' + de);
    const probs = await page.locator('#exposure-abroad-problems').innerText();
    assert(probs.includes('AU: the AU registration threshold (75000.00 AUD) was crossed on ' + TODAY) && probs.includes('NZ: documents in USD could not be converted'),
      'abroad problems: ' + probs);
    await shot('exposure-abroad');
  });

  await check('Exposure: marketplace customer added and listed', async () => {
    const sec = page.locator('#marketplace-customers');
    await sec.getByLabel('Customer id (from Rillet)').fill('cus_market_1');
    await sec.getByRole('button', { name: 'Mark as marketplace' }).click();
    await sec.locator('li', { hasText: 'cus_market_1' }).waitFor();
    /* issue 20: a customer levy knows is listed by its name, the Rillet id behind the toggle; one
     * it cannot name (cus_market_1) stays listed by its id */
    const auth = { Authorization: 'Bearer ' + TOKEN };
    const other = ((await http('GET', base + '/v1/customers?limit=20', undefined, auth)).json.data || []).find(c => c.id !== azCustomer && c.name && c.name !== c.id);
    assert(other, 'no named customer besides the Arizona one');
    await sec.getByLabel('Customer id (from Rillet)').fill(other.id);
    await sec.getByRole('button', { name: 'Mark as marketplace' }).click();
    const li = sec.locator('li[data-id="' + other.id + '"]');
    await li.locator('a', { hasText: other.name }).waitFor();
    assert(!(await li.innerText()).includes(other.id), 'the id shows outside the toggle: ' + await li.innerText());
    await li.locator('summary', { hasText: 'Technical details' }).click();
    assert((await li.innerText()).includes('Rillet id ' + other.id), 'no id behind the toggle: ' + await li.innerText());
    await shot('exposure-marketplace');
  });

  await check('drill-down: US-NV shows its status, presence and the documents table', async () => {
    await page.locator('#exposure-rows a', { hasText: 'US-NV' }).click();
    await page.locator('h1', { hasText: 'Exposure in Nevada (US-NV)' }).waitFor();
    await page.locator('#exposure-documents [role=alert]', { hasText: 'Physical presence in Nevada since 2025-03-01' }).waitFor();
    await page.locator('#exposure-documents dl', { hasText: 'Inventory' }).waitFor();
    /* issue 20: the threshold's source names the published guides, not levy's notes (behind the toggle) */
    const src = page.locator('#exposure-source');
    const said = await src.innerText();
    assert(/^Taken from the Sovos state-by-state sales-tax guide \(as it read on \d{1,2} [A-Z][a-z]+ \d{4}\), checked against the US table of vatcalc\.com/.test(said)
      && !/tax-facts/.test(said), 'source: ' + said);
    await src.locator('summary', { hasText: 'Technical details' }).click();
    assert(/tax-facts\.md 3\.2/.test(await src.innerText()), 'internal reference not behind the toggle: ' + await src.innerText());
    await shot('exposure-drill');
  });

  await check('Home: Arizona over its threshold with the day it crossed, Nevada by its physical presence, Australia over its foreign-seller threshold, all by name', async () => {
    await page.goto(base + '/#/home');
    const az = page.locator('#attention-nexus-US-AZ');
    await az.waitFor();
    const text = await az.innerText();
    assert(text.startsWith('Arizona (US-AZ) is over its economic-nexus threshold (110,000.00 USD of 100,000.00 USD), crossed on ' + AZ_CROSSED),
      'Home: ' + text);
    assert(await az.locator('a').getAttribute('href') === '#/exposure/US-AZ', 'the link does not open the drill-down');
    const nv = await page.locator('#attention-nexus-US-NV').innerText();
    assert(nv.startsWith('Physical presence in Nevada since 2025-03-01, but levy does not collect tax there'), 'Home: ' + nv);
    /* a state at 80 % or more of its threshold: Pennsylvania at 85 % */
    const pa = page.locator('#attention-nexus-US-PA');
    await pa.waitFor();
    const paText = await pa.innerText();
    assert(paText.startsWith('Pennsylvania (US-PA) is approaching its economic-nexus threshold (85'), 'Home: ' + paText);
    assert(await pa.locator('a').getAttribute('href') === '#/exposure/US-PA', 'the link does not open the drill-down');
    /* abroad (issues 19/20): Australia over its foreign-seller threshold, by name, with the day */
    const au = page.locator('#attention-abroad-AU');
    await au.waitFor();
    const auText = await au.innerText();
    assert(auText.startsWith('Australia (AU) is over its registration threshold for foreign sellers (90,000.00 AUD of 75,000.00 AUD a year), crossed on ' + TODAY),
      'Home: ' + auText);
    assert(!(await page.locator('#attention-abroad-NZ').count()), 'New Zealand (below) listed on Home');
    await shot('exposure-home');
  });

  await check('Reports: the nexus chart names the states and says the status in words', async () => {
    await page.goto(base + '/#/reports');
    const bar = page.locator('#exposure-chart g.bar[data-region="US-AZ"]');
    await bar.waitFor({ state: 'attached' });
    const labels = await bar.locator(':scope > text').allTextContents();
    assert(labels[0] === 'Arizona' && /· Threshold crossed$/.test(labels[1]), 'AZ bar: ' + labels.join(' | '));
    const legend = await page.locator('#exposure .legend').innerText();
    assert(!/\b(below|exceeded|registered)\b/.test(legend), 'legend: ' + legend);
    const crossed = await page.locator('#exposure-crossed').innerText();
    assert(crossed.includes('Arizona (US-AZ) on ' + AZ_CROSSED), 'crossed notice: ' + crossed);
    const cells = await page.locator('#exposure-table tbody tr', { hasText: 'US-AZ' }).locator('td').allTextContents();
    assert(cells[0] === 'Arizona (US-AZ)' && cells.includes('Threshold crossed') && cells.includes(AZ_CROSSED), 'AZ table row: ' + cells.join(' | '));
    const ga = await page.locator('#exposure-table tbody tr', { hasText: 'US-GA' }).locator('td').allTextContents();
    assert(ga.includes('1 / 200 (sales or transactions)'), 'GA table row: ' + ga.join(' | '));
    await shot('exposure-reports');
  });

  await check('390x844: exposure, drill-down, settings, home and reports do not overflow horizontally', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const r of ['exposure', 'exposure/US-NV', 'settings', 'home', 'reports']) {
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

  await check('Exposure: a marketplace customer still being counted is said in a sentence (N of M documents)', async () => {
    const auth = { Authorization: 'Bearer ' + TOKEN };
    const counting = async () => (await http('GET', base + '/v1/reports/exposure', undefined, auth)).json.marketplace_counting;
    await http('PUT', base + '/v1/reports/marketplace/customers/' + azCustomer, { marketplace: true }, auth);
    /* the job counts its 4 documents in chunks of one; then the store is set back as a run
     * leaves a customer too big for one run (nothing counted yet of its 4 documents) */
    await until(async () => { const c = await counting(); return c && c.length === 0; }, 60000);
    const py = 'import sqlite3,sys\n' +
      'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
      'db.execute("UPDATE rillet_us_days_track SET ready = 0, phase = 0, counted_through = NULL, counted_docs = 0, total_docs = 4 WHERE customer_id = ?", (sys.argv[2],))\n' +
      'db.execute("DELETE FROM rillet_us_days_cust WHERE customer_id = ?", (sys.argv[2],))\n' +
      'db.commit()\n';
    require('child_process').execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c', py, require('path').join(tmp, 'data', 'levy.db'), azCustomer]);
    const c = await counting();
    assert(c && c.length === 1 && c[0].customer_id === azCustomer && c[0].counted === 0 && c[0].documents === 4, 'counting: ' + JSON.stringify(c));
    await page.goto(base + '/#/exposure');
    const note = await page.locator('#exposure-counting').innerText();
    assert(note.includes('Marketplace sales still being counted.') && note.includes(': 0 of 4 documents counted.'), 'notice: ' + note);
    await shot('exposure-counting');
    await http('PUT', base + '/v1/reports/marketplace/customers/' + azCustomer, { marketplace: false }, auth);
    await until(async () => { const x = await counting(); return x && x.length === 0; }, 60000);
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
