#!/usr/bin/env node
/* Browser test of issue 20 (ro23): a read-only session is not offered a change the API would
 * refuse (403 read_only: any method but GET). Beside Settings, Regions, Integrations and Rules
 * (tokens.test.js), the pages that still offered writes: a document's Recalculate, a product's
 * tax code, a customer's form (save, "Use Rillet's value", the VIES check), its exemption
 * certificates (upload, delete; Download stays), the Filing report's frequency form, the
 * ECB rate import and the Exposure page's marketplace customers. Each is disabled under the page's "This
 * session is read-only" notice, while the filters stay usable; the admin's own session is
 * offered the same controls enabled (so the checks are of the role, not of a broken page).
 * roexport24: the documents export (a POST job) and the Calculator (POST /v1/calculate) read
 * the books without changing them: a read-only session is offered them, downloads the audit
 * CSV (audited export.started to it) and calculates, while a setting stays 403 read_only.
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

  let invoice = null, customer = null, auditor = null, roPage = null;
  await check('the simulated Rillet gave levy an invoice and a customer', async () => {
    const { key, usd } = await t.simReady(simUrl);
    await t.connectRillet(base, simUrl, key, usd, new Date().toISOString().slice(0, 4) + '-01-01', { INVOICE: EVENTS });
    await t.until('an invoice', async () => ((await http('GET', base + '/v1/invoices?limit=1', undefined, auth)).json.data || []).length > 0, 60000);
    invoice = (await http('GET', base + '/v1/invoices?limit=1', undefined, auth)).json.data[0].id;
    customer = ((await http('GET', base + '/v1/customers?limit=1', undefined, auth)).json.data || [])[0].id;
    assert(invoice && customer, 'invoice ' + invoice + ', customer ' + customer);
  });

  /* each page's write controls (selectors), a filter that must stay usable (or null), and the
   * controls that write but change nothing in the books (the documents export, Calculate:
   * read_only_ok routes, roexport24), enabled for every session */
  const PAGES = () => [
    { hash: '#/invoices/' + encodeURIComponent(invoice), writes: ['#recalculate'] },
    { hash: '#/products', writes: ['main tbody select[name="tax_code"]'], keep: 'main form[role="search"] button' },
    { hash: '#/customers/' + encodeURIComponent(customer),
      writes: ['#customer-form button[type="submit"]', '#customer-form input[name="tax_id"]', '#certificate-form input[name="number"]',
        '#certificate-form button[type="submit"]'] },
    { hash: '#/filing', writes: ['#filing-frequencies button[type="submit"]', 'main input[name="oss-rates"]'],
      keep: 'main select[name="region"]', reads: ['#filing-docs-export'] },
    { hash: '#/calculator', writes: [], reads: ['main form button[type="submit"]'] },
    /* the pages without a listed write control, for the forms check below (issue 20 #4) */
    { hash: '#/home', writes: [] }, { hash: '#/settings', writes: [] }, { hash: '#/rules', writes: [] },
    { hash: '#/regions', writes: [] }, { hash: '#/integrations', writes: [] }, { hash: '#/activity', writes: [] },
    { hash: '#/invoices', writes: [] }, { hash: '#/credit-memos', writes: [] }, { hash: '#/reports', writes: [] },
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
      for (const sel of d.reads || []) {
        const el = pg.locator(sel).first();
        await el.waitFor({ state: 'attached', timeout: 20000 });
        /* enabled, and still so once GET /v1/me has answered (the notice says it has) */
        if (want) await pg.locator('#read-only-notice').waitFor();
        if (await el.isDisabled()) wrong.push(d.hash + ' ' + sel + ' (a read, wanted enabled)');
      }
      /* issue 20 #4: beyond the listed controls, a read-only session has no enabled form that
       * changes something: every form of the page whose submit is enabled once GET /v1/me has
       * answered is a read (role="search", or data-read: a filter, Calculate, the period
       * pickers). A new form is a write unless it says otherwise, so a form added without
       * L.lockWrites / L.readOnlyOff fails here. */
      if (want) {
        await pg.locator('#read-only-notice').waitFor();
        const open = await pg.evaluate(() => Array.from(document.querySelectorAll('main form'))
          .filter(f => !f.matches('[role="search"], [data-read]'))
          .filter(f => Array.from(f.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]')).some(b => !b.disabled))
          .map(f => f.getAttribute('aria-label') || f.id || f.className || 'a form'));
        for (const f of open) wrong.push(d.hash + ' form "' + f + '" (a write form left enabled)');
      }
      if (d.keep) assert(await pg.locator(d.keep).first().isEnabled(), d.hash + ': the filter ' + d.keep + ' is disabled');
      if (want) {
        const ro = pg.locator('#read-only-notice');
        await ro.waitFor();
        assert(/^This session is read-only/.test(await ro.innerText()), d.hash + ' notice: ' + await ro.innerText());
      }
    }
    assert(!wrong.length, 'not as wanted (' + (want ? 'read-only' : 'admin') + ' session): ' + wrong.join(' | '));
  }

  await check('the admin session is offered each page\'s write controls', async () => { await visit(page, false); });

  await check('a read-only session: Recalculate, a product\'s tax code, the customer\'s form and certificates, the filing forms, the marketplace customers are disabled; the documents export and Calculate are not', async () => {
    const mk = await http('POST', base + '/v1/tokens', { name: 'Auditor', role: 'read_only' }, auth);
    assert(mk.status === 201, 'create: ' + mk.status);
    auditor = mk.json.token;
    const r = await http('POST', base + '/v1/session', { api_token: mk.json.token });
    assert(r.status === 201, 'session: ' + r.status + ' ' + r.text);
    const p = await ctx.newPage();
    p.on('pageerror', e => errors.push('pageerror: ' + e.message));
    await p.goto(base + '/#/home');
    await p.evaluate(st => { sessionStorage.setItem('levy.session', st); localStorage.setItem('levy.onboarding.dismissed', '1'); }, r.json.session_token);
    await visit(p, true);
    roPage = p;
  });

  await check('the read-only session exports the documents (the audit CSV downloads) and calculates; a setting is still 403 read_only', async () => {
    assert(roPage, 'no read-only page');
    const p = roPage;
    await p.goto(base + '/#/home');
    await p.goto(base + '/#/filing');
    const btn = p.locator('#filing-docs-export');
    await btn.waitFor();
    await p.locator('#read-only-notice').waitFor();
    const [dl] = await Promise.all([p.waitForEvent('download', { timeout: 60000 }), btn.click()]);
    const text = require('fs').readFileSync(await dl.path(), 'utf8');
    assert(/^type,id,number,date,/.test(text), 'the export: ' + text.slice(0, 120));
    assert(text.split('\n').filter(l => l.startsWith('invoice,')).length > 0, 'no invoice row in the export: ' + text.slice(0, 300));
    await t.until('the export status', async () => /exported: /.test(await p.locator('#filing-export-status').innerText()), 20000);
    const audit = await http('GET', base + '/v1/audit?action=export.started', undefined, auth);
    assert(audit.status === 200 && audit.json.data.some(r => r.person === 'Auditor' && r.actor_kind === 'ui_session'),
      'export.started not audited to the Auditor: ' + audit.text.slice(0, 300));
    /* issue 20 #3: the Filing page's recent exports say who started each (the row had no creator) */
    await t.until('the recent exports list the Auditor', async () =>
      /UI session of Auditor/.test(await p.locator('#filing-exports').textContent()), 20000);
    await p.goto(base + '/#/calculator');
    await p.locator('#calc-form').waitFor();
    await p.getByLabel('Line 1 amount', { exact: true }).fill('100.00');
    await p.getByRole('button', { name: 'Calculate' }).click();
    await p.locator('#calc-total-tax').waitFor({ timeout: 20000 });
    /* the breakdown shown, no error: the answer came (the API answered 403 before) */
    assert(/\d\.\d\d/.test(await p.locator('#calc-total-tax').innerText()), 'total tax ' + await p.locator('#calc-total-tax').innerText());
    assert(!(await p.locator('#calc-form .notice.error, #calc-result .notice.error').count()), 'an error notice on the calculator');
    const st = await p.evaluate(() => sessionStorage.getItem('levy.session'));
    for (const cred of [auditor, st]) {
      const put = await http('PUT', base + '/v1/settings', { rounding: 'line' }, { Authorization: 'Bearer ' + cred });
      assert(put.status === 403 && put.json.error.code === 'read_only', 'PUT /v1/settings: ' + put.status + ' ' + put.text);
    }
    await p.close();
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
