#!/usr/bin/env node
/* Browser test of Settings → People and tokens (issue 20, tokens22): named API tokens, so the
 * Activity page says who made a change. At 1280x800: the section lists no token; an empty
 * name is said next to the field without a request; "Create token" for Alice shows the token
 * once with a Copy button (the clipboard then holds it) and a row (name, access, created, last used
 * "Never", created by the browser session); a second Alice is refused in words; the token
 * opens the API, its change is "Alice's token" on the Activity page and "Last used" is set;
 * Revoke asks first, then the row goes and the token is refused (401); a read-only token is
 * listed as such and refused a change (403); an admin token (tokens23: the Access choice) is
 * listed "Admin" and may create tokens, and revoking it names the token it made, still
 * working, for review, and the Sphere key it made (ro23), to replace; (admin23) a full
 * token's session is not offered Create / Revoke, the Sphere key's creation nor Connect, and
 * says why; a read-only session's pages say "This session is read-only" and Settings' controls
 * are disabled. At 390x844 the Settings page does not overflow and each token is a block with
 * its Revoke button in view.
 * A real `levy serve` + `levy sim` (tests/e2e/harness.py pair), Debian's Chromium through
 * playwright-core.
 *
 *   node tests/browser/tokens.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const t = require('./harness')('tokens.test.js');
const { ROOT, LEVY, TOKEN, check, assert, startPair, http } = t;

async function main() {
  const tmp = t.mkTmp('levy-ui-tokens-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '0', '--port-base', '46420']);
  const base = pair.levy_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true, allow: /status of (409|422)/ });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await t.signIn(page, tmp, base);
  await page.evaluate(() => localStorage.setItem('levy.onboarding.dismissed', '1'));
  const card = page.locator('#tokens');
  const rows = page.locator('#tokens-table tbody tr[data-token]');
  let alice = null;

  await check('Settings shows "People and tokens" with no token yet', async () => {
    await page.goto(base + '/#/settings');
    await card.waitFor();
    assert((await card.locator('h2').innerText()) === 'People and tokens', 'heading');
    await page.locator('#tokens-table td.muted').waitFor();
    assert(/No named tokens yet/.test(await page.locator('#tokens-table tbody').innerText()), 'empty list');
  });

  await check('an empty name is said next to the field, nothing is created', async () => {
    await page.locator('#token-create').click();
    const err = page.locator('#token-name-err');
    assert(/Give the name/.test(await err.innerText()), 'error: ' + await err.innerText());
    assert((await page.locator('#token-name').getAttribute('aria-invalid')) === 'true', 'aria-invalid');
    assert(((await http('GET', base + '/v1/tokens', undefined, auth)).json.tokens || []).length === 0, 'a token was made');
  });

  await check('Create token for Alice: shown once with Copy, and listed', async () => {
    await page.locator('#token-name').fill('Alice');
    await page.locator('#token-create').click();
    await page.locator('#token-created').waitFor();
    alice = await page.locator('#token-value').inputValue();
    assert(/^lvt_[A-Za-z0-9_-]{43}$/.test(alice), 'token: ' + alice);
    assert(/will not show it again/.test(await page.locator('#token-created').innerText()), 'once notice');
    await page.locator('#token-copy').click();
    await t.until('the copy said', async () => (await page.locator('#token-copied').innerText()) !== '', 15000);
    const said = await page.locator('#token-copied').innerText();
    assert(said === 'Copied', 'copy said: ' + said);
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert(clip === alice, 'clipboard: ' + clip);
    await rows.first().waitFor();
    const cells = await rows.first().locator('td').allTextContents();
    assert(cells[0] === 'Alice' && cells[1] === 'Full' && /UTC$/.test(cells[2]) && cells[3] === 'Never' && /^UI session [0-9a-f]{8}$/.test(cells[4]),
      'row: ' + cells.join(' | '));
    assert((await page.locator('#token-name').inputValue()) === '', 'name field not emptied');
    await shot('tokens-created');
    await card.screenshot({ path: require('path').join(t.OUT, 'tokens-card.png') });
  });

  await check('a second token named Alice is refused in words', async () => {
    await page.locator('#token-name').fill('Alice');
    await page.locator('#token-create').click();
    const note = page.locator('#tokens-status .notice.error');
    await note.waitFor();
    assert(/exists/.test(await note.innerText()), 'notice: ' + await note.innerText());
    assert(await rows.count() === 1, 'rows: ' + await rows.count());
  });

  await check('Alice\'s token opens the API; the Activity page names her; Last used is set', async () => {
    const r = await http('PUT', base + '/v1/regions/US-CA', { subscribed: true, tax_calculation: true }, { Authorization: 'Bearer ' + alice });
    assert(r.status === 200, 'PUT with the token: ' + r.status + ' ' + r.text.slice(0, 200));
    await page.goto(base + '/#/activity');
    await page.locator('main').getByText('Alice\'s token').first().waitFor();
    await page.goto(base + '/#/settings');
    await rows.first().waitFor();
    const cells = await rows.first().locator('td').allTextContents();
    assert(/UTC$/.test(cells[3]), 'last used: ' + cells[3]);
  });

  await check('Revoke asks first; then the row goes and the token is refused', async () => {
    await page.locator('#tokens-table tr[data-token="Alice"] button').click();
    const dlg = page.locator('#confirm');
    await dlg.waitFor();
    assert(/Revoke Alice’s token\?/.test(await page.locator('#confirm-title').innerText()), 'dialog title');
    await page.locator('#confirm button[value="cancel"]').click();
    assert(await rows.count() === 1, 'cancel revoked it');
    assert((await http('GET', base + '/v1/regions', undefined, { Authorization: 'Bearer ' + alice })).status === 200, 'cancel stopped the token');
    await page.locator('#tokens-table tr[data-token="Alice"] button').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#token-revoked').waitFor();
    await rows.first().waitFor({ state: 'detached' });
    const r = await http('GET', base + '/v1/regions', undefined, { Authorization: 'Bearer ' + alice });
    assert(r.status === 401, 'revoked token: ' + r.status);
    assert((await http('GET', base + '/v1/regions', undefined, auth)).status === 200, 'the API token');
    await shot('tokens-revoked');
  });

  await check('Create a read-only token: Access "Read-only", "Read-only" in the list, the token cannot change anything', async () => {
    await page.locator('#token-name').fill('Auditor');
    await page.getByLabel('Access', { exact: true }).selectOption('read_only');
    await page.locator('#token-create').click();
    await page.locator('#token-created').waitFor();
    assert(/^Read-only token for Auditor/.test(await page.locator('#token-created').innerText()), 'notice');
    const tok = await page.locator('#token-value').inputValue();
    await page.locator('#tokens-table tr[data-token="Auditor"]').waitFor();
    const cells = await page.locator('#tokens-table tr[data-token="Auditor"] td').allTextContents();
    assert(cells[1] === 'Read-only', 'row: ' + cells.join(' | '));
    assert((await page.locator('#token-role').inputValue()) === 'full', 'the Access choice stays read-only');
    const r = await http('PUT', base + '/v1/regions/US-NY', { subscribed: true }, { Authorization: 'Bearer ' + tok });
    assert(r.status === 403 && r.json.error.code === 'read_only', 'PUT: ' + r.status);
    assert((await http('GET', base + '/v1/regions', undefined, { Authorization: 'Bearer ' + tok })).status === 200, 'GET');
  });

  await check('Create an admin token; it makes a token; revoking it names that token, still working, to review', async () => {
    await page.locator('#token-name').fill('Ops');
    await page.locator('#token-role').selectOption('admin');
    await page.locator('#token-create').click();
    await page.locator('#token-created').waitFor();
    assert(/^Admin token for Ops/.test(await page.locator('#token-created').innerText()), 'notice');
    const ops = await page.locator('#token-value').inputValue();
    await page.locator('#tokens-table tr[data-token="Ops"]').waitFor();
    const cells = await page.locator('#tokens-table tr[data-token="Ops"] td').allTextContents();
    assert(cells[1] === 'Admin', 'row: ' + cells.join(' | '));
    const mk = await http('POST', base + '/v1/tokens', { name: 'Helper' }, { Authorization: 'Bearer ' + ops });
    assert(mk.status === 201 && mk.json.created_by === 'Ops\'s token', 'Ops creates Helper: ' + mk.status + ' ' + mk.text);
    const sk = await http('POST', base + '/v1/sphere-api-key', undefined, { Authorization: 'Bearer ' + ops });
    assert(sk.status === 201, 'Ops makes the Sphere key: ' + sk.status + ' ' + sk.text);
    const full = await http('POST', base + '/v1/tokens', { name: 'Nope' }, { Authorization: 'Bearer ' + mk.json.token });
    assert(full.status === 403 && full.json.error.code === 'admin_required', 'a full token creates: ' + full.status);
    await page.goto(base + '/#/home');
    await page.goto(base + '/#/settings');
    await page.locator('#tokens-table tr[data-token="Ops"] button').click();
    await page.locator('#confirm-ok').click();
    await page.locator('#token-revoked').waitFor();
    const said = await page.locator('#token-revoked').innerText();
    assert(/Review them/.test(said) && /Helper — Full, created .* still working/.test(said), 'notice: ' + said);
    /* ro23: the Sphere key Ops made outlives it: named, to replace */
    assert(/set these secrets, still in use/.test(said) && /The Sphere API key — set .*Replace key/.test(said), 'secrets: ' + said);
    assert((await http('GET', base + '/v1/regions', undefined, { Authorization: 'Bearer ' + mk.json.token })).status === 200,
      'Helper stopped working when Ops was revoked');
    await shot('tokens-revoked-made');
  });

  /* issue 20 #2: the revoke dialog offers to revoke the live tokens the token made in the same
   * act (DELETE ?cascade=tokens); before, it only said them afterwards, and they kept working */
  await check('Revoking an admin token: the dialog lists the tokens it made, a checkbox revokes them too', async () => {
    const boss = await http('POST', base + '/v1/tokens', { name: 'Boss', role: 'admin' }, auth);
    assert(boss.status === 201, 'create Boss: ' + boss.status);
    const kid = await http('POST', base + '/v1/tokens', { name: 'Kid' }, { Authorization: 'Bearer ' + boss.json.token });
    assert(kid.status === 201, 'Boss creates Kid: ' + kid.status + ' ' + kid.text);
    await page.goto(base + '/#/home');
    await page.goto(base + '/#/settings');
    await page.locator('#tokens-table tr[data-token="Boss"] button').click();
    const box = page.locator('#confirm #revoke-created');
    await box.waitFor({ timeout: 5000 });
    const said = await page.locator('#confirm').innerText();
    assert(/Kid/.test(said) && /also revoke/i.test(said), 'dialog: ' + said);
    assert(!(await box.isChecked()), 'the checkbox starts unchecked');
    await box.check();
    await page.locator('#confirm-ok').click();
    await page.locator('#token-revoked').waitFor();
    const note = await page.locator('#token-revoked').innerText();
    assert(/Revoked with it: Kid/.test(note), 'notice: ' + note);
    assert((await http('GET', base + '/v1/regions', undefined, { Authorization: 'Bearer ' + kid.json.token })).status === 401,
      'Kid still works after Boss was revoked with its tokens');
    await page.locator('#tokens-table tr[data-token="Kid"]').waitFor({ state: 'detached' });
    /* the next dialog without tokens made shows no checkbox */
    await page.locator('#tokens-table tr[data-token] button').first().click();
    assert((await page.locator('#confirm #revoke-created').count()) === 0, 'a stale checkbox stayed in the dialog');
    await page.locator('#confirm button[value="cancel"]').click();
  });

  await check('390x844: Settings with a token listed does not overflow; each token a block, Revoke in view', async () => {
    const mk = await http('POST', base + '/v1/tokens', { name: 'ci-deploy (the nightly export job)' }, auth);
    assert(mk.status === 201, 'create: ' + mk.status);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/#/home'); /* the same hash again would not render the page anew */
    await page.goto(base + '/#/settings');
    await rows.first().waitFor();
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    const wide = w <= 390 ? [] : await page.evaluate(() => Array.from(document.querySelectorAll('main *'))
      .filter(el => el.getBoundingClientRect().right > 391 && !el.closest('.table-wrap'))
      .slice(-3).map(el => el.tagName + '.' + el.className + '#' + el.id + ' ' + Math.round(el.getBoundingClientRect().right)));
    assert(w <= 390, 'settings is ' + w + 'px wide: ' + wide.join(' | '));
    const bb = await page.locator('#tokens-table tr[data-token] button').last().boundingBox();
    assert(bb && bb.x >= 0 && bb.x + bb.width <= 390, 'the Revoke button is out of view: ' + JSON.stringify(bb));
    await card.screenshot({ path: require('path').join(t.OUT, 'narrow-tokens.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  /* admin23: the page asks GET /v1/me and offers only what the session's role may do. Before,
   * a full or read-only session saw Create / Revoke, "Create key" and Connect, and the click
   * was answered 403; the read-only session was not told it was read-only. */
  async function sessionPage(tok) {
    const r = await http('POST', base + '/v1/session', { api_token: tok });
    assert(r.status === 201, 'session: ' + r.status + ' ' + r.text);
    const p = await ctx.newPage();
    p.on('pageerror', e => errors.push('pageerror: ' + e.message));
    await p.goto(base + '/#/home');
    await p.evaluate(st => sessionStorage.setItem('levy.session', st), r.json.session_token);
    return p;
  }
  await check('the admin session is offered everything: no read-only notice, no admin-only note', async () => {
    await page.goto(base + '/#/home');
    await page.goto(base + '/#/settings');
    await page.locator('#token-create').waitFor();
    await page.locator('#tokens-table tr[data-token] button').first().waitFor();
    assert(await page.locator('#tokens-admin-only').isHidden(), 'the admin-only note shows to an admin');
    assert(await page.locator('#read-only-notice').count() === 0, 'an admin session called read-only');
    await page.locator('#sphere-key-h').waitFor();
    assert(await page.locator('#sphere-key-admin').count() === 0, 'the Sphere key note shows to an admin');
  });
  await check('a full token\'s session: Settings offers no Create / Revoke nor a Sphere key, saying why; Connect is disabled', async () => {
    const mk = await http('POST', base + '/v1/tokens', { name: 'Fred', role: 'full' }, auth);
    assert(mk.status === 201, 'create: ' + mk.status);
    const p = await sessionPage(mk.json.token);
    await p.goto(base + '/#/settings');
    const note = p.locator('#tokens-admin-only');
    await note.waitFor();
    assert(/Only an admin can create or revoke tokens/.test(await note.innerText()), 'note: ' + await note.innerText());
    await p.locator('#tokens-table tr[data-token]').first().waitFor();
    assert(await p.locator('#token-create').isHidden(), 'Create token is offered');
    const shown = await p.locator('#tokens-table tr[data-token] button').evaluateAll(bs => bs.filter(b => !b.hidden).length);
    assert(shown === 0, shown + ' Revoke buttons are offered');
    await p.locator('#sphere-key-admin').waitFor();
    assert(/Only an admin can create or replace this key/.test(await p.locator('#sphere-key-admin').innerText()), 'sphere note');
    assert(await p.getByRole('button', { name: /^(Create|Replace) key$/ }).count() === 0, 'Create key is offered');
    assert(await p.locator('#read-only-notice').count() === 0, 'a full session called read-only');
    assert(await p.getByRole('button', { name: 'Save settings' }).isEnabled(), 'a full session may save the settings');
    await p.goto(base + '/#/integrations');
    await p.locator('#connect-admin-only').waitFor();
    await t.until('the connections loaded', async () => !/Checking/.test(await p.locator('.tile p.muted').first().innerText()), 15000);
    assert(await p.locator('#connect-rillet').isDisabled(), 'Connect is enabled for a full session');
    await p.close();
  });
  await check('a read-only session: every page says "This session is read-only"; the controls of Settings, Regions, Integrations and Rules that change something are disabled', async () => {
    const mk = await http('POST', base + '/v1/tokens', { name: 'Viewer', role: 'read_only' }, auth);
    assert(mk.status === 201, 'create: ' + mk.status);
    const p = await sessionPage(mk.json.token);
    await p.goto(base + '/#/settings');
    const ro = p.locator('#read-only-notice');
    await ro.waitFor();
    assert(/^This session is read-only/.test(await ro.innerText()), 'notice: ' + await ro.innerText());
    const save = p.getByRole('button', { name: 'Save settings' });
    await save.waitFor();
    await t.until('Save settings disabled', async () => await save.isDisabled(), 15000);
    assert(await p.locator('#recount-start').isDisabled(), 'Recount is enabled');
    assert(await p.locator('#token-create').isHidden(), 'Create token is offered');
    const open = await p.locator('main').evaluate(m => Array.from(m.querySelectorAll('input, select, textarea, button'))
      .filter(el => !el.disabled && el.getClientRects().length).map(el => el.outerHTML.slice(0, 80)));
    assert(!open.length, 'controls left enabled: ' + open.join(' | '));
    await p.goto(base + '/#/regions');
    await t.until('the Regions page says read-only', async () => await p.locator('#read-only-notice').count() === 1, 15000);
    const sub = p.locator('main tbody input[name="subscribed"]').first();
    await sub.waitFor();
    await t.until('the regions\' switches disabled', async () => await sub.isDisabled(), 15000);
    assert(await p.locator('main input[name="q"]').isEnabled(), 'the Regions search (a filter) is disabled');
    await p.goto(base + '/#/integrations');
    await t.until('Integrations says read-only', async () => await p.locator('#read-only-notice').count() === 1, 15000);
    assert(await p.locator('#connect-rillet').isDisabled(), 'Connect is enabled for a read-only session');
    await p.goto(base + '/#/rules');
    await p.locator('#reload').waitFor();
    await t.until('Reload disabled', async () => await p.locator('#reload').isDisabled(), 15000);
    assert(await p.locator('main select[name="kind"]').isEnabled(), 'the Rules kind filter is disabled');
    await p.close();
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
