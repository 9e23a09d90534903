#!/usr/bin/env node
/* Browser test of issue 20's "background jobs that gave up can be retried from the UI"
 * (jobs20): the Rules page's "Background jobs that gave up" table has a Retry button per row
 * and a "Retry all" button; each says its result in plain words and re-reads the list; Home's
 * "Needs attention" item about such jobs goes once nothing is dead.
 * The dead jobs are written into levy's SQLite store beside the running levy, as the runner
 * leaves them after their last try (see problems.test.js), of a kind no plugin runs: retried,
 * they stay queued (the API test reliab_job_retry runs retried jobs to done).
 * A real `levy serve` + `levy sim` (tests/e2e/harness.py pair), Debian's Chromium through
 * playwright-core.
 *
 *   node tests/browser/job_retry.test.js /path/to/levy
 *
 * Prints "N passed, N failed"; exit 0 only when nothing failed, 77 when Chromium is missing. */
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./harness')('job_retry.test.js');
const { ROOT, LEVY, TOKEN, check, assert, startPair, http } = t;

const IDS = ['job_jobs20uiaaaaaaaaaaaaaaaaaa', 'job_jobs20uibbbbbbbbbbbbbbbbbb', 'job_jobs20uicccccccccccccccccc'];

async function main() {
  const tmp = t.mkTmp('levy-ui-jobretry-');
  const pair = await startPair([LEVY, ROOT, tmp, TOKEN, '--seed', '3', '--invoices', '3', '--port-base', '31480']);
  const base = pair.levy_url;
  const auth = { Authorization: 'Bearer ' + TOKEN };
  const api = async (method, p, body) => http(method, base + p, body, auth);
  const db = path.join(tmp, 'data', 'levy.db');
  const state = (id) => execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c',
    'import sqlite3,sys\nr = sqlite3.connect(sys.argv[1], timeout=10).execute("SELECT state, attempts FROM jobs WHERE id=?", (sys.argv[2],)).fetchone()\nprint("%s %s" % r if r else "none")',
    db, id]).toString().trim();

  await check('three jobs that gave up are in /admin/generation dead_jobs', async () => {
    const py = 'import sqlite3,sys,time\n' +
      'db = sqlite3.connect(sys.argv[1], timeout=10)\n' +
      'now = int(time.time() * 1000)\n' +
      'for i, jid in enumerate(sys.argv[2:]):\n' +
      '    db.execute("INSERT INTO jobs (id, kind, key, payload, state, attempts, max_attempts, run_at, created_at, updated_at, last_error) ' +
      'VALUES (?, \'jobs20.ui_test\', NULL, \'{}\', \'dead\', 8, 8, ?, ?, ?, \'Rillet answered 503 (try \' || ? || \')\')", (jid, now, now - 60000, now - i * 1000, i))\n' +
      'db.commit()\n';
    execFileSync(process.env.LEVY_PYTHON3 || 'python3', ['-c', py, db].concat(IDS));
    const dj = (await api('GET', '/admin/generation')).json.dead_jobs;
    assert(dj.total === 3 && dj.latest.length === 3, 'dead_jobs: ' + JSON.stringify(dj));
  });

  const { ctx, page, errors, unlabelled, shot } = await t.browser(tmp, { labels: true });
  await t.signIn(page, tmp, base);
  await page.evaluate(() => localStorage.setItem('levy.onboarding.dismissed', '1'));
  const homeItem = async () => {
    await page.goto(base + '/#/home');
    await page.locator('#attention li:not(.loading)').first().waitFor();
    await page.waitForLoadState('networkidle');
    const loc = page.locator('#attention-dead-jobs');
    return (await loc.count()) ? await loc.innerText() : null;
  };
  const rows = page.locator('#dead-jobs-table tbody tr[data-job]');

  await check('Rules: a Retry button on each row, "Retry all 3" under the table', async () => {
    await page.goto(base + '/#/rules');
    await rows.first().waitFor();
    assert(await rows.count() === 3, 'rows: ' + await rows.count());
    const btn = page.locator('#dead-jobs-table tr[data-job="' + IDS[0] + '"] button');
    assert(await btn.innerText() === 'Retry' && await btn.getAttribute('aria-label') === 'Retry: jobs20.ui_test', 'button: ' + await btn.innerText());
    const all = page.locator('#dead-jobs-retry-all');
    assert(await all.isVisible() && (await all.innerText()) === 'Retry all 3', 'retry all: ' + await all.innerText());
    await shot('job-retry-rules');
  });

  await check('Retry on one row: "Queued again" said, the row gone, the job queued with fresh attempts', async () => {
    await page.locator('#dead-jobs-table tr[data-job="' + IDS[0] + '"] button').click();
    const note = page.locator('#dead-jobs-retried');
    await note.waitFor();
    assert(/^Queued again: levy is jobs20\.ui_test once more\./.test(await note.innerText()), 'note: ' + await note.innerText());
    await page.locator('#dead-jobs-table tr[data-job="' + IDS[0] + '"]').waitFor({ state: 'detached' });
    assert(await rows.count() === 2, 'rows: ' + await rows.count());
    assert(state(IDS[0]) === 'queued 0', 'store: ' + state(IDS[0]));
    assert(state(IDS[1]) === 'dead 8', 'the other job: ' + state(IDS[1]));
  });

  await check('Home still lists the 2 jobs that gave up', async () => {
    const it = await homeItem();
    assert(it && /gave up on 2 background tasks/.test(it), 'item: ' + it);
  });

  await check('Retry all: "Queued again: 2 jobs" said, the table says None, the button hidden', async () => {
    await page.goto(base + '/#/rules');
    await rows.first().waitFor();
    await page.locator('#dead-jobs-retry-all').click();
    const note = page.locator('#dead-jobs-retried');
    await note.waitFor();
    assert(/^Queued again: 2 jobs, each with a fresh set of tries/.test(await note.innerText()), 'note: ' + await note.innerText());
    await rows.first().waitFor({ state: 'detached' });
    const empty = await page.locator('#dead-jobs-table tbody').innerText();
    assert(/^None/.test(empty.trim()), 'table: ' + empty);
    assert(!(await page.locator('#dead-jobs-retry-all').isVisible()), 'Retry all still shown');
    assert(IDS.every((id) => state(id) === 'queued 0'), 'store: ' + IDS.map(state).join(', '));
    await shot('job-retry-done');
  });

  await check('Home: the item about jobs that gave up is gone', async () => {
    const it = await homeItem();
    assert(it === null, 'item: ' + it);
  });

  await check('no console errors', async () => { assert(!errors.length, errors.slice(0, 3).join(' | ')); });
  await check('every visible form control has an accessible name', async () => {
    assert(!unlabelled.length, unlabelled.slice(0, 3).join(' | '));
  });
  await ctx.close();
}

t.run(main);
