#!/usr/bin/env node
/* Browser test of issue 20 (ro23): a read-only session is not offered a change the API would
 * refuse (403 read_only: any method but GET). Beside Settings, Regions, Integrations and Rules
 * (tokens.test.js), the pages that still offered writes: a document's Recalculate, a product's
 * tax code, a customer's form (save, "Use Rillet's value", the VIES check), its exemption
 * certificates (upload, delete; Download stays), the Filing report's frequency form, the
 * documents export (a POST job), the ECB rate import, the Calculator (POST /v1/calculate,
 * refused to a read-only token too) and the Exposure page's marketplace customers. Each is disabled under the page's "This
 * session is read-only" notice, while the filters stay usable; the admin's own session is
 * offered the same controls enabled (so the checks are of the role, not of a broken page).
 * A real `levy serve` + `levy sim` (tests/e2e/harness.py pair), Debian's Chromium through
 * playwright-core. Ports 48100-48109.
 *
 *   node tests/browser/readonly.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const t = require('./harness')('readonly.test.js');
const { ROOT, LEVY, TOKEN, EVENTS, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-readonly-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '3', '--port-base', '48100']);
  const base = pair.levy_url, simUrl = pair.sim_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };

  const { ctx, page, errors, unlabelled } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);
  await page.evaluate(() => localStorage.setItem('levy.onboarding.dismissed', '1'));

  let invoice = null, customer = null;
  await check('the simulated Rillet gave levy an invoice and a customer', async () => {
    const { key, usd } = await t.simReady(simUrl);
    await t.connectRillet(base, simUrl, key, usd, new Date().toISOString().slice(0, 4) + '-01-01', { INVOICE: EVENTS });
    await t.until('an invoice', async () => ((await http('GET', base + '/v1/invoices?limit=1', undefined, auth)).json.data || []).length > 0, 60000);
    invoice = (await http('GET', base + '/v1/invoices?limit=1', undefined, auth)).json.data[0].id;
    customer = ((await http('GET', base + '/v1/customers?limit=1', undefined, auth)).json.data || [])[0].id;
    assert(invoice && customer, 'invoice ' + invoice + ', customer ' + customer);
  });

  /* each page's write controls (selectors) and a filter that must stay usable (or null) */
  const PAGES = () => [
    { hash: '#/invoices/' + encodeURIComponent(invoice), writes: ['#recalculate'] },
    { hash: '#/products', writes: ['main tbody select[name="tax_code"]'], keep: 'main form[role="search"] button' },
    { hash: '#/customers/' + encodeURIComponent(customer),
      writes: ['#customer-form button[type="submit"]', '#customer-form input[name="tax_id"]', '#certificate-form input[name="number"]',
        '#certificate-form button[type="submit"]'] },
    { hash: '#/filing', writes: ['#filing-frequencies button[type="submit"]', '#filing-docs-export', 'main input[name="oss-rates"]'],
      keep: 'main select[name="region"]' },
    { hash: '#/calculator', writes: ['main form button[type="submit"]'] },
    { hash: '#/exposure', writes: ['#marketplace-customers input[name="customer_id"]', '#marketplace-customers button[type="submit"]'] }
  ];
  /* every page visited, each control looked at; the ones not as wanted said together */
  async function visit(pg, want) {
    const wrong = [];
    for (const d of PAGES()) {
      await pg.goto(base + '/#/home');
      await pg.goto(base + '/' + d.hash);
      for (const sel of d.writes) {
        const el = pg.locator(sel).first();
        await el.waitFor({ state: 'attached', timeout: 20000 });
        try {
          await t.until(d.hash + ' ' + sel + (want ? ' disabled' : ' enabled'), async () => (await el.isDisabled()) === want, 10000);
        } catch (e) { wrong.push(d.hash.replace(/\/[^/]*-[^/]*$/, '/ID') + ' ' + sel); }
      }
      if (d.keep) assert(await pg.locator(d.keep).first().isEnabled(), d.hash + ': the filter ' + d.keep + ' is disabled');
      if (want) {
        const ro = pg.locator('#read-only-notice');
        await ro.waitFor();
        assert(/^This session is read-only/.test(await ro.innerText()), d.hash + ' notice: ' + await ro.innerText());
      }
    }
    assert(!wrong.length, (want ? 'enabled: ' : 'disabled: ') + wrong.join(' | '));
  }

  await check('the admin session is offered each page\'s write controls', async () => { await visit(page, false); });

  await check('a read-only session: Recalculate, a product\'s tax code, the customer\'s form and certificates, the filing forms and export, Calculate, the marketplace customers are disabled', async () => {
    const mk = await http('POST', base + '/v1/tokens', { name: 'Auditor', role: 'read_only' }, auth);
    assert(mk.status === 201, 'create: ' + mk.status);
    assert((await http('POST', base + '/v1/calculate', { currency: 'USD', lines: [] }, { Authorization: 'Bearer ' + mk.json.token })).status === 403,
      'the API lets a read-only token POST /v1/calculate: the calculator should then stay enabled');
    const r = await http('POST', base + '/v1/session', { api_token: mk.json.token });
    assert(r.status === 201, 'session: ' + r.status + ' ' + r.text);
    const p = await ctx.newPage();
    p.on('pageerror', e => errors.push('pageerror: ' + e.message));
    await p.goto(base + '/#/home');
    await p.evaluate(st => { sessionStorage.setItem('levy.session', st); localStorage.setItem('levy.onboarding.dismissed', '1'); }, r.json.session_token);
    await visit(p, true);
    await p.close();
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
