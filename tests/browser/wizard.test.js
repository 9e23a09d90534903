#!/usr/bin/env node
/* Browser test of the connect wizard's states and the phone-width menu (issue 20), at
 * 1280x800 and 390x844, against a real `levy sim` + `levy serve` (tests/e2e/harness.py pair,
 * levy's public URL plain http://): several subsidiaries and none pre-selected, Back on every
 * step, the warning for a webhook URL that is not HTTPS, the environment and its Rillet URL on
 * the card, import progress "N of M" with a bar and an estimate, and at 390 px a menu that
 * reaches every page with nothing wider than the screen.
 *
 *   node tests/browser/wizard.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('wizard.test.js'); // tests/browser/harness.js: checks, levy + sim, HTTP, the run
const { CHROMIUM, ROOT, OUT, LEVY, TOKEN, EVENTS, chromium, log, check, assert, sleep, startPair, http, until, pickKey, pickToken } = t;
/* GET /v1/connections and GET /v1/connections/{id} (not their sub-resources) */
const CONN_GET = /\/v1\/connections(\/con_[A-Za-z0-9_]+)?(\?[^/]*)?$/;

async function main() {
  const tmp = t.mkTmp('levy-wiz-');
  const scripts = path.join(tmp, 'scripts');
  fs.cpSync(path.join(ROOT, 'scripts'), scripts, { recursive: true });
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '11', '--invoices', '30', '--scripts', scripts, '--public-url']);
  const simUrl = pair.sim_url, base = pair.levy_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const apiKey = pickKey((await http('GET', simUrl + '/_sim/info')).json);
  assert(apiKey, 'no API key in GET /_sim/info');

  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync']
  });
  ctx.setDefaultTimeout(15000);
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push('pageerror: ' + e.message));
  page.on('console', m => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });
  const modal = page.locator('#modal');
  const out = execFileSync(LEVY, ['signin', '--data-dir', path.join(tmp, 'data'), '--public-url', base],
    { env: Object.assign({}, process.env, { LEVY_API_TOKEN: '' }) }).toString();
  const code = /#signin=([A-Za-z0-9_-]+)/.exec(out)[1];

  const item = (id) => page.locator('#onboarding li[data-item="' + id + '"]');
  const isDone = async (id) => (await item(id).getAttribute('data-done')) === 'true';
  await page.goto(base + '/#signin=' + code);
  await page.locator('main h1').first().waitFor();
  await check('onboarding: on first start the checklist shows connect, seller address, regions as not done', async () => {
    await page.locator('#onboarding').waitFor();
    for (const id of ['connect', 'seller', 'regions']) assert(!(await isDone(id)), id + ' shown as done on a new levy');
    assert(await item('seller').locator('a[href="#/settings"]').count() === 1, 'the seller address item does not link to Settings');
    assert(/origin sourcing/.test(await item('seller').innerText()), 'the seller item does not say what the address decides');
    await page.screenshot({ path: path.join(OUT, 'onboarding-new.png') });
  });
  await check('onboarding: seller address and a subscribed region tick their items (computed from levy\'s state)', async () => {
    const st = await http('PUT', base + '/v1/settings', { seller_address: { line1: '1 Main St', city: 'Austin', state: 'TX', zip_code: '78701', country: 'US' } }, auth);
    assert(st.status === 200, 'PUT /v1/settings ' + st.status + ' ' + st.text.slice(0, 200));
    await page.reload();
    await until('seller item done', async () => isDone('seller'), 15000);
    assert(!(await isDone('regions')), 'regions done with none subscribed');
    const rg = await http('PUT', base + '/v1/regions/US-TX', { subscribed: true, tax_calculation: true }, auth);
    assert(rg.status === 200, 'PUT /v1/regions/US-TX ' + rg.status + ' ' + rg.text.slice(0, 200));
    await page.reload();
    await until('regions item done', async () => isDone('regions'), 15000);
    assert(/Austin/.test(await item('seller').innerText()), 'the seller item does not show the address');
  });

  for (const vp of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    const W = vp.width + 'px: ';
    await page.setViewportSize(vp);
    let connId = null;
    await check(W + 'wizard: several subsidiaries, none pre-selected; Back on every step', async () => {
      await page.goto(base + '/#/integrations');
      await page.locator('#connect-rillet:not([disabled])').click();
      await modal.locator('form[data-step="intro"]').waitFor();
      assert(await modal.getByRole('button', { name: 'Cancel' }).count() === 1, 'no Cancel on the first step');
      await modal.getByRole('button', { name: 'Get Started' }).click();
      await modal.locator('form[data-step="key"]').waitFor();
      await modal.getByRole('button', { name: 'Back' }).click();
      await modal.locator('form[data-step="intro"]').waitFor();
      await modal.getByRole('button', { name: 'Get Started' }).click();
      await modal.getByLabel('Rillet API key', { exact: true }).fill(apiKey);
      await modal.getByRole('button', { name: 'Next' }).click();
      await modal.locator('form[data-step="subsidiary"]').waitFor();
      const radios = modal.locator('input[type="radio"]');
      assert(await radios.count() >= 2, 'the simulator should offer several subsidiaries, got ' + await radios.count());
      assert(await modal.locator('input[type="radio"]:checked').count() === 0, 'a subsidiary was pre-selected');
      await modal.getByRole('button', { name: 'Next' }).click();
      await modal.locator('.field-error', { hasText: 'Choose a subsidiary' }).waitFor();
      /* Back to the key: the connection exists; Next keeps its key (no second connection) */
      await modal.getByRole('button', { name: 'Back' }).click();
      await modal.locator('form[data-step="key"]').waitFor();
      const before = (await http('GET', base + '/v1/connections', undefined, auth)).json.data.length;
      await modal.getByRole('button', { name: 'Next' }).click();
      await modal.locator('form[data-step="subsidiary"]').waitFor();
      const after = (await http('GET', base + '/v1/connections', undefined, auth)).json.data.length;
      assert(before === after, 'Back then Next made another connection: ' + before + ' -> ' + after);
      const usd = modal.locator('label.radio', { hasText: vp.width === 1280 ? 'USD' : 'EUR' });
      await usd.first().locator('input').check();
      await modal.getByRole('button', { name: 'Next' }).click();
      await modal.locator('form[data-step="webhook"]').waitFor();
      connId = /\/(con_[A-Za-z0-9_]+)$/.exec(await modal.locator('#webhook-url').inputValue())[1];
      await modal.getByRole('button', { name: 'Back' }).click();
      await modal.locator('form[data-step="subsidiary"]').waitFor();
      assert(await modal.locator('input[type="radio"]:checked').count() === 1, 'the chosen subsidiary is not shown as chosen after Back');
      await modal.getByRole('button', { name: 'Next' }).click();
      await modal.locator('form[data-step="webhook"]').waitFor();
    });

    await check(W + 'wizard: a webhook URL that is not HTTPS is warned about', async () => {
      const url = await modal.locator('#webhook-url').inputValue();
      assert(url.startsWith('http://'), 'expected the harness\'s http:// public URL: ' + url);
      await modal.locator('.webhook-not-https', { hasText: 'not HTTPS' }).waitFor();
      await page.screenshot({ path: path.join(OUT, 'wizard-webhook-http-' + vp.width + '.png') });
    });

    await check(W + 'wizard: token step and the last step have Back; connect; the card shows the environment and its Rillet URL', async () => {
      const url = await modal.locator('#webhook-url').inputValue();
      const wh = await http('POST', simUrl + '/_sim/webhooks', { name: 'levy ' + vp.width, url, enabled: true, events: { INVOICE: EVENTS, CREDIT_MEMO: EVENTS } });
      const token = pickToken(wh.json);
      await modal.getByRole('button', { name: 'I created the webhook' }).click();
      await modal.locator('form[data-step="token"]').waitFor();
      await modal.getByRole('button', { name: 'Back' }).click();
      await modal.locator('form[data-step="webhook"]').waitFor();
      await modal.getByRole('button', { name: 'I created the webhook' }).click();
      await modal.getByLabel('Webhook signing token', { exact: true }).fill(token);
      await modal.getByRole('button', { name: 'Connect', exact: true }).click();
      await modal.locator('form[data-step="done"]').waitFor();
      await modal.getByRole('button', { name: 'Back' }).click();
      await modal.locator('form[data-step="token"]').waitFor();
      await modal.locator('.close, button[aria-label="Close"]').first().click();
      await until('modal closed', async () => !(await modal.evaluate(d => d.open)), 5000);
      const card = page.locator('section.connection[data-id="' + connId + '"]');
      await card.waitFor();
      await card.locator('.conn-environment', { hasText: 'Production' }).waitFor();
      await card.locator('.conn-environment', { hasText: simUrl }).waitFor();
    });

    await check(W + 'import progress: the API reports N of M; the card shows "N of M" with a bar and an estimate', async () => {
      const con = await until('documents imported and decided', async () => {
        const c = (await http('GET', base + '/v1/connections/' + connId, undefined, auth)).json;
        return c.import.state === 'done' && c.import_progress && c.import_progress.documents > 0 &&
          c.import_progress.decided === c.import_progress.documents ? c : null;
      }, 90000, 500);
      assert(con.import_progress.documents === con.import.invoices + con.import.credit_memos,
        'M is not the imported documents: ' + JSON.stringify(con.import_progress) + ' ' + JSON.stringify(con.import));
      /* the taxing phase is short against the simulator: replay it through the page's own
       * polling with the counts a larger, slower import goes through (GET answers rewritten) */
      let step = 0;
      await page.route(CONN_GET, async route => {
        const res = await route.fetch();
        const j = await res.json();
        const fix = c => {
          if (c.id !== connId) return;
          /* still listing Rillet (400 records read so far) while the first documents are taxed */
          c.import = Object.assign({}, c.import, { state: 'running', finished_at: null, customers: 150, products: 50, invoices: 200, credit_memos: 0 });
          c.import_progress = { documents: 1200, decided: Math.min(1199, 100 + 40 * step) };
        };
        if (Array.isArray(j.data)) j.data.forEach(fix); else if (j && j.id) fix(j);
        step++;
        await route.fulfill({ response: res, json: j });
      });
      await page.goto(base + '/#/settings');
      await page.goto(base + '/#/integrations');
      const card = page.locator('section.connection[data-id="' + connId + '"]');
      await card.locator('.import-n-of-m', { hasText: /^\d+ of 1,200 documents taxed$/ }).waitFor();
      await card.locator('.import-reading', { hasText: 'Reading from Rillet: 400 records so far' }).waitFor();
      const bar = card.locator('progress.import-bar');
      assert(await bar.getAttribute('max') === '1200', 'bar max ' + await bar.getAttribute('max'));
      await card.locator('.import-estimate', { hasText: /minute|less than/ }).waitFor({ timeout: 30000 });
      await page.screenshot({ path: path.join(OUT, 'wizard-import-progress-' + vp.width + '.png') });
      await page.unroute(CONN_GET);
    });
  }

  await check('onboarding: after the connection, connect is done and the products item counts those on the fallback code', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/integrations');
    await page.locator('#onboarding').waitFor();
    await until('connect item done', async () => isDone('connect'), 15000);
    let all = [], cursor = null;
    do {
      const r = (await http('GET', base + '/v1/products?limit=500' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''), undefined, auth)).json;
      all = all.concat(r.data); cursor = r.next_cursor;
    } while (cursor);
    const fallback = all.filter(p => p.tax_code_source === 'default').length;
    const text = await item('products').innerText();
    if (fallback) {
      assert(text.includes(fallback + (fallback === 1 ? ' product is' : ' products are')), 'products item says "' + text + '", the API ' + fallback + ' on the default code');
      assert(!(await isDone('products')), 'products done with ' + fallback + ' on the fallback code');
    } else assert(await isDone('products'), 'products not done with none on the fallback code');
    await page.screenshot({ path: path.join(OUT, 'onboarding-connected.png') });
  });
  await check('onboarding: a customer marked exempt ticks the exemptions item; a region over its threshold is suggested', async () => {
    assert(!(await isDone('exemptions')), 'exemptions done with no customer exempt and no field configured');
    const cs = (await http('GET', base + '/v1/customers?limit=1', undefined, auth)).json.data;
    const put = await http('PUT', base + '/v1/customers/' + encodeURIComponent(cs[0].id), { exempt: true, exempt_regions: ['US-TX'] }, auth);
    assert(put.status === 200, 'PUT customer ' + put.status + ' ' + put.text.slice(0, 200));
    /* the exposure report as a seller over Washington's threshold would see it */
    const EXPO = /\/v1\/reports\/exposure(\?.*)?$/;
    await page.route(EXPO, async route => {
      const res = await route.fetch();
      const j = await res.json();
      j.data = (j.data || []).filter(x => x.region !== 'US-WA');
      j.data.push(Object.assign({}, j.data[0] || {}, { region: 'US-WA', state: 'WA', status: 'exceeded', threshold_status: 'exceeded' }));
      await route.fulfill({ response: res, json: j });
    });
    await page.reload();
    await until('exemptions item done', async () => isDone('exemptions'), 15000);
    assert(/1 customer is marked exempt/.test(await item('exemptions').innerText()), await item('exemptions').innerText());
    await until('regions item suggests US-WA', async () => /US-WA \(over the threshold\)/.test(await item('regions').innerText()), 15000);
    assert(!(await isDone('regions')), 'regions done while a region over its threshold is not subscribed');
    await page.unroute(EXPO);
  });
  await check('onboarding: Dismiss hides the checklist for good', async () => {
    await page.locator('#onboarding').getByRole('button', { name: 'Dismiss' }).click();
    await until('checklist gone', async () => (await page.locator('#onboarding').count()) === 0, 5000);
    await page.reload();
    await page.locator('main h1').first().waitFor();
    await sleep(1500);
    assert(await page.locator('#onboarding').count() === 0, 'the checklist came back after a reload');
  });

  await check('390px: a Menu button opens the nav; every nav item is reachable and its page fits the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#/integrations');
    await page.locator('main h1').first().waitFor();
    const routes = await page.locator('#nav a[data-route]').evaluateAll(as => as.map(a => a.dataset.route));
    assert(routes.length >= 8, 'nav items: ' + routes.length);
    for (const r of routes) {
      const toggle = page.locator('#menu-toggle');
      assert(await toggle.isVisible(), 'no Menu button at 390 px');
      await toggle.click();
      const link = page.locator('#nav a[data-route="' + r + '"]');
      await link.waitFor({ state: 'visible' });
      const box = await link.boundingBox();
      assert(box && box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844, r + ' link is off screen: ' + JSON.stringify(box));
      await link.click();
      await until(r + ' shown', async () => page.url().endsWith('#/' + r), 5000);
      await page.locator('main h1').first().waitFor();
      await until(r + ' menu closed', async () => !(await link.isVisible()), 5000);
      await sleep(400);
      const fit = await page.evaluate(() => [document.body.scrollWidth, document.body.clientWidth, document.documentElement.scrollWidth,
        /* what sticks out (the innermost elements wider than the screen), for the message */
        Array.from(document.querySelectorAll('body *')).filter(el => el.getBoundingClientRect().right > document.body.clientWidth + 1 &&
          !Array.from(el.children).some(c => c.getBoundingClientRect().right > document.body.clientWidth + 1))
          .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')]);
      assert(fit[0] <= fit[1] && fit[2] <= 390, r + ': body scrollWidth ' + fit[0] + ' > clientWidth ' + fit[1] + ' (page ' + fit[2] + '): ' + fit[3].join(', '));
    }
    await page.locator('#menu-toggle').click();
    await page.screenshot({ path: path.join(OUT, 'menu-390.png') });
    await page.keyboard.press('Escape');
    assert(!(await page.locator('#nav a').first().isVisible()), 'Escape did not close the menu');
  });

  await check('1280px: the nav shows every item without a Menu button', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/integrations');
    assert(!(await page.locator('#menu-toggle').isVisible()), 'Menu button shown at 1280 px');
    for (const a of await page.locator('#nav a[data-route]').all()) assert(await a.isVisible(), 'nav item hidden at 1280 px');
  });

  await check('validation errors name the field in words and never show an API path (real 422 and 404 answers)', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(base + '/#/settings');
    await page.locator('main h1').first().waitFor();
    const shown = await page.evaluate(async () => {
      const L = window.levy, out = [];
      for (const [m, p, b] of [['PUT', '/v1/settings', { seller_address: { postal_code: '1' } }],
        ['PUT', '/v1/settings', { sweep_interval_minutes: 0, rounding: 'sideways' }],
        ['GET', '/v1/no-such-thing']]) {
        try { await L.api(m, p, b); out.push({ ok: true }); } catch (e) {
          const n = L.errorNotice(e, document.getElementById('settings-form'));
          document.body.appendChild(n);
          out.push({ raw: e.message + ' ' + JSON.stringify(e.details), visible: n.querySelector('strong').innerText + ' ' + Array.from(n.querySelectorAll(':scope > ul li')).map(li => li.innerText).join(' | '),
            tech: n.querySelector('details.tech-details') ? n.querySelector('details.tech-details').open === false : null });
          n.remove();
        }
      }
      return out;
    });
    for (const s of shown) {
      assert(!s.ok, 'a bad request was accepted');
      assert(!/\/v1\/|\/admin\//.test(s.visible), 'an API path is shown: ' + s.visible);
      assert(!/[a-z]+_[a-z_]+/.test(s.visible), 'a raw field name is shown: "' + s.visible + '" (from ' + s.raw + ')');
      assert(s.tech === true, 'no closed Technical details for ' + s.raw);
    }
    assert(/Seller address postal code/i.test(shown[0].visible), 'the field is not named in words: ' + shown[0].visible);
    assert(/Sweep interval/i.test(shown[1].visible) && /Rounding/.test(shown[1].visible), 'the fields are not named in words: ' + shown[1].visible);
  });

  await check('no page errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await ctx.close();
}

t.run(main);
