/* The browser tests' shared harness (tests/browser/*.test.js): the Chromium and playwright-core
 * checks (exit 77 when Chromium is missing), the pass/fail counters and `check`, `levy sim` +
 * `levy serve` through the one e2e harness (tests/e2e/harness.py pair), HTTP and polling
 * helpers, and the run: a 240 s guard, the log tails of levy and the simulator when a check
 * failed, cleanup of the processes and of the temporary dir (kept when a check failed), and the
 * "N passed, N failed" line with exit 0 only when nothing failed.
 *
 *   const t = require('./harness')('ui.test.js');
 *   async function main() { const tmp = t.mkTmp('levy-ui-'); ... await t.check('x', async () => t.assert(...)); }
 *   t.run(main);
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

module.exports = function harness(file) {
  const t = {
    CHROMIUM: process.env.LEVY_CHROMIUM || '/usr/bin/chromium',
    ROOT: process.env.LEVY_SOURCE || path.resolve(__dirname, '..', '..'),
    LEVY: process.argv[2],
    TOKEN: 'ui-test-' + require('crypto').randomBytes(12).toString('hex'),
    EVENTS: ['CREATED', 'UPDATED', 'DELETED', 'PAYMENT_UPDATED'],
    passed: 0, failed: 0, procs: [], logs: [], tmp: null,
  };
  t.OUT = path.join(t.ROOT, 'tests', 'out', 'screenshots');
  if (!t.LEVY || !fs.existsSync(t.LEVY)) { console.error('usage: ' + file + ' /path/to/levy'); process.exit(2); }
  if (!fs.existsSync(t.CHROMIUM)) { console.log('SKIP: ' + t.CHROMIUM + ' not installed'); process.exit(77); }
  try { ({ chromium: t.chromium } = require('playwright-core')); } catch (e) {
    console.error('playwright-core missing: run npm install --no-audit --no-fund playwright-core@1 in tests/browser'); process.exit(1);
  }

  const log = t.log = (...a) => console.log(...a);
  t.ok = name => { t.passed++; log('ok   - ' + name); };
  t.fail = (name, err) => { t.failed++; log('FAIL - ' + name + ': ' + (err && err.message ? err.message.split('\n')[0] : err)); };
  t.check = async (name, fn) => {
    /* LEVY_TEST_ONLY=<regex>: run only the matching checks (to see one fail against an older build) */
    if (process.env.LEVY_TEST_ONLY && !new RegExp(process.env.LEVY_TEST_ONLY).test(name)) return undefined;
    try { const r = await fn(); t.ok(name); return r; } catch (e) { t.fail(name, e); return undefined; }
  };
  t.assert = (cond, msg) => { if (!cond) throw new Error(msg); };
  t.sleep = ms => new Promise(r => setTimeout(r, ms));
  t.mkTmp = prefix => {
    t.tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.mkdirSync(t.OUT, { recursive: true });
    return t.tmp;
  };
  t.tail = p => { try { return fs.readFileSync(p.logFile, 'utf8').split('\n').slice(-15).join('\n'); } catch (e) { return ''; } };

  /* levy sim + levy serve from the one e2e harness (tests/e2e/harness.py pair): it picks the
   * ports, starts both, waits for their health, prints their URLs and log paths as one JSON
   * line, and stops both when it gets SIGTERM or its stdin closes. */
  t.startPair = args => {
    const h = spawn(process.env.LEVY_PYTHON3 || 'python3', [path.join(t.ROOT, 'tests', 'e2e', 'harness.py'), 'pair'].concat(args),
      { stdio: ['pipe', 'pipe', 'inherit'], env: Object.assign({}, process.env, { LEVY_LOG_FORMAT: 'text', LEVY_WEB: path.join(t.ROOT, 'web') }) });
    h.label = 'harness';
    h.on('exit', code => { h.exited = code === null ? 'signal' : code; });
    t.procs.push(h);
    return new Promise((resolve, reject) => {
      let buf = '';
      h.stdout.on('data', d => {
        buf += d;
        const i = buf.indexOf('\n');
        if (i < 0) return;
        const info = JSON.parse(buf.slice(0, i));
        t.logs.push({ label: 'sim', logFile: info.sim_log }, { label: 'levy', logFile: info.levy_log });
        if (info.error) reject(new Error(info.error + ':\n' + t.logs.map(t.tail).join('\n')));
        else resolve(info);
      });
      h.on('exit', code => reject(new Error('harness.py pair exited (' + code + ') before levy was up')));
    });
  };

  t.http = async (method, url, body, headers) => {
    const init = { method, headers: Object.assign({}, headers || {}) };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const res = await fetch(url, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    return { status: res.status, json, text };
  };
  t.until = async (what, fn, ms, every) => {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
      try { last = await fn(); if (last) return last; } catch (e) { last = e; }
      await t.sleep(every || 250);
    }
    throw new Error('timed out waiting for ' + what + (last instanceof Error ? ': ' + last.message : ''));
  };

  /* The simulator's control answers vary in shape only by naming; accept the obvious ones. */
  t.pickKey = info => {
    if (!info) return null;
    const c = [info.api_key, info.apiKey, info.key, info.demo_api_key,
      Array.isArray(info.api_keys) ? (info.api_keys[0] && (info.api_keys[0].key || info.api_keys[0])) : null,
      Array.isArray(info.keys) ? (info.keys[0] && (info.keys[0].key || info.keys[0])) : null];
    return c.find(x => typeof x === 'string' && x) || null;
  };
  t.pickToken = r => {
    if (!r) return null;
    const c = [r.signing_token, r.token, r.webhook_token, r.secret, r.webhook && r.webhook.signing_token];
    return c.find(x => typeof x === 'string' && x) || null;
  };

  /* Chromium on a profile in tmp at width x height (default timeout 15 s), its first page with
   * console errors and page errors collected in page.errors (ignore: a RegExp of console
   * errors that are expected), and page.shot(name): a full-page screenshot in OUT that also
   * records every visible form control without an accessible name in page.unlabelled. (The
   * older tests carry their own copies of this.) */
  t.browser = async (tmp, width, height, ignore) => {
    const ctx = await t.chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: t.CHROMIUM, headless: true, viewport: { width: width || 1280, height: height || 800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync']
    });
    ctx.setDefaultTimeout(15000);
    const page = ctx.pages()[0] || await ctx.newPage();
    page.errors = [];
    page.unlabelled = [];
    page.on('console', m => { if (m.type() === 'error' && !(ignore && ignore.test(m.text()))) page.errors.push(m.text()); });
    page.on('pageerror', e => page.errors.push('pageerror: ' + e.message));
    page.shot = async name => {
      const bad = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea, button')).filter(el => {
        if (el.type === 'hidden' || !el.getClientRects().length) return false;
        if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
        return !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby');
      }).map(el => el.outerHTML.slice(0, 80)));
      bad.forEach(b => page.unlabelled.push(name + ': ' + b));
      await page.screenshot({ path: path.join(t.OUT, name + '.png'), fullPage: true });
    };
    return { ctx, page };
  };
  /* Signs page in to the levy at base serving the data dir dataDir (a one-time link from levy signin). */
  t.signin = async (page, base, dataDir) => {
    const out = require('child_process').execFileSync(t.LEVY, ['signin', '--data-dir', dataDir, '--public-url', base],
      { env: Object.assign({}, process.env, { LEVY_API_TOKEN: '' }) }).toString();
    const m = /#signin=([A-Za-z0-9_-]+)/.exec(out);
    t.assert(m, 'levy signin printed no link');
    await page.goto(base + '/#signin=' + m[1]);
    await page.locator('main h1').first().waitFor();
  };

  const cleanup = () => {
    for (const p of t.procs) if (p.exited === undefined) { try { p.kill('SIGTERM'); } catch (e) { /* gone */ } }
  };
  t.run = main => {
    process.on('exit', cleanup);
    process.on('SIGINT', () => { cleanup(); process.exit(130); });
    const timer = setTimeout(() => {
      t.fail('whole test', 'timed out after 240 s'); log(t.passed + ' passed, ' + t.failed + ' failed'); cleanup(); process.exit(1);
    }, 240000);
    main().catch(e => t.fail('setup', e)).then(async () => {
      clearTimeout(timer);
      if (t.failed) {
        for (const p of t.logs) log('--- ' + p.label + ' log tail ---\n' + t.tail(p));
        if (t.tmp) log('logs and data kept in ' + t.tmp);
      }
      cleanup();
      await t.until('levy and the simulator stopped', () => t.procs.every(p => p.exited !== undefined), 20000, 100).catch(() => {});
      if (t.tmp && !t.failed) fs.rmSync(t.tmp, { recursive: true, force: true });
      log(t.passed + ' passed, ' + t.failed + ' failed');
      process.exit(t.failed ? 1 : 0);
    });
  };
  return t;
};
