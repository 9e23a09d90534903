/* Integrations: the Rillet tile, the connect flow modal, and the connection cards. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var EVENTS = ['Created', 'Updated', 'Deleted', 'Payment Updated'];
  var POLL_MS = 2000;

  function active(c) { return c && c.status !== 'disconnected' && c.status !== 'deleted'; }
  /* a connection card to focus once the list is drawn again (the wizard's "Show that connection") */
  var focusAfterLoad = null;

  /* Connection health (GET /v1/connections: `health`, issue 17): the same state, sentence and
   * action the API, the log and /metrics show. */
  var HEALTH = {
    connected: { label: 'Connected', tone: 'ok' },
    awaiting_webhook: { label: 'Waiting for the first verified delivery', tone: 'info' },
    setup: { label: 'Setup not finished', tone: 'warn' },
    webhook_failing: { label: 'Webhook deliveries refused', tone: 'error' },
    webhook_silent: { label: 'Webhook silent', tone: 'warn' },
    key_invalid: { label: 'API key refused', tone: 'error' },
    key_read_only: { label: 'API key is read-only', tone: 'error' },
    import_failed: { label: 'Import failed', tone: 'error' },
    rate_limited: { label: 'Rate limited by Rillet', tone: 'warn' }
  };
  function healthNotice(hs) {
    hs = hs || {};
    var m = HEALTH[hs.state] || { label: hs.state || 'Unknown', tone: 'info' };
    return h('div', { class: 'notice conn-health ' + m.tone, role: m.tone === 'error' ? 'alert' : 'status', dataset: { state: hs.state || '' } },
      h('strong', { class: 'conn-health-label', text: m.label + '. ' }),
      h('span', { class: 'conn-health-sentence', text: hs.sentence || '' }),
      hs.detail ? h('div', { class: 'conn-health-detail', style: 'font-size:.9em', text: hs.detail }) : null,
      hs.action && hs.action.text ? h('div', { class: 'conn-health-action' }, h('strong', { text: 'What to do: ' }), hs.action.text) : null,
      hs.since ? h('div', { class: 'muted', style: 'font-size:.85em', text: 'Since ' + L.time(hs.since) }) : null);
  }
  L.healthNotice = healthNotice;

  L.page('integrations', {
    title: 'Integrations',
    render: function (main) {
      var alive = true, timers = {};
      L.onLeave(function () { alive = false; Object.keys(timers).forEach(function (k) { clearTimeout(timers[k]); }); });
      var tileStatus = h('p', { class: 'muted', text: 'Checking…' });
      var connectBtn = h('button', { type: 'button', id: 'connect-rillet', text: 'Connect', disabled: true });
      var listSlot = h('div', { id: 'connections' });
      var errSlot = h('div');
      main.appendChild(h('h1', { text: 'Integrations' }));
      /* the onboarding checklist (onboarding.js) on the landing page until done or dismissed */
      var onboard = h('div', { class: 'onboarding-slot' });
      main.appendChild(onboard);
      if (L.onboarding) L.onboarding(onboard);
      main.appendChild(errSlot);
      main.appendChild(h('div', { class: 'tiles' },
        h('section', { class: 'card tile', 'aria-labelledby': 'tile-rillet' },
          h('div', { class: 'row' }, h('div', { class: 'logo', 'aria-hidden': 'true', text: 'R' }),
            h('h2', { id: 'tile-rillet', text: 'Rillet' })),
          h('p', { text: 'Import customers, products, invoices and credit memos from Rillet, and write the calculated tax back onto each document within seconds.' }),
          tileStatus,
          h('div', null, connectBtn))));
      main.appendChild(listSlot);

      var pending = null;
      /* GET /v1/me (admin23): connecting Rillet and entering its API key or signing token is an
         admin's (a full token's key or token would outlive its revocation: 403 admin_required) */
      var mayConnect = true;
      var adminNote = h('p', { class: 'muted', id: 'connect-admin-only', hidden: true,
        text: 'Only an admin can connect Rillet or enter its API key or signing token: the API token, a browser session ' +
          'opened with it or a sign-in link, or a token created as admin.' });
      connectBtn.parentNode.appendChild(adminNote);
      var meP = L.me().then(function (m) {
        mayConnect = !m || m.may.secrets;
        if (!mayConnect) { connectBtn.disabled = true; adminNote.hidden = false; }
        return m;
      });
      connectBtn.addEventListener('click', function () {
        openConnect(pending, connectBtn, function () { if (alive) load(); });
      });

      function load() {
        return L.api('GET', '/v1/connections').then(function (res) {
          if (!alive) return;
          var conns = ((res && res.data) || []).filter(active);
          L.clear(listSlot);
          pending = conns.filter(function (c) { return c.status === 'needs_subsidiary' || c.status === 'needs_webhook_secret'; })[0] || null;
          var live = conns.filter(function (c) { return c.status === 'connected' || c.status === 'error'; });
          connectBtn.disabled = !mayConnect;
          connectBtn.textContent = pending ? 'Continue setup' : live.length ? 'Connect another' : 'Connect';
          var attention = live.filter(function (c) { return c.health && (HEALTH[c.health.state] || {}).tone === 'error'; }).length;
          tileStatus.textContent = live.length ? live.length + ' connected' + (attention ? ' \u2014 ' + attention + ' need' + (attention === 1 ? 's' : '') + ' attention' : '')
            : pending ? 'Setup not finished' : 'Not connected';
          if (conns.length) listSlot.appendChild(h('h2', { text: 'Connections' }));
          conns.forEach(function (c) { listSlot.appendChild(card(c)); });
          meP.then(function () {
            if (!mayConnect) listSlot.querySelectorAll('form.repair-form').forEach(function (f) {
              f.querySelectorAll('input, button').forEach(function (el) { el.disabled = true; });
            });
          });
          if (focusAfterLoad) {
            var want = listSlot.querySelector('section.connection[data-id="' + focusAfterLoad.replace(/"/g, '') + '"] h3');
            focusAfterLoad = null;
            if (want) { want.setAttribute('tabindex', '-1'); want.scrollIntoView({ block: 'start' }); want.focus(); }
          }
        }, function (err) { if (alive) { tileStatus.textContent = ''; connectBtn.disabled = false; L.showError(errSlot, err); } });
      }

      function card(c) {
        var box = h('section', { class: 'card connection', 'aria-labelledby': 'conn-' + c.id, dataset: { id: c.id } });
        fill(box, c);
        return box;
      }

      function sig(c) {
        var hs = c.health || {}, imp = c.import || {};
        var pr = c.import_progress || {};
        return [c.status, c.last_webhook_at, c.last_sync_at, c.api_key_hint, hs.state, hs.count, hs.detail, imp.state,
          imp.customers, imp.products, imp.invoices, imp.credit_memos, imp.error, pr.documents, pr.decided].join('|');
      }

      function fill(box, c) {
        box._sig = sig(c);
        L.clear(box);
        var imp = c.import || {};
        var running = imp.state === 'running' || imp.state === 'pending';
        /* The notice survives re-renders (polling after a resync refreshes the card). */
        var notice = box._notice || (box._notice = h('div', { class: 'conn-notice' }));
        var resync = h('button', { type: 'button', class: 'secondary', text: 'Resync', disabled: c.status !== 'connected' });
        var disconnect = h('button', { type: 'button', class: 'danger', text: 'Disconnect' });
        var org = c.organization || {}, sub = c.subsidiary || {};
        box.appendChild(h('div', { class: 'row', style: 'justify-content:space-between;align-items:center' },
          h('h3', { id: 'conn-' + c.id, style: 'margin:0' }, 'Rillet · ', org.trade_name || c.id),
          h('span', { class: 'conn-status' }, L.badge(c.status))));
        if (c.health) box.appendChild(healthNotice(c.health));
        if (c.error && c.error.message) box.appendChild(h('div', { class: 'notice error', role: 'alert' }, h('strong', { text: c.error.message }), c.error.code ? ' (' + c.error.code + ')' : ''));
        box.appendChild(h('dl', { class: 'kv' },
          h('dt', { text: 'Subsidiary' }), h('dd', { class: 'conn-subsidiary', text: sub.trade_name ? sub.trade_name + (sub.currency ? ' (' + sub.currency + ')' : '') : '—' }),
          h('dt', { text: 'Environment' }), h('dd', { class: 'conn-environment' }, c.environment === 'sandbox' ? 'Sandbox' : c.environment === 'production' ? 'Production' : '—',
            c.rillet_url ? h('span', { class: 'muted mono', text: ' · ' + c.rillet_url }) : null),
          h('dt', { text: 'API key' }), h('dd', { class: 'mono', text: c.api_key_hint || '—' }),
          h('dt', { text: 'Webhook URL' }), h('dd', { class: 'mono', text: c.webhook_url || '—' }),
          h('dt', { text: 'Last webhook' }), h('dd', { text: L.time(c.last_webhook_at) }),
          h('dt', { text: 'Last sweep' }), h('dd', { text: L.time(c.last_sync_at) }),
          h('dt', { text: 'Connected since' }), h('dd', { text: L.time(c.created_at) }),
          h('dt', { text: 'Taxing documents dated from' }), h('dd', { class: 'conn-tax-from', text: (c.tax_scope && c.tax_scope.tax_documents_from) || '—' }),
          h('dt', { text: 'Tax typed in Rillet' }), h('dd', { text: c.tax_scope ? (c.tax_scope.manual_tax === 'overwrite' ? 'replaced by levy\u2019s tax' : 'kept') : '—' }),
          h('dt', { text: 'Discounted line amounts' }), h('dd', { class: 'conn-line-amounts', text: c.tax_scope ? ((c.tax_scope.line_amounts === 'gross' ? 'before the discount' : 'after the discount (default)') + ' where an invoice\u2019s totals cannot tell') : '—' }),
          h('dt', { text: 'Partially paid / credited' }), h('dd', { text: c.tax_scope ? ((c.tax_scope.tax_partially_paid ? 'taxed' : 'left alone') + ' / ' + (c.tax_scope.tax_partially_credited ? 'taxed' : 'left alone')) : '—' }),
          h('dt', { text: 'Books closed through' }), h('dd', null, c.tax_scope && c.tax_scope.books ? (c.tax_scope.books.error
            ? h('span', { class: 'field-error', text: 'Could not read Rillet\u2019s closed periods: ' + c.tax_scope.books.error + ' \u2014 nothing is written until it can.' })
            : (c.tax_scope.books.closed_through || 'no period closed')) : '—')));
        box.appendChild(h('h4', { style: 'margin:.8rem 0 .2rem' }, 'Import ', L.badge(imp.state || 'pending'),
          imp.finished_at ? h('span', { class: 'muted', style: 'font-weight:normal' }, ' finished ' + L.time(imp.finished_at)) : null));
        box.appendChild(h('div', { class: 'counts', 'aria-label': 'Imported records' },
          ['customers', 'products', 'invoices', 'credit_memos'].map(function (k) {
            return h('div', null, h('strong', { class: 'count-' + k, text: String(imp[k] === undefined || imp[k] === null ? 0 : imp[k]) }), k.replace('_', ' '));
          })));
        var prog = importProgress(c, box);
        box.appendChild(h('div', { class: 'progress-slot' }, prog.node));
        if (imp.error) box.appendChild(h('div', { class: 'notice error', role: 'alert', text: 'Import error: ' + (imp.error.message || imp.error) }));
        box.appendChild(notice);
        box.appendChild(h('div', { class: 'actions' }, resync, disconnect));
        if (c.status === 'connected' || c.status === 'error') box.appendChild(repairSection(c, box, notice));
        if (c.status === 'connected' || c.status === 'error') box.appendChild(scopeSection(c, box));
        if (c.status === 'connected' || c.status === 'error') box.appendChild(reconcileSection(c));

        resync.addEventListener('click', function () {
          L.busy(resync, true);
          L.api('POST', '/v1/connections/' + encodeURIComponent(c.id) + '/sync', {}).then(function () {
            L.clear(notice).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Resync started: levy is pulling documents updated since the last sweep.' }));
            schedule(c.id, box, 0);
          }, function (err) { L.showError(notice, err); }).then(function () { L.busy(resync, false); });
        });
        disconnect.addEventListener('click', function () {
          L.confirm('Disconnect Rillet?', 'levy erases the API key and signing token, stops answering this connection\'s webhooks and keeps the imported documents and their history.', 'Disconnect').then(function (ok) {
            if (!ok) return;
            L.busy(disconnect, true);
            L.api('DELETE', '/v1/connections/' + encodeURIComponent(c.id)).then(function () {
              L.announce('Disconnected');
              load().then(function () { connectBtn.focus(); });
            }, function (err) { L.busy(disconnect, false); L.showError(notice, err); });
          });
        });
        if ((running || prog.taxing) && c.status === 'connected') schedule(c.id, box, POLL_MS);
        else if (c.health && (c.health.state === 'awaiting_webhook' || c.health.state === 'webhook_failing')) schedule(c.id, box, POLL_MS * 2);
      }

      /* In-place repair (issue 17): replace the signing token or the API key without a new
       * webhook URL, retry the import. Open when the health asks for one of them. */
      function repairSection(c, box, notice) {
        var code = c.health && c.health.action && c.health.action.code;
        var path = '/v1/connections/' + encodeURIComponent(c.id);
        function secretForm(label, name, button, api, done) {
          var input = h('input', { type: 'password', name: name, autocomplete: 'off', spellcheck: 'false', required: true, disabled: !mayConnect });
          var btn = h('button', { type: 'submit', class: 'secondary', text: button, disabled: !mayConnect });
          var msg = h('div');
          var form = h('form', { class: 'repair-form repair-' + name, novalidate: true },
            L.field({ label: label, input: input, field: name }), msg, h('div', { class: 'actions' }, btn));
          form.addEventListener('submit', function (ev) {
            ev.preventDefault();
            L.clearFieldErrors(form);
            var v = input.value.trim();
            if (!v) { input.setAttribute('aria-invalid', 'true'); document.getElementById(input.id + '-err').textContent = 'Paste the new value first.'; input.focus(); return; }
            var body = {}; body[name] = v;
            L.busy(btn, true);
            L.api('POST', path + api, body).then(function (nc) {
              input.value = '';
              L.clear(notice).appendChild(h('div', { class: 'notice ok', role: 'status', text: done }));
              fill(box, nc);
              schedule(c.id, box, POLL_MS);
            }, function (err) {
              L.busy(btn, false);
              if (err.code === 'invalid_api_key' || err.code === 'validation_failed') {
                input.setAttribute('aria-invalid', 'true');
                document.getElementById(input.id + '-err').textContent = err.code === 'invalid_api_key' ? 'Rillet refused this key: ' + err.message
                  : ((err.details && err.details[0] && err.details[0].message) || err.message);
                input.focus();
              } else L.showError(msg, err, form);
            });
          });
          return form;
        }
        var retry = h('button', { type: 'button', class: 'secondary retry-import', text: c.import && c.import.state === 'done' ? 'Import again' : 'Retry import' });
        retry.disabled = !!(c.import && c.import.state === 'running');
        retry.addEventListener('click', function () {
          L.busy(retry, true);
          L.api('POST', path + '/import', {}).then(function () {
            L.clear(notice).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Import started: it resumes where it stopped.' }));
            schedule(c.id, box, 0);
          }, function (err) { L.busy(retry, false); L.showError(notice, err); });
        });
        var det = h('details', { class: 'repair' }, h('summary', { text: 'Repair: signing token, API key, import' }),
          h('p', { class: 'muted', text: 'Replace what Rillet or levy no longer accepts. The webhook URL stays the same; levy checks a new API key with Rillet before it stores it and erases the old one.' }),
          secretForm('New webhook signing token', 'signing_token', 'Replace signing token', '/webhook-secret',
            'Signing token replaced. The webhook URL stays the same; the card shows Connected once Rillet\u2019s next delivery is verified.'),
          secretForm('New Rillet API key', 'api_key', 'Replace API key', '/api-key',
            'API key replaced: Rillet accepted it. Documents whose write was refused are being written.'),
          h('div', { class: 'actions' }, retry));
        det.open = code === 'replace_signing_token' || code === 'replace_api_key' || code === 'retry_import' || !!box._repairOpen;
        det.addEventListener('toggle', function () { box._repairOpen = det.open; });
        return det;
      }

      /* Which documents levy writes (PATCH /v1/connections/{id}) and back-taxing a date range
       * with a preview first (POST /v1/connections/{id}/backfill). */
      function scopeSection(c, box) {
        var sc = c.tax_scope || {};
        var from = h('input', { type: 'date', name: 'tax_documents_from', value: sc.tax_documents_from || '' });
        var manual = h('select', { name: 'manual_tax' },
          h('option', { value: 'respect_manual', text: 'Keep it (report it)' }),
          h('option', { value: 'overwrite', text: 'Replace it with levy\u2019s tax (history keeps the old amount)' }));
        manual.value = sc.manual_tax || 'respect_manual';
        var lineAmounts = h('select', { name: 'line_amounts' },
          h('option', { value: 'net', text: 'After the line\u2019s discount (default)' }),
          h('option', { value: 'gross', text: 'Before the line\u2019s discount' }));
        lineAmounts.value = sc.line_amounts || 'net';
        var pp = h('input', { type: 'checkbox', name: 'tax_partially_paid' }); pp.checked = !!sc.tax_partially_paid;
        var pc = h('input', { type: 'checkbox', name: 'tax_partially_credited' }); pc.checked = !!sc.tax_partially_credited;
        var save = h('button', { type: 'submit', class: 'secondary', text: 'Save' });
        var msg = h('div');
        var form = h('form', { class: 'scope-form' },
          L.field({ label: 'Tax documents dated from', input: from, field: 'tax_documents_from',
            hint: 'Older documents keep the tax Rillet holds. Paid, voided and credited documents and closed books periods are never changed.' }),
          L.field({ label: 'Tax typed in Rillet by hand', input: manual, field: 'manual_tax' }),
          L.field({ label: 'A discounted line\u2019s amount in Rillet is', input: lineAmounts, field: 'line_amounts',
            hint: 'levy always taxes the amount after the discount. It reads from each invoice\u2019s totals whether Rillet shows line amounts before or after the discount; this setting is used only where the totals cannot tell (the default, after, is what Rillet\u2019s documentation suggests). Each document\u2019s history says which was used.' }),
          h('label', null, pp, ' Also tax partially paid invoices'),
          h('label', null, pc, ' Also tax partially credited invoices'),
          msg, h('div', { class: 'actions' }, save));
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          L.clearFieldErrors(form);
          var body = { manual_tax: manual.value, tax_partially_paid: pp.checked, tax_partially_credited: pc.checked,
                       line_amounts: lineAmounts.value };
          if (from.value) body.tax_documents_from = from.value;
          L.busy(save, true);
          L.api('PATCH', '/v1/connections/' + encodeURIComponent(c.id), body).then(function (res) {
            L.clear(msg).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Saved. ' + (res.queued || 0) + ' documents are being re-checked.' }));
          }, function (err) { L.showError(msg, err, form); }).then(function () { L.busy(save, false); });
        });
        var bfFrom = h('input', { type: 'date', name: 'from', required: true });
        var bfTo = h('input', { type: 'date', name: 'to', required: true });
        var preview = h('button', { type: 'submit', class: 'secondary', text: 'Preview' });
        var bfMsg = h('div', { class: 'backfill-preview' });
        var bf = h('form', { class: 'backfill-form' },
          h('p', { class: 'muted', text: 'Tax older documents on purpose: levy first shows how many documents and how much tax, and writes only when you confirm. Live invoices go first.' }),
          L.field({ label: 'From', input: bfFrom, field: 'from' }), L.field({ label: 'To', input: bfTo, field: 'to' }),
          bfMsg, h('div', { class: 'actions' }, preview));
        function sums(t) {
          var k = Object.keys(t || {});
          return k.length ? k.map(function (cur) { return L.money(t[cur], cur); }).join(', ') : '0';
        }
        /* The preview runs as a job (?async=true: 202 {id, to_check}); its progress is polled
         * at GET …/backfill/previews/{id} ("Checking 2,914 documents… 1,200 done") until it is
         * ready, then the user confirms with its preview_id. */
        var pollTimer = null, pollGen = 0;
        function n(v) { return (v || 0).toLocaleString('en-US'); }
        function showPreview(p, body, path) {
          var ex = Object.keys(p.excluded || {}).map(function (r) { return p.excluded[r] + ' ' + ((L.reasonText && L.reasonText({ reason: r })) || r).toLowerCase(); });
          var go = h('button', { type: 'button', text: 'Write tax on ' + p.documents + ' documents' });
          go.disabled = !p.documents;
          L.clear(bfMsg).appendChild(h('div', { class: 'notice', role: 'status' },
            h('p', { text: p.documents + ' documents would get ' + sums(p.tax) + ' of tax (Rillet holds ' + sums(p.rillet_tax_now) + ' on them now).' }),
            ex.length ? h('p', { class: 'muted', text: 'Left as they are: ' + ex.join('; ') + '.' }) : null,
            go));
          go.addEventListener('click', function () {
            L.busy(go, true);
            var cbody = Object.assign({}, body);
            if (p.id) cbody.preview_id = p.id;
            L.api('POST', path + '?confirm=true', cbody).then(function (r) {
              L.clear(bfMsg).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Backfill started for ' + r.documents + ' documents; it runs after live work.' }));
            }, function (err) { L.busy(go, false); L.showError(bfMsg, err, bf); });
          });
        }
        function follow(p, body, path) {
          if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
          var mine = ++pollGen;
          var line = h('p', { class: 'muted backfill-progress', role: 'status' });
          function show(q) {
            line.textContent = q.to_check === null || q.to_check === undefined ? 'Counting documents\u2026' :
              'Checking ' + n(q.to_check) + ' documents\u2026 ' + n(q.checked) + ' done';
          }
          show(p);
          L.clear(bfMsg).appendChild(line);
          return new Promise(function (resolve) {
            function poll() {
              pollTimer = null;
              if (mine !== pollGen || !document.body.contains(line)) return resolve();
              L.api('GET', path + '/previews/' + encodeURIComponent(p.id)).then(function (q) {
                if (mine !== pollGen) return resolve();
                if (q.status === 'preview') { showPreview(q, body, path); return resolve(); }
                show(q);
                pollTimer = setTimeout(poll, 700);
              }, function (err) {
                if (mine !== pollGen) return resolve();
                L.showError(bfMsg, err, bf);
                resolve();
              });
            }
            pollTimer = setTimeout(poll, 300);
          });
        }
        bf.addEventListener('submit', function (ev) {
          ev.preventDefault();
          L.clearFieldErrors(bf);
          var body = { from: bfFrom.value, to: bfTo.value };
          var path = '/v1/connections/' + encodeURIComponent(c.id) + '/backfill';
          L.busy(preview, true);
          L.api('POST', path + '?async=true', body).then(function (p) {
            if (p && p.status === 'previewing' && p.id) return follow(p, body, path);
            showPreview(p, body, path);
          }, function (err) { L.showError(bfMsg, err, bf); }).then(function () { L.busy(preview, false); });
        });
        return h('details', { class: 'scope' }, h('summary', { text: 'Which documents levy writes' }), form,
          h('h4', { text: 'Backfill' }), bf);
      }

      /* Reconciliation (GET /v1/reconciliation, POST /v1/connections/{id}/reconcile): what levy
       * found when it compared each document it wrote with what Rillet holds now, in plain words. */
      var ACTIONS = {
        'write-back re-queued': 'tax written again',
        'recalculated (the document changed in Rillet)': 'the document changed in Rillet: tax recalculated and written again',
        'flagged drift': 'left as it is (levy does not change paid, credited or voided documents, nor closed periods) and flagged for review',
        'marked deleted': 'the document was deleted in Rillet: levy no longer counts it',
        'imported, calculation queued': 'levy had never received this document: imported and taxed'
      };
      function docLink(r) {
        var route = r.document_type === 'credit_memo' ? 'credit-memos' : 'invoices';
        var kind = r.document_type === 'credit_memo' ? 'Credit memo ' : 'Invoice ';
        return h('a', { href: '#/' + route + '/' + encodeURIComponent(r.document_id), text: kind + (r.number || r.document_id) });
      }
      function sentence(r) {
        var what;
        if (r.action === 'marked deleted') what = 'Rillet no longer has this document';
        else if (r.action === 'imported, calculation queued') what = 'Rillet has this document, levy did not';
        else what = 'Rillet holds ' + (r.rillet_tax === null || r.rillet_tax === undefined ? 'no' : L.money(r.rillet_tax)) +
          ' tax, levy last wrote ' + (r.levy_tax === null || r.levy_tax === undefined ? 'none' : L.money(r.levy_tax));
        return what + ' \u2014 ' + (ACTIONS[r.action] || r.action);
      }
      function reconcileSection(c) {
        var key = 'rec-' + c.id;
        var status = h('div', { class: 'rec-status' });
        var runsSlot = h('div', { class: 'rec-runs' });
        var tbody = h('tbody');
        var btn = h('button', { type: 'button', class: 'secondary', text: 'Reconcile now' });
        var sec = h('section', { class: 'reconciliation', 'aria-labelledby': key },
          h('h4', { id: key, text: 'Reconciliation' }),
          h('p', { class: 'muted', text: 'levy regularly lists every invoice and credit memo in Rillet (to find documents it never received and documents deleted in Rillet), re-reads every document it wrote tax onto and compares the tax Rillet holds now with the tax levy last wrote. Each difference is listed here with what levy did about it.' }),
          status, runsSlot,
          L.tableWrap([{ text: 'Found', cls: 'hide-sm' }, 'Document', { text: 'In Rillet', cls: 'num' }, { text: 'levy wrote', cls: 'num' }, 'What happened'],
            tbody, { class: 'reconciliation-table' }),
          h('div', { class: 'actions' }, btn));
        function render(res) {
          var runs = (res && res.runs) || [], rows = (res && res.data) || [];
          L.clear(runsSlot);
          runsSlot.appendChild(runs.length ? h('ul', { class: 'rec-run-list' }, runs.slice(0, 3).map(function (r) {
            var when = L.time(r.finished_at || r.started_at);
            var text = r.state === 'running' ? 'Running since ' + L.time(r.started_at) + ': ' + (r.listed ? r.listed + ' documents listed, ' : '') + r.checked + ' documents checked so far'
              : r.state === 'failed' ? 'Failed ' + when + (r.error ? ': ' + r.error : '')
              : when + ': ' + r.checked + ' documents checked, ' + (r.drift ? r.drift + (r.drift === 1 ? ' difference' : ' differences') : 'no differences');
            return h('li', { dataset: { state: r.state } }, text);
          })) : h('p', { class: 'muted', text: 'Not reconciled yet.' }));
          L.clear(tbody);
          if (!rows.length) tbody.appendChild(h('tr', null, h('td', { colspan: 5, class: 'empty', text: 'No differences found.' })));
          rows.forEach(function (r) {
            tbody.appendChild(h('tr', { dataset: { id: r.document_id, action: r.action } },
              h('td', { class: 'hide-sm', text: L.time(r.found_at) }),
              h('td', null, docLink(r)),
              h('td', { class: 'num', text: r.rillet_tax === null || r.rillet_tax === undefined ? '—' : L.money(r.rillet_tax) }),
              h('td', { class: 'num', text: r.levy_tax === null || r.levy_tax === undefined ? '—' : L.money(r.levy_tax) }),
              h('td', { class: 'rec-what' }, sentence(r),
                /* levy's own wording, when it says more than the sentence above */
                r.reason && !/^Rillet holds /.test(r.reason) ? h('div', { class: 'muted', text: r.reason }) : null)));
          });
          return runs;
        }
        function refresh(wantNewerThan) {
          return L.api('GET', '/v1/reconciliation?connection_id=' + encodeURIComponent(c.id) + '&limit=50').then(function (res) {
            if (!alive || !document.contains(sec)) return;
            var runs = render(res);
            var latest = runs[0];
            /* after "Reconcile now": poll until a run newer than the one before has finished */
            if (wantNewerThan !== undefined && (!latest || latest.id <= wantNewerThan || latest.state === 'running')) {
              clearTimeout(timers[key]);
              timers[key] = setTimeout(function () { if (alive) refresh(wantNewerThan); }, POLL_MS);
            } else if (wantNewerThan !== undefined) {
              L.clear(status).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Reconciliation finished: ' + latest.checked + ' documents checked, ' + (latest.drift ? latest.drift + (latest.drift === 1 ? ' difference.' : ' differences.') : 'no differences.') }));
              L.busy(btn, false);
            }
          }, function (err) { if (alive) { L.showError(status, err); L.busy(btn, false); } });
        }
        btn.addEventListener('click', function () {
          L.busy(btn, true);
          L.api('GET', '/v1/reconciliation?connection_id=' + encodeURIComponent(c.id) + '&limit=1').then(function (before) {
            var prev = before && before.runs && before.runs[0];
            var prevId = prev && prev.state !== 'running' ? prev.id : (prev ? prev.id - 1 : 0);
            return L.api('POST', '/v1/connections/' + encodeURIComponent(c.id) + '/reconcile', {}).then(function () {
              L.clear(status).appendChild(h('div', { class: 'notice info', role: 'status', text: 'Reconciliation started: levy is comparing every document it wrote with Rillet.' }));
              refresh(prevId);
            });
          }).then(null, function (err) { L.showError(status, err); L.busy(btn, false); });
        });
        refresh();
        return sec;
      }

      /* Import progress (issue 20). Rillet's lists carry no total, so while the import reads
       * them the card says how many records it has read (an open-ended bar); the documents it
       * brought in are then taxed, shown as "N of M" (GET /v1/connections: import_progress)
       * with a bar and an estimate from the rate this page has seen (samples kept on the card). */
      function importProgress(c, box) {
        var imp = c.import || {}, pr = c.import_progress || {};
        var m = pr.documents || 0, n = Math.min(pr.decided || 0, m);
        var reading = (imp.state === 'running' || imp.state === 'pending') && c.status === 'connected';
        var taxing = c.status === 'connected' && m > 0 && n < m;
        if (!reading && !taxing) { box._samples = null; return { node: null, taxing: false }; }
        var parts = [];
        if (reading) {
          var read = ['customers', 'products', 'invoices', 'credit_memos'].reduce(function (a, k) { return a + (imp[k] || 0); }, 0);
          parts.push(h('p', { class: 'import-reading', role: 'status' },
            'Reading from Rillet: ' + read.toLocaleString('en-US') + ' records so far. ',
            h('span', { class: 'muted', text: 'Rillet does not say in advance how many there are.' })));
        }
        if (taxing) {
          var now = Date.now(), smp = box._samples = (box._samples || []);
          smp.push({ t: now, n: n });
          while (smp.length > 30) smp.shift();
          var first = smp[0], est = 'estimating the time left…';
          if (n > first.n && now > first.t) {
            var secs = Math.round((m - n) * (now - first.t) / (n - first.n) / 1000);
            est = secs < 60 ? 'less than a minute left' : 'about ' + Math.ceil(secs / 60) + ' minute' + (secs > 60 ? 's' : '') + ' left';
          }
          parts.push(h('p', { class: 'import-progress', role: 'status' },
            h('strong', { class: 'import-n-of-m', text: n.toLocaleString('en-US') + ' of ' + m.toLocaleString('en-US') + ' documents taxed' }),
            h('span', { class: 'muted import-estimate', text: ' — ' + est })),
            h('progress', { class: 'import-bar', max: String(m), value: String(n), 'aria-label': 'Documents taxed' }));
        } else parts.push(h('progress', { class: 'import-bar', 'aria-label': 'Import in progress' }));
        return { node: h('div', { class: 'import-progress-box' }, parts), taxing: taxing };
      }

      function schedule(id, box, delay) {
        clearTimeout(timers[id]);
        timers[id] = setTimeout(function () {
          if (!alive) return;
          L.api('GET', '/v1/connections/' + encodeURIComponent(id)).then(function (c) {
            if (!alive || !document.contains(box)) return;
            /* never wipe what the user is typing, and re-render only when something shown changed */
            var typing = Array.prototype.some.call(box.querySelectorAll('.repair input'), function (i) { return i.value; }) ||
              (box.contains(document.activeElement) && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName));
            if (typing || box._sig === sig(c)) {
              var pr = c.import_progress || {};
              if (typing || (c.health && (c.health.state === 'awaiting_webhook' || c.health.state === 'webhook_failing')) ||
                  (c.status === 'connected' && pr.decided < pr.documents) ||
                  (c.import && (c.import.state === 'running' || c.import.state === 'pending'))) schedule(id, box, POLL_MS * 2);
              return;
            }
            var hadFocus = box.contains(document.activeElement) ? document.activeElement.textContent : null;
            fill(box, c);
            if (hadFocus) box.querySelectorAll('button').forEach(function (b) { if (b.textContent === hadFocus) b.focus(); });
          }, function () { if (alive) schedule(id, box, POLL_MS * 2); });
        }, delay);
      }
      load();
      /* a read-only session (admin23): every control here changes a connection (the onboarding
         checklist's own buttons only hide it in this browser) */
      meP.then(function (m) { if (alive && m && m.read_only) L.lockWrites(main, '.onboarding-slot'); });
      return 'Integrations';
    }
  });

  /* ---------------- connect flow (modal) ---------------- */
  function openConnect(existing, opener, onDone) {
    var dlg = document.getElementById('modal');
    var conn = existing;
    var STEPS = ['intro', 'key', 'subsidiary', 'webhook', 'token', 'done'];
    dlg.onclose = function () { dlg.onclose = null; L.clear(dlg); if (opener && document.contains(opener)) opener.focus(); onDone(); };

    function frame(step, title, body, buttons, onSubmit) {
      L.clear(dlg);
      var idx = STEPS.indexOf(step);
      var form = h('form', { novalidate: true, dataset: { step: step } },
        h('div', { class: 'row', style: 'justify-content:space-between;align-items:flex-start' },
          h('h2', { id: 'modal-title', tabindex: '-1', text: title }),
          h('button', { type: 'button', class: 'link', 'aria-label': 'Close', onclick: function () { dlg.close(); } }, '✕')),
        h('ol', { class: 'steps', 'aria-hidden': 'true' },
          STEPS.map(function (s, i) { return h('li', { class: i <= idx ? 'done' : '' }); })),
        h('p', { class: 'muted step-count', text: 'Step ' + (idx + 1) + ' of ' + STEPS.length }),
        body, h('div', { class: 'actions' }, buttons));
      form.addEventListener('submit', function (ev) { ev.preventDefault(); onSubmit(form); });
      dlg.appendChild(form);
      if (!dlg.open) dlg.showModal();
      var first = form.querySelector('input:not([readonly]), select, .actions button[type="submit"]');
      (first || form.querySelector('h2')).focus();
      return form;
    }

    /* 409 already_connected: the subsidiary is connected in another connection; say which
     * and offer to go to its card instead of a second connection of the same books. */
    function showError(slot, err, form) {
      var d = (err && err.details || [])[0] || {};
      if (!err || err.code !== 'already_connected' || !d.connection_id) return L.showError(slot, err, form);
      L.clear(slot);
      var go = h('button', { type: 'button', class: 'secondary', text: 'Show that connection' });
      go.addEventListener('click', function () {
        /* closing returns focus to the opener and reloads the list, which then focuses it */
        focusAfterLoad = d.connection_id;
        dlg.close();
      });
      slot.appendChild(h('div', { class: 'notice error already-connected', role: 'alert' },
        h('strong', { text: 'This subsidiary is already connected.' }),
        ' levy already taxes it in connection ', h('code', { text: d.connection_id }),
        '. Use that connection, or disconnect it first to connect it again.',
        h('div', { class: 'actions' }, go)));
    }

    function intro() {
      frame('intro', 'Connect Rillet', [
        h('p', { text: 'levy connects with a Rillet API key, imports your customers, products, invoices and credit memos, and keeps them current from Rillet webhooks.' }),
        h('p', { text: 'You will need:' }),
        h('ul', null, h('li', { text: 'a Rillet API key with write access (Rillet → Organization Settings → API keys),' }),
          h('li', { text: 'permission to create a webhook in Rillet (Organization Settings → Webhooks).' })),
        h('p', { class: 'muted', text: 'It takes about two minutes.' })
      ], [h('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: function () { dlg.close(); } }),
        h('button', { type: 'submit', text: 'Get Started' })], function () { keyStep(); });
    }

    function keyStep() {
      /* Back from a later step: the connection exists with a checked key; Next goes on with it,
       * a new key replaces it in place (POST …/api-key). The environment is fixed by then. */
      var made = !!(conn && conn.id && conn.status !== 'connected');
      var key = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', spellcheck: 'false', required: !made });
      var env = h('select', { name: 'environment', disabled: made },
        h('option', { value: 'production', text: 'Production (api.rillet.com)' }),
        h('option', { value: 'sandbox', text: 'Sandbox (sandbox.api.rillet.com)' }));
      if (made && conn.environment) env.value = conn.environment;
      var from = h('input', { type: 'date', name: 'tax_documents_from' });
      var status = h('div');
      var next = h('button', { type: 'submit', text: 'Next' });
      frame('key', 'Paste your Rillet API key', [
        L.field({ label: 'Rillet API key', input: key, field: 'api_key', hint: made
          ? 'Rillet accepted the key ending ' + (conn.api_key_hint || '…') + '. Leave this empty to keep it, or paste another key to replace it.'
          : 'levy checks the key with Rillet, then stores it encrypted. It is never shown again.' }),
        L.field({ label: 'Environment', input: env, field: 'environment', hint: made
          ? 'Fixed once the key is checked: levy talks to ' + (conn.rillet_url || 'Rillet') + '.'
          : 'A Rillet key works only in the environment it was created in.' }),
        L.field({ label: 'Tax documents dated from (optional)', input: from, field: 'tax_documents_from',
          hint: 'Empty: today. Older invoices and credit memos are imported and shown with the tax levy would charge, but their tax in Rillet is left as it is. Paid, voided and credited documents and closed books periods are never changed.' }),
        status
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: intro }), next], function (form) {
        var v = key.value.trim();
        L.clearFieldErrors(form);
        L.clear(status);
        if (!v && made) return advance();
        if (!v) {
          key.setAttribute('aria-invalid', 'true');
          document.getElementById(key.id + '-err').textContent = 'Paste the API key from Rillet.';
          key.focus();
          return;
        }
        L.busy(next, true);
        next.textContent = 'Checking…';
        var body = { provider: 'rillet', api_key: v, environment: env.value };
        if (from.value) body.tax_documents_from = from.value;
        /* a connection made with an earlier key of this wizard (read-only): replace its key in place */
        var req = made || (conn && conn.id && conn.health && conn.health.state === 'key_read_only')
          ? L.api('POST', '/v1/connections/' + encodeURIComponent(conn.id) + '/api-key', { api_key: v })
          : L.api('POST', '/v1/connections', body);
        req.then(function (c) {
          conn = c;
          if (c.health && c.health.state === 'key_read_only') return readOnlyStep();
          advance();
        }, function (err) {
          L.busy(next, false);
          next.textContent = 'Next';
          if (err.code === 'invalid_api_key') {
            key.setAttribute('aria-invalid', 'true');
            document.getElementById(key.id + '-err').textContent = 'Rillet refused this key: ' + err.message +
              (env.value === 'sandbox' ? ' Is it a sandbox key? A production key works only with Production.' : ' Is it a production key? A sandbox key works only with Sandbox.');
            key.focus();
          } else {
            showError(status, err, form);
            (form.querySelector('[aria-invalid="true"]') || key).focus();
          }
        });
      });
    }

    /* GET /api-key or levy's harmless test write says the key cannot write: warn before the
     * user goes on (levy would import and calculate, but Rillet refuses every tax write). */
    function readOnlyStep() {
      var key = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', spellcheck: 'false', required: true });
      var next = h('button', { type: 'submit', text: 'Use this key' });
      frame('key', 'This API key is read-only', [
        h('div', { class: 'notice warn key-read-only', role: 'alert' },
          h('strong', { text: 'Rillet says this key is read-only. ' }),
          'levy could import and calculate, but Rillet would refuse every tax write. Create a key without “read-only” in Rillet (Organization Settings → API Access) and paste it here.',
          conn.health && conn.health.detail ? h('div', { class: 'muted', text: conn.health.detail }) : null),
        L.field({ label: 'Rillet API key with write access', input: key, field: 'api_key' })
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: keyStep }),
        h('button', { type: 'button', class: 'secondary', text: 'Continue read-only', onclick: function () { advance(); } }), next], function (form) {
        var v = key.value.trim();
        L.clearFieldErrors(form);
        if (!v) { key.setAttribute('aria-invalid', 'true'); document.getElementById(key.id + '-err').textContent = 'Paste the API key from Rillet.'; key.focus(); return; }
        L.busy(next, true);
        L.api('POST', '/v1/connections/' + encodeURIComponent(conn.id) + '/api-key', { api_key: v }).then(function (c) {
          conn = c;
          if (c.health && c.health.state === 'key_read_only') return readOnlyStep();
          advance();
        }, function (err) {
          L.busy(next, false);
          key.setAttribute('aria-invalid', 'true');
          document.getElementById(key.id + '-err').textContent = err.code === 'invalid_api_key' ? 'Rillet refused this key: ' + err.message : err.message;
          key.focus();
        });
      });
    }

    function subsidiaryStep() {
      var subs = conn.subsidiaries || [];
      var status = h('div');
      var name = L.uid('sub');
      var fs = h('fieldset', { dataset: { field: 'subsidiary_id' }, id: L.uid('fs') },
        h('legend', { text: 'Subsidiary' }),
        subs.map(function (s, i) {
          /* pre-selected only when it is the only one, or the one already chosen (Back): Rillet's
           * Organization and Subsidiary carry no country to match (docs/rillet-assumptions.md) */
          var chosen = conn.subsidiary && conn.subsidiary.id ? conn.subsidiary.id === s.id : subs.length === 1 && i === 0;
          return h('label', { class: 'radio' }, h('input', { type: 'radio', name: name, value: s.id, checked: chosen }),
            h('span', null, s.trade_name || s.id, s.currency ? h('span', { class: 'muted', text: ' · ' + s.currency + (s.timezone ? ' · ' + s.timezone : '') }) : null));
        }),
        subs.length ? null : h('p', { class: 'muted', text: 'Rillet returned no subsidiaries for this key.' }));
      var errSlot = h('div', { class: 'field-error', id: fs.id + '-err', role: 'alert' });
      var next = h('button', { type: 'submit', text: 'Next' });
      var org = conn.organization || {};
      frame('subsidiary', 'Choose the subsidiary', [
        h('p', null, 'Connected to ', h('strong', { text: org.trade_name || 'your organization' }), '. levy taxes the invoices and credit memos of one subsidiary.'),
        fs, errSlot, status
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: keyStep }), next], function (form) {
        var sel = form.querySelector('input[name="' + name + '"]:checked');
        L.clearFieldErrors(form);
        L.clear(status);
        if (!sel) { errSlot.textContent = 'Choose a subsidiary.'; return; }
        if (conn.subsidiary && conn.subsidiary.id === sel.value && conn.status !== 'needs_subsidiary') return advance();
        L.busy(next, true);
        L.api('POST', '/v1/connections/' + encodeURIComponent(conn.id) + '/subsidiary', { subsidiary_id: sel.value }).then(function (c) {
          conn = c;
          advance();
        }, function (err) {
          L.busy(next, false);
          showError(status, err, form);
          sel.focus();
        });
      });
    }

    function webhookStep() {
      var url = h('input', { type: 'text', readOnly: true, value: conn.webhook_url || '', id: 'webhook-url', 'aria-label': 'Webhook URL' });
      var copied = h('span', { class: 'muted', role: 'status', style: 'min-width:4rem' });
      var copy = h('button', { type: 'button', class: 'secondary', text: 'Copy' });
      copy.addEventListener('click', function () {
        var done = function () { copied.textContent = 'Copied'; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(url.value).then(done, function () { url.select(); copied.textContent = 'Press Ctrl+C'; });
        } else {
          url.select();
          try { document.execCommand('copy'); done(); } catch (e) { copied.textContent = 'Press Ctrl+C'; }
        }
      });
      var insecure = !/^https:\/\//i.test(url.value);
      frame('webhook', 'Create the webhook in Rillet', [
        h('p', { text: 'In Rillet, open Organization Settings → Webhooks → Create, and paste this endpoint URL:' }),
        h('div', { class: 'field' }, h('label', { for: 'webhook-url', text: 'Endpoint URL' }), h('div', { class: 'copy' }, url, copy), copied),
        insecure ? h('div', { class: 'notice warn webhook-not-https', role: 'alert' },
          h('strong', { text: 'This address is not HTTPS. ' }),
          'Rillet sends webhooks only to HTTPS endpoints, and a delivery over plain HTTP can be read on the way. Put levy behind an HTTPS proxy and start it with ',
          h('code', { text: '--public-url https://…' }), ' (', h('code', { text: 'LEVY_PUBLIC_URL' }), ' in /etc/levy/levy.env), then open this wizard again: the URL shown here changes.') : null,
        h('p', { text: 'Tick these events, for Invoice and Credit Memo, and (recommended) for Customer:' }),
        h('ul', { class: 'events' }, ['Invoice', 'Credit Memo'].map(function (ent) {
          return h('li', null, h('strong', { text: ent + ': ' }), EVENTS.join(', '));
        }).concat([h('li', { id: 'customer-events' }, h('strong', { text: 'Customer: ' }), 'Created, Updated, Deleted',
          h('span', { class: 'muted', text: ' — a new or changed customer (address, VAT number, exemption field) reaches levy at once; without it levy fetches an unknown customer when an invoice names it and picks up changes at the next sweep.' }))])),
        h('p', { class: 'muted', text: 'Rillet requires an HTTPS endpoint. Keep the webhook Enabled, save it, then copy its Webhook Token.' })
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: function () {
        return (conn.subsidiaries || []).length > 1 ? subsidiaryStep() : keyStep();
      } }), h('button', { type: 'submit', text: 'I created the webhook' })], function () { tokenStep(); });
    }

    function tokenStep() {
      var tok = h('input', { type: 'password', name: 'signing_token', autocomplete: 'off', spellcheck: 'false', required: true });
      var status = h('div');
      var next = h('button', { type: 'submit', text: 'Connect' });
      frame('token', 'Paste the signing token', [
        L.field({ label: 'Webhook signing token', input: tok, field: 'signing_token', hint: 'Shown on the webhook\'s page in Rillet ("Webhook Token"). levy uses it to verify every delivery.' }),
        status
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: webhookStep }), next], function (form) {
        var v = tok.value.trim();
        L.clearFieldErrors(form);
        L.clear(status);
        if (!v) {
          tok.setAttribute('aria-invalid', 'true');
          document.getElementById(tok.id + '-err').textContent = 'Paste the webhook token from Rillet.';
          tok.focus();
          return;
        }
        L.busy(next, true);
        L.api('POST', '/v1/connections/' + encodeURIComponent(conn.id) + '/webhook-secret', { signing_token: v }).then(function (c) {
          conn = c;
          advance();
        }, function (err) {
          L.busy(next, false);
          showError(status, err, form);
          tok.focus();
        });
      });
    }

    /* Step 6: levy cannot check a signing token until Rillet sends a delivery signed with it,
     * so this step does not say "Connected." before one is verified: it waits (polling the
     * connection's health), and says so when Rillet's deliveries are refused, with the token
     * field right there (POST …/webhook-secret replaces it in place, same URL). */
    function doneStep() {
      var slot = h('div', { class: 'verify-slot' });
      var form = frame('done', 'Checking the webhook', [
        h('p', { text: 'The initial import has started. levy cannot check the signing token until Rillet sends a delivery signed with it: change or create an invoice in Rillet (levy’s first tax write also sends one).' }),
        slot,
        h('p', { class: 'muted', text: 'Subscribe the regions where you collect tax on the Regions page: levy only taxes ship-tos in subscribed regions with tax calculation on.' })
      ], [h('button', { type: 'button', class: 'secondary', text: 'Back', onclick: function () { clearTimeout(timer); tokenStep(); } }),
        h('button', { type: 'submit', text: 'Done' })], function () { dlg.close(); });
      var shown = null, timer = null;
      function render(c) {
        var st = (c.health && c.health.state) || 'awaiting_webhook';
        if (st === shown) return;
        shown = st;
        L.clear(slot);
        if (st === 'connected') {
          form.querySelector('h2').textContent = 'Rillet is connected';
          slot.appendChild(h('div', { class: 'notice ok verify-state', role: 'status', dataset: { state: st } },
            h('strong', { text: 'Connected.' }), ' A delivery from Rillet was verified with this signing token; invoices are taxed as they arrive.'));
        } else if (st === 'webhook_failing') {
          var tok = h('input', { type: 'password', name: 'signing_token', autocomplete: 'off', spellcheck: 'false' });
          var again = h('button', { type: 'button', text: 'Replace signing token' });
          slot.appendChild(h('div', { class: 'notice error verify-state', role: 'alert', dataset: { state: st } },
            h('strong', { text: 'Rillet’s deliveries are refused. ' }), c.health.sentence || '',
            h('div', { text: 'Copy the Webhook Token again from the webhook’s page in Rillet and paste it here; the webhook URL stays the same.' })));
          slot.appendChild(L.field({ label: 'Webhook signing token', input: tok, field: 'signing_token' }));
          slot.appendChild(h('div', { class: 'actions' }, again));
          again.addEventListener('click', function () {
            var v = tok.value.trim();
            if (!v) { tok.setAttribute('aria-invalid', 'true'); document.getElementById(tok.id + '-err').textContent = 'Paste the webhook token from Rillet.'; tok.focus(); return; }
            L.busy(again, true);
            L.api('POST', '/v1/connections/' + encodeURIComponent(conn.id) + '/webhook-secret', { signing_token: v }).then(function (nc) {
              conn = nc; shown = null; render(nc); poll();
            }, function (err) { L.busy(again, false); document.getElementById(tok.id + '-err').textContent = err.message; tok.focus(); });
          });
        } else if (st === 'key_read_only' || st === 'key_invalid' || st === 'import_failed') {
          slot.appendChild(h('div', { class: 'verify-state', dataset: { state: st } }, healthNotice(c.health),
            h('p', { class: 'muted', text: 'Fix it on the connection card (Repair) after closing this window.' })));
        } else {
          slot.appendChild(h('div', { class: 'notice info verify-state', role: 'status', dataset: { state: st } },
            h('strong', { text: 'Waiting for the first verified delivery from Rillet… ' }),
            'This turns to Connected when a delivery’s signature matches the token you pasted.'));
        }
      }
      function poll() {
        clearTimeout(timer);
        if (!dlg.open || !document.contains(slot)) return;
        timer = setTimeout(function () {
          if (!dlg.open || !document.contains(slot)) return;
          L.api('GET', '/v1/connections/' + encodeURIComponent(conn.id)).then(function (c) {
            if (!document.contains(slot)) return;
            conn = c;
            var typing = slot.querySelector('input') && (slot.querySelector('input').value || slot.querySelector('input') === document.activeElement);
            if (!typing) render(c);
            if (!c.health || c.health.state !== 'connected') poll();
          }, function () { poll(); });
        }, POLL_MS);
      }
      render(conn);
      if (!conn.health || conn.health.state !== 'connected') poll();
    }

    function advance() {
      if (!conn) return intro();
      if (conn.status === 'needs_subsidiary') return subsidiaryStep();
      if (conn.status === 'needs_webhook_secret') return webhookStep();
      if (conn.status === 'connected') return doneStep();
      return intro();
    }
    if (existing) advance(); else intro();
  }
})();
