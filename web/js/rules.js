/* Rules: the loaded generation (plugins and rule files with hashes) and hot reload. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  L.page('rules', {
    title: 'Rules',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      var summary = h('dl', { class: 'kv', id: 'generation-summary' },
        h('dt', { text: 'Generation' }), h('dd', { id: 'generation', text: '…' }),
        h('dt', { text: 'Content' }), h('dd', { id: 'generation-hash', class: 'mono', style: 'overflow-wrap:anywhere', text: '…' }),
        h('dt', { text: 'Loaded at' }), h('dd', { id: 'loaded-at', text: '…' }),
        h('dt', { text: 'Files' }), h('dd', { id: 'file-count', text: '…' }),
        h('dt', { text: 'Tree hash' }), h('dd', { id: 'tree-hash', class: 'mono', style: 'overflow-wrap:anywhere', text: '…' }),
        h('dt', { text: 'Rate data' }), h('dd', { id: 'rate-sources', text: '…' }),
        h('dt', { text: 'Store' }), h('dd', { id: 'store-engine', text: '…' }));
      var reload = h('button', { type: 'button', id: 'reload', text: 'Reload rules and plugins' });
      var result = h('div', { id: 'reload-result' });
      var kind = h('select', { name: 'kind' }, h('option', { value: '', text: 'All' }), h('option', { value: 'rule', text: 'Rules' }), h('option', { value: 'plugin', text: 'Plugins' }));
      var tbody = h('tbody', null, L.loadingRow(3));
      var errSlot = h('div');
      /* every live replica sharing the store and the generation each serves (issue 22): a
       * rollout reloads replicas one by one; while they differ, an older generation's result
       * never replaces a newer one's in Rillet */
      var repsNote = h('div', { id: 'replicas-mixed' });
      var repsBody = h('tbody', null, L.loadingRow(6));
      /* the last reload rejected (it stays said until a reload takes: Home links here) and the
       * background jobs that gave up after their retries in the last days (GET /admin/generation) */
      var lastReload = h('div', { id: 'last-reload' });
      var deadBody = h('tbody', null, L.loadingRow(5));
      var deadNote = h('p', { class: 'muted', style: 'margin-top:0' });
      /* issue 20 (jobs20): each one can be queued again (POST /admin/jobs/{id}/retry), or all of
       * them at once (POST /admin/jobs/retry), once what it died of is fixed; the outcome is said
       * here and the list re-read (Home's item goes once nothing is left) */
      var deadResult = h('div', { id: 'dead-jobs-result' });
      var retryAll = h('button', { type: 'button', id: 'dead-jobs-retry-all', class: 'secondary', text: 'Retry all' });
      var retryAllBar = h('div', { class: 'actions', hidden: true }, retryAll);
      main.appendChild(h('h1', { text: 'Rules' }));
      main.appendChild(h('section', { class: 'card' },
        h('p', { class: 'muted', style: 'margin-top:0', text: 'levy builds a new generation from plugins/ and scripts/, runs every self-test, and swaps it in only if all pass. A rejected reload keeps the current generation serving.' }),
        summary, lastReload, result, h('div', { class: 'actions' }, reload)));
      main.appendChild(h('section', { class: 'card', id: 'dead-jobs' },
        h('h2', { text: 'Background jobs that gave up' }), deadNote, deadResult,
        L.tableWrap(['When', 'Job', 'Tries', 'Last error', ''], deadBody, { id: 'dead-jobs-table' }), retryAllBar));
      main.appendChild(h('section', { class: 'card', id: 'replicas' },
        h('h2', { text: 'Replicas' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Every levy process sharing this store, with the generation it serves (content hash of its plugins, scripts and rate vintages; seq orders contents across replicas, higher is newer). Reload is per replica.' }),
        repsNote,
        L.tableWrap(['Replica', 'Generation', 'Content', 'Seq', 'Loaded at', 'Last seen'], repsBody, { id: 'replicas-table' })));
      main.appendChild(errSlot);
      main.appendChild(h('div', { class: 'toolbar' }, L.field({ label: 'Kind', input: kind })));
      main.appendChild(L.tableWrap(['File', 'Kind', 'SHA-256'], tbody, { id: 'files-table' }));

      var files = [];
      function draw() {
        L.clear(tbody);
        var shown = files.filter(function (f) { return !kind.value || f.kind === kind.value; });
        if (!shown.length) tbody.appendChild(h('tr', null, h('td', { colspan: 3, class: 'empty', text: 'No files.' })));
        shown.forEach(function (f) {
          tbody.appendChild(h('tr', null, h('td', { class: 'mono', text: f.path }), h('td', null, L.badge(f.kind)),
            h('td', { class: 'mono', style: 'overflow-wrap:anywhere;font-size:.78rem', text: f.sha256 || '—' })));
        });
      }
      kind.addEventListener('change', draw);
      function drawProblems(g) {
        var lr = g.last_reload;
        L.clear(lastReload);
        if (lr && lr.status === 'rejected') {
          lastReload.appendChild(h('div', { class: 'notice error', role: 'alert', id: 'last-reload-rejected' },
            h('strong', { text: 'The last reload (' + L.time(lr.at) + ') was rejected; generation ' + g.generation + ' is still serving. ' }),
            plural(lr.errors, 'error', 'errors') + (lr.file ? ', the first in ' : ''), lr.file ? h('code', { text: lr.file + (lr.line ? ':' + lr.line : '') }) : null,
            lr.message ? ': ' + lr.message : '', '. Fix the file (levy check names every error) and reload.'));
        }
        var dj = g.dead_jobs || {};
        var rows = dj.latest || [];
        L.clear(deadBody);
        deadNote.textContent = 'Jobs that failed every retry in the last ' + (dj.days || 7) + ' days' +
          (dj.total > rows.length ? ' (' + dj.total + '; the latest ' + rows.length + ' shown)' : '') +
          '. levy does not run them again on its own: each says why. Once that is fixed (Rillet answering again, a key replaced, a rule corrected), Retry runs the job again with a fresh set of tries.';
        if (dj.error) deadBody.appendChild(h('tr', null, h('td', { colspan: 5, class: 'empty', text: 'The jobs could not be read: ' + dj.error })));
        else if (!rows.length) deadBody.appendChild(h('tr', null, h('td', { colspan: 5, class: 'empty', text: 'None: every background job finished or is still being retried.' })));
        retryAllBar.hidden = rows.length < 2;
        retryAll.textContent = dj.total > 1 ? 'Retry all ' + dj.total : 'Retry all';
        rows.forEach(function (j) {
          var what = L.jobText ? L.jobText(j.kind) : j.kind;
          var btn = h('button', { type: 'button', class: 'secondary', text: 'Retry', 'aria-label': 'Retry: ' + what });
          btn.addEventListener('click', function () { retryJob(j, what, btn); });
          deadBody.appendChild(h('tr', { dataset: { job: j.id } }, h('td', { text: L.time(j.died_at) }),
            h('td', null, what, ' ', h('span', { class: 'mono muted', text: j.kind })),
            h('td', { class: 'num', text: String(j.attempts) }), h('td', { style: 'overflow-wrap:anywhere', text: j.last_error || '—' }),
            h('td', null, btn)));
        });
      }
      function retried(text) {
        L.clear(deadResult);
        deadResult.appendChild(h('div', { class: 'notice ok', role: 'status', id: 'dead-jobs-retried', text: text }));
        return load();
      }
      function retryJob(j, what, btn) {
        L.busy(btn, true);
        L.clear(deadResult);
        L.api('POST', '/admin/jobs/' + encodeURIComponent(j.id) + '/retry', {}).then(function (r) {
          if (!alive) return;
          return retried('Queued again: levy is ' + what + ' once more' + (r.superseded ? ' (as part of the same work queued since)' : '') +
            '. If it fails every try again, it comes back to this list with its new error.');
        }, function (err) {
          if (!alive) return;
          L.busy(btn, false);
          if (err.status === 409 || err.status === 404) {
            /* retried or finished meanwhile (another tab, another operator): say so and re-read */
            L.clear(deadResult);
            deadResult.appendChild(h('div', { class: 'notice warn', role: 'status', text: 'That job is no longer waiting for a retry: ' + ((err.body && err.body.error && err.body.error.message) || 'it changed meanwhile') + '.' }));
            load();
          } else {
            L.showError(deadResult, err);
          }
        });
      }
      retryAll.addEventListener('click', function () {
        L.busy(retryAll, true);
        L.clear(deadResult);
        L.api('POST', '/admin/jobs/retry', {}).then(function (r) {
          if (!alive) return;
          L.busy(retryAll, false);
          return retried(r.retried ? 'Queued again: ' + plural(r.retried, 'job', 'jobs') + ', each with a fresh set of tries. A job that fails every try again comes back to this list.' :
            'Nothing to retry: no job is waiting for one.');
        }, function (err) { if (alive) { L.busy(retryAll, false); L.showError(deadResult, err); } });
      });
      function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
      function drawReplicas(g) {
        var reps = g.replicas || [];
        L.clear(repsBody);
        L.clear(repsNote);
        if (!reps.length) repsBody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'empty', text: 'No replica seen.' })));
        reps.forEach(function (r) {
          repsBody.appendChild(h('tr', { dataset: { replica: r.replica } },
            h('td', null, h('span', { class: 'mono', text: r.replica }), r.self ? ' ' : null, r.self ? L.badge('this one') : null),
            h('td', { text: String(r.generation) }),
            h('td', { class: 'mono', title: r.hash || '', text: (r.hash || '—').slice(0, 16) }),
            h('td', { text: r.seq == null ? '—' : String(r.seq) }),
            h('td', { text: r.loaded_at ? L.time(r.loaded_at) : '—' }),
            h('td', { text: r.last_seen ? L.time(r.last_seen) : '—' })));
        });
        if (g.mixed) {
          repsNote.appendChild(h('div', { class: 'notice warn', role: 'status' },
            h('strong', { text: 'Replicas serve different generations. ' }),
            'Reload the others (or restart them on the same files and rate vintages). Meanwhile a calculation by an older generation is recorded but not written to Rillet when a newer generation has calculated the document.'));
        }
        if (g.replica_clash) {
          /* another live process used this replica's id (a copied data dir): this one took a new id */
          repsNote.appendChild(h('div', { class: 'notice warn', role: 'alert', id: 'replica-clash' },
            h('strong', { text: 'Two processes used the replica id ' + g.replica_clash.replica + '. ' }),
            'This process found another live levy under that id (a data dir copied from another replica keeps its replica-id file) and serves as ' +
            g.replica_clash.renamed_to + ' since ' + L.time(g.replica_clash.detected_at) + '. Give each replica a data dir of its own (or its own --replica-id).'));
        }
        if (g.replicas_error) repsNote.appendChild(h('div', { class: 'notice error', role: 'alert', text: 'The replica list could not be read: ' + g.replicas_error }));
      }
      /* /healthz: the store engine (SQLite or PostgreSQL), this process's replica id and the
       * store's state (503 while degraded still carries the JSON) */
      function loadStore() {
        var slot = summary.querySelector('#store-engine');
        return fetch('/healthz', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (hz) {
          if (!alive) return;
          slot.textContent = [hz.engine === 'postgres' ? 'PostgreSQL' : 'SQLite',
            hz.replica ? 'replica ' + hz.replica : null,
            hz.store && hz.store !== 'ok' ? 'degraded: ' + hz.store : 'ok'].filter(Boolean).join(' · ');
        }, function () { if (alive) slot.textContent = 'unknown (/healthz did not answer)'; });
      }
      function load() {
        loadStore();
        return L.api('GET', '/admin/generation').then(function (g) {
          if (!alive) return;
          files = (g.files || []).slice().sort(function (a, b) { return a.path < b.path ? -1 : a.path > b.path ? 1 : 0; });
          summary.querySelector('#generation').textContent = String(g.generation);
          summary.querySelector('#generation-hash').textContent = g.hash ? g.hash.slice(0, 16) + '… (seq ' + (g.seq == null ? 'not registered' : g.seq) + ')' : '—';
          drawReplicas(g);
          drawProblems(g);
          summary.querySelector('#loaded-at').textContent = L.time(g.loaded_at);
          summary.querySelector('#file-count').textContent = files.filter(function (f) { return f.kind === 'rule'; }).length + ' rules, ' +
            files.filter(function (f) { return f.kind === 'plugin'; }).length + ' plugin files';
          summary.querySelector('#tree-hash').textContent = g.tree_sha256 || '—';
          var rates = g.rates || g.rate_sources || g.data_sources || null;
          summary.querySelector('#rate-sources').textContent = Array.isArray(rates) && rates.length ? rates.map(function (r) {
            return typeof r === 'string' ? r : [r.source || r.name, r.vintage].filter(Boolean).join(' ');
          }).join('; ') : 'named by each calculation (Calculator → Rates)';
          L.showError(errSlot, null);
          draw();
        }, function (err) { if (alive) { L.clear(tbody); L.showError(errSlot, err); } });
      }
      reload.addEventListener('click', function () {
        L.busy(reload, true);
        reload.textContent = 'Reloading…';
        L.clear(result);
        L.api('POST', '/admin/reload', {}).then(function (r) {
          result.appendChild(h('div', { class: 'notice ok', role: 'status' },
            r.status === 'unchanged' ? 'Nothing changed: generation ' + r.generation + ' keeps serving.' : 'Reloaded: generation ' + r.generation + ' is live.'));
          return load();
        }, function (err) {
          var b = err.body || {};
          if (err.status === 422 && b.errors) {
            result.appendChild(h('div', { class: 'notice error', role: 'alert', id: 'reload-errors' },
              h('strong', { text: 'Reload rejected. Generation ' + b.generation + ' is still serving.' }),
              h('ul', null, b.errors.map(function (e) {
                return h('li', null, h('code', { text: (e.file || '?') + (e.line ? ':' + e.line : '') }), ' ', e.message || '');
              }))));
          } else {
            L.showError(result, err);
          }
        }).then(function () {
          L.busy(reload, false);
          reload.textContent = 'Reload rules and plugins';
          reload.focus();
        });
      });
      load();
      /* a read-only session (admin23): reload and retry change things; the kind filter stays */
      L.me().then(function (m) { if (alive && m && m.read_only) L.lockWrites(main, 'select[name="kind"]'); });
      return 'Rules';
    }
  });
})();
