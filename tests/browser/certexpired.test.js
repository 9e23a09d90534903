#!/usr/bin/env node
/* Browser test of issue 20's "a document exempted by an expired certificate is taxed and
 * flagged" as a finance person meets it (audit20): an invoice re-checked under its customer's
 * exemption certificate that expired the day before the invoice's date is taxed with the note;
 * Home's Needs attention says so in a sentence ("1 invoice was taxed because the customer's
 * exemption certificate had expired on its date ...") with a "Show it" link; the link opens
 * Invoices filtered by "Exemption certificate: Taxed: certificate expired", its count and that
 * invoice, whose page shows the note in words; at 1280x800 and 390x844 without horizontal
 * overflow. And the Customers list's Exemption column for a customer exempt only by a valid
 * certificate ("exempt by certificate"; it read "Not exempt", at 390 px with the Certificate
 * column hidden) and for one whose only certificate expired; Home's Getting started counting
 * the first. A real `levy serve` + `levy sim` through tests/e2e/harness.py pair (port base
 * 30320), Debian's Chromium through playwright-core.
 *
 *   node tests/browser/certexpired.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const t = require('./harness')('certexpired.test.js'); // tests/browser/harness.js
const { ROOT, LEVY, TOKEN, EVENTS, check, assert, startPair, http } = t;

/* a minimal PDF (the upload checks the bytes, not the name) */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

async function main() {
  const tmp = t.mkTmp('levy-ui-certexpired-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '30', '--public-url', '--port-base', '30320']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);
  const YEAR = new Date().toISOString().slice(0, 4);
  let inv = null; /* the invoice taxed because its customer's certificate had expired */
  let exemptCust = null; /* a customer exempt only by a valid certificate on file */

  await check('setup: an invoice re-checked under a certificate that expired the day before its date is taxed with the note', async () => {
    const { key, usd } = await t.simReady(simUrl);
    const regions = (await api('GET', '/v1/regions?limit=500')).json.data.filter(r => r.country === 'US').map(r => r.code);
    for (const code of ['US-CA', 'US-NY', 'US-TX', 'US-WA', 'US-IL', 'US-CO', 'US-PA']) {
      const r = await api('PUT', '/v1/regions/' + code, { subscribed: true, tax_calculation: true });
      assert(r.status === 200, 'subscribe ' + code + ': ' + r.status);
    }
    await t.connectRillet(base, simUrl, key, usd, YEAR + '-01-01', { INVOICE: EVENTS });
    const taxed = await t.until('a written invoice with tax and a customer', async () => {
      const l = (await api('GET', '/v1/invoices?tax_status=written&limit=100')).json;
      return ((l && l.data) || []).find(d => d.customer_id && d.levy_tax && !/^0\.00/.test(d.levy_tax.amount || d.levy_tax));
    }, 120000, 500);
    const date = (taxed.invoice_date || '').slice(0, 10);
    const before = new Date(Date.parse(date + 'T00:00:00Z') - 86400000).toISOString().slice(0, 10);
    const q = new URLSearchParams({ number: 'OLD-RESALE-7', reason: 'resale', regions: regions.join(','), issued: '2020-01-01', expires: before });
    const res = await fetch(base + '/v1/customers/' + encodeURIComponent(taxed.customer_id) + '/exemption-certificates?' + q,
      { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/pdf' }, auth), body: PDF });
    const up = await res.json();
    assert(res.status === 201 && up.status === 'expired', 'upload: ' + res.status + ' ' + JSON.stringify(up).slice(0, 300));
    inv = await t.until('the invoice re-checked with the note exemption_certificate_expired', async () => {
      const d = (await api('GET', '/v1/invoices/' + taxed.id)).json;
      return d && (d.notes || []).some(n => n.code === 'exemption_certificate_expired') ? d : null;
    }, 120000, 500);
    inv.number = inv.invoice_number || taxed.invoice_number;
    /* another customer, exempt by a valid certificate only (its exempt flag stays false) */
    const custs = (await api('GET', '/v1/customers?limit=100')).json.data;
    exemptCust = custs.find(c => c.id !== taxed.customer_id && !c.exempt && !(c.exemption_certificates || {}).on_file);
    assert(exemptCust, 'no second customer');
    const q2 = new URLSearchParams({ number: 'VALID-RESALE-8', reason: 'resale', regions: regions.join(','), issued: '2020-01-01' });
    const res2 = await fetch(base + '/v1/customers/' + encodeURIComponent(exemptCust.id) + '/exemption-certificates?' + q2,
      { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/pdf' }, auth), body: PDF });
    assert(res2.status === 201, 'upload 2: ' + res2.status);
    inv.customer_id = taxed.customer_id;
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);

  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await check(w + ' px: Home says invoices were taxed because a certificate had expired; Show them lists exactly those, the invoice shows why', async () => {
      assert(inv, 'no flagged invoice (setup failed)');
      await page.setViewportSize({ width: w, height: hgt });
      const want = (await api('GET', '/v1/invoices?certificate=expired&limit=100')).json;
      assert(want && want.total >= 1 && want.data.some(d => d.id === inv.id), 'API: ' + JSON.stringify(want).slice(0, 300));
      await page.goto(base + '/#/home');
      const item = page.locator('#attention-cert-expired-invoices');
      await item.waitFor();
      const text = await item.innerText();
      const one = want.total === 1;
      assert(text.startsWith(want.total + (one ? ' invoice was' : ' invoices were') + ' taxed because the customer\'s exemption certificate had expired on ' +
        (one ? 'its' : 'their') + ' date') && /upload the renewed certificate/.test(text) && !/_/.test(text), 'item: ' + text);
      const link = item.locator('a');
      assert(await link.innerText() === (one ? 'Show it' : 'Show them'), 'link: ' + await link.innerText());
      await shot('certexpired-home-' + w);
      await link.click();
      await page.locator('#documents-table tbody a[href^="#/invoices/"]').first().waitFor();
      assert(await page.locator('select[name=certificate]').inputValue() === 'expired', 'filter: ' + await page.locator('select[name=certificate]').inputValue());
      await t.until('the count', async () => /\b\d+ found\b/.test(await page.locator('main').innerText()), 15000, 200);
      const found = /\b(\d+) found\b/.exec(await page.locator('main').innerText())[1];
      assert(Number(found) === want.total, 'count ' + found + ', API total ' + want.total);
      const ids = await page.locator('#documents-table tbody a[href^="#/invoices/"]').evaluateAll(as => as.map(a => decodeURIComponent(a.getAttribute('href').slice('#/invoices/'.length))));
      assert(ids.length === want.total && want.data.every(d => ids.includes(d.id)), 'rows: ' + ids.join(' '));
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(over <= 0, 'the list overflows by ' + over + ' px');
      await shot('certexpired-list-' + w);
      await page.locator('#documents-table tbody a[href="#/invoices/' + encodeURIComponent(inv.id) + '"]').click();
      const note = page.locator('#doc-notes [data-code=exemption_certificate_expired]');
      await note.waitFor();
      const nt = await note.innerText();
      assert(nt && !/_/.test(nt), 'note: ' + nt);
    });
  }

  for (const [w, hgt] of [[1280, 800], [390, 844]]) {
    await check(w + ' px: Customers says who is exempt by a certificate and whose certificate expired, not "Not exempt" for both', async () => {
      assert(inv && exemptCust, 'setup failed');
      await page.setViewportSize({ width: w, height: hgt });
      for (const [id, want] of [[exemptCust.id, /^exempt by certificate$/i], [inv.customer_id, /^Not exempt: certificate expired$/]]) {
        const c = (await api('GET', '/v1/customers/' + encodeURIComponent(id))).json;
        await page.goto(base + '/#/customers?q=' + encodeURIComponent(c.name));
        const cell = page.locator('#customers-table tbody tr[data-id="' + id + '"] td:nth-child(2)');
        await cell.waitFor();
        const text = (await cell.innerText()).replace(/\s+/g, ' ').trim();
        assert(want.test(text), c.name + ': ' + JSON.stringify(text));
        assert(await cell.isVisible(), c.name + ': the exemption cell is hidden');
      }
    });
  }

  await check('Home: Getting started counts the customer exempt by a certificate and ticks the item', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/home');
    const item = page.locator('#onboarding li[data-item="exemptions"]');
    await item.waitFor();
    const text = await item.innerText();
    assert(await item.getAttribute('data-done') === 'true' && /\b1 customer is exempt by a certificate on file\./.test(text), 'item: ' + text);
  });

  await check('Invoices: the Exemption certificate filter picked by hand gives the same list; Any lifts it', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/invoices');
    await page.locator('#documents-table tbody a').first().waitFor();
    await t.until('the count', async () => /\b\d+ found\b/.test(await page.locator('main').innerText()), 15000, 200);
    const all = Number(/\b(\d+) found\b/.exec(await page.locator('main').innerText())[1]);
    await page.locator('select[name=certificate]').selectOption('expired');
    const want = (await api('GET', '/v1/invoices?certificate=expired&limit=1')).json.total;
    await t.until('the filtered count', async () => new RegExp('\\b' + want + ' found\\b').test(await page.locator('main').innerText()), 15000, 200);
    assert(/certificate=expired/.test(page.url()), 'url: ' + page.url());
    assert(all > want, 'unfiltered ' + all + ' vs filtered ' + want);
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => { assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | ')); });
  await ctx.close();
}

t.run(main);
