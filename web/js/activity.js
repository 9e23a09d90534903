/* Activity (issue 20, audit20): the audit log of admin actions (GET /v1/audit) in plain words —
 * "The API token turned on tax calculation for California (US-CA)", "UI session 3f9a1c2e
 * changed the seller address from … to …" — newest first, with the API's filters (dates, kind
 * of change, object, who) and its CSV. A product's, customer's or region's History link opens
 * this page filtered to it (#/activity?object_kind=customer&object_id=…). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  /* the action codes levy writes (docs/operations.md "Audit log"), in words for the filter */
  var ACTIONS = [
    ['', 'All changes'],
    ['settings.', 'Settings'],
    ['region.updated', 'Regions'],
    ['connection_region.', 'A connection’s regions'],
    ['connection_settings.updated', 'A connection’s settings'],
    ['product.tax_code_changed', 'Product tax codes'],
    ['customer.', 'Customers (exemption, tax id, type, tax id checks)'],
    ['customer.tax_id_verified', 'Tax ids checked with the registry'],
    ['certificate.', 'Exemption certificates'],
    ['connection.', 'Rillet connections (keys, tokens, scope, sync, reconciliation)'],
    ['filing_sums.', 'Filing sums checked or rebuilt'],
    ['store.', 'Kept sums recounted'],
    ['sphere_api_key.', 'Sphere API key'],
    ['access.refused', 'Refused: admin only (tokens, keys)'],
    ['jobs.', 'Retried background jobs'],
    ['document.', 'Invoices and credit memos recalculated'],
    ['master_key.', 'Master key rotations'],
    ['presence.', 'Physical presence'],
    ['marketplace.', 'Marketplace flags'],
    ['filing_frequency.updated', 'Filing frequencies'],
    ['fx_rates.imported', 'ECB exchange rates'],
    ['export.started', 'Documents exports started'],
    ['rules.reloaded', 'Rule and rate reloads'],
  ];
  var ACTORS = [['', 'Anyone'], ['api_token', 'The API token'], ['named_token', 'A named token'],
    ['ui_session', 'A browser session'],
    ['cli', 'A levy command'], ['system', 'levy itself']];
  var FIELD_WORDS = {
    seller_address: 'the seller address', rounding: 'rounding', default_customer_type: 'the default customer type',
    sweep_interval_minutes: 'the sweep interval (minutes)', sweep_overlap_seconds: 'the sweep overlap (seconds)',
    reconcile_interval_minutes: 'the reconciliation interval (minutes)', customer_data: 'where tax ids and exemptions are read',
    webhook_silent_minutes: 'the webhook silence alert (minutes)', tax_id_online: 'the online tax id check',
    ca_gst_regime: 'the Canadian GST/HST regime', qc_qst_regime: 'the Quebec QST regime',
    eu_below_threshold: 'the EU distance-sales threshold', pickup_offered: 'pickup offered',
    us_al_ssut: 'Alabama SSUT', us_tx_single_local: 'the Texas single local rate',
    certificate_max_bytes: 'the certificate size limit', subscribed: 'subscribed', tax_calculation: 'tax calculation',
    registration_number: 'the registration number', effective_from: 'effective from', tax_code: 'the tax code',
    tax_code_source: 'where the tax code comes from', exempt: 'exempt', exempt_regions: 'the exempt regions',
    exemption_certificate: 'the exemption certificate number', exemption_expires: 'the exemption’s expiry',
    exempt_source: 'where the exemption comes from', tax_id: 'the tax id', tax_id_source: 'where the tax id comes from',
    customer_type: 'the customer type', qst_number: 'the QST number', api_key: 'the API key',
    signing_token: 'the webhook signing token', subsidiary_id: 'the subsidiary', environment: 'the environment',
    tax_documents_from: 'tax documents dated from', tax_partially_paid: 'tax on partly paid invoices',
    tax_partially_credited: 'tax on partly credited invoices', manual_tax: 'manual tax in Rillet',
    line_amounts: 'line amounts', state: 'the state', retried: 'jobs retried', status: 'the status', import: 'the import'
  };

  /* levy's own actors (actor_kind system): what made it act */
  var SYSTEM_ACTORS = { signal: 'levy (on a SIGHUP)', watch: 'levy (--watch saw a changed file)',
    'rates update schedule': 'levy’s scheduled rate update' };
  function actorWords(r) {
    if (r.actor_kind === 'api_token') return 'The API token';
    if (r.actor_kind === 'ui_session') return r.actor.replace(/^UI session/, 'Browser session');
    /* a named token's: "Alice's token" as levy wrote it */
    if (r.actor_kind === 'system' && SYSTEM_ACTORS[r.actor]) return SYSTEM_ACTORS[r.actor];
    return r.actor || 'levy';
  }
  function value(v) {
    if (v === null || v === undefined || v === '') return 'nothing';
    if (v === true) return 'yes';
    if (v === false) return 'no';
    if (Array.isArray(v)) return v.length ? L.listWords(v.map(String)) : 'none';
    if (typeof v === 'object') {
      if (v.city || v.line1 || v.country) return L.addr ? L.addr(v) : [v.line1, v.city, v.state, v.zip_code, v.country].filter(Boolean).join(', ');
      if (v.number) return 'certificate ' + v.number + (v.regions && v.regions.length ? ' for ' + L.listWords(v.regions) : '');
      return JSON.stringify(v);
    }
    return String(v);
  }
  function fieldWord(k) { return FIELD_WORDS[k] || k.replace(/_/g, ' '); }
  function changeWords(changes) {
    return Object.keys(changes || {}).sort().map(function (k) {
      var c = changes[k] || {};
      return fieldWord(k) + ' from ' + value(c.before) + ' to ' + value(c.after);
    });
  }
  /* One row as a sentence (after the actor). */
  function sentence(r) {
    var ch = r.changes || {}, label = r.object_label || r.object_id || '';
    function onOff(f, on, off) { return ch[f] ? (ch[f].after ? on : off) : null; }
    switch (r.action) {
      case 'region.updated':
      case 'connection_region.updated': {
        var parts = [];
        var s = onOff('subscribed', 'subscribed to ', 'unsubscribed from ');
        var t = onOff('tax_calculation', 'turned on tax calculation for ', 'turned off tax calculation for ');
        if (s) parts.push(s + label);
        if (t) parts.push(t + label);
        var rest = {};
        Object.keys(ch).forEach(function (k) { if (k !== 'subscribed' && k !== 'tax_calculation') rest[k] = ch[k]; });
        if (Object.keys(rest).length) parts.push('changed ' + changeWords(rest).join('; ') + ' of ' + label);
        return L.listWords(parts) || 'changed ' + label;
      }
      case 'connection_region.reset': return 'set ' + label + ' back to the default regions';
      case 'settings.updated': return 'changed ' + changeWords(ch).join('; ');
      case 'connection_settings.updated': return 'changed ' + changeWords(ch).join('; ') + ' for ' + label;
      case 'product.tax_code_changed':
        return ch.tax_code ? 'changed the tax code of ' + label + ' from ' + value(ch.tax_code.before) + ' to ' + value(ch.tax_code.after)
          : 'changed ' + changeWords(ch).join('; ') + ' of ' + label;
      case 'customer.exemption_changed':
        if (ch.exempt && ch.exempt.after === true) {
          var more = Object.keys(ch).filter(function (k) { return k !== 'exempt'; });
          var sub = {};
          more.forEach(function (k) { sub[k] = ch[k]; });
          return 'marked ' + label + ' exempt' + (more.length ? ' (' + changeWords(sub).join('; ') + ')' : '');
        }
        if (ch.exempt && ch.exempt.after === false) return 'marked ' + label + ' not exempt';
        return 'changed ' + changeWords(ch).join('; ') + ' of ' + label;
      case 'customer.updated': return 'changed ' + changeWords(ch).join('; ') + ' of ' + label;
      case 'certificate.uploaded': return 'uploaded ' + label.charAt(0).toLowerCase() + label.slice(1);
      case 'certificate.deleted': return 'deleted ' + label.charAt(0).toLowerCase() + label.slice(1);
      case 'connection.created': return 'connected Rillet (' + label + ')';
      case 'connection.subsidiary_chosen': return 'chose subsidiary ' + value(ch.subsidiary_id && ch.subsidiary_id.after) + ' for ' + label;
      case 'connection.connected': return 'pasted the webhook signing token of ' + label + ' (connected)';
      case 'connection.webhook_token_replaced': return 'replaced the webhook signing token of ' + label;
      case 'connection.key_replaced': return 'replaced the API key of ' + label + (ch.api_key ? ' (' + value(ch.api_key.before) + ' → ' + value(ch.api_key.after) + ')' : '');
      case 'connection.scope_changed': return 'changed ' + changeWords(ch).join('; ') + ' for ' + label;
      case 'connection.import_requested': return 'started the import of ' + label + ' again';
      case 'connection.deleted': return 'deleted ' + label + ' (its key and token erased)';
      /* admin23: a non-admin's attempt at what only an admin may do (nothing changed) */
      /* issue 20: after 3 refusals of one route in a minute, the rest are one row with their
       * count (changes.refusals; the label says how many and when) */
      case 'access.refused': return (ch.refusals ? 'was refused again, counted in one row' : 'was refused') +
        ' (only an admin may ' + (label || 'do this') + ')' +
        (ch.role && ch.role.after ? ': the token is ' + String(ch.role.after).replace('_', '-') : '');
      case 'token.created': {
        /* the role (tokens23; older rows: only the state, "active (read-only)") */
        var rw = { admin: 'admin: may also create and revoke tokens', full: 'full access', read_only: 'read-only' };
        var rl = ch.role && ch.role.after ? rw[ch.role.after] || ch.role.after
          : ch.state && /read-only/.test(String(ch.state.after)) ? 'read-only' : '';
        return 'created ' + label + (rl ? ' (' + rl + ')' : '');
      }
      case 'token.revoked': return 'revoked ' + label;
      case 'sphere_api_key.created': return 'created the Sphere API key';
      case 'sphere_api_key.replaced': return 'replaced the Sphere API key';
      case 'sphere_api_key.deleted': return 'deleted the Sphere API key';
      case 'jobs.retried': return 'retried ' + label.charAt(0).toLowerCase() + label.slice(1) + (ch.state ? ' (now ' + value(ch.state.after) + ')' : '');
      case 'document.recalculate_requested': return 'asked for the tax of ' + label + ' again';
      case 'connection.backfill_confirmed': {
        var b = ch.backfill && ch.backfill.after || {};
        return 'confirmed taxing past documents of ' + label + ' (' + value(b.from) + ' to ' + value(b.to) + ', ' + value(b.documents) + ' documents)';
      }
      case 'rules.reloaded':
        return 'reloaded the rules and plugins (generation ' + value(ch.generation && ch.generation.before) + ' → ' + value(ch.generation && ch.generation.after) + ')' +
          (ch.rates ? ' with new rate tables: ' + value(ch.rates.after) + ' (were ' + value(ch.rates.before) + ')' : '');
      case 'filing_sums.check_requested': return 'asked for a check of the filing sums against the documents';
      case 'filing_sums.rebuild_requested': return 'asked for the filing sums to be rebuilt from the documents';
      case 'store.recount_requested': return 'asked for every kept sum to be recounted from the documents';
      case 'store.recount_finished': return 'recounted the kept sums from the documents';
      case 'connection.sync_requested': return 'asked for a sync of ' + label + ' now';
      case 'connection.reconcile_requested': return 'started a reconciliation of ' + label + ' with Rillet';
      case 'customer.tax_id_verified': {
        var tc = ch.tax_id_check || {};
        var said = function (v) { return value(v).replace(/_/g, ' '); }; /* not_registered: not registered */
        return 'checked the tax id of ' + label + ' with the registry (answer: ' + said(tc.after) +
          (tc.before ? ', was ' + said(tc.before) : '') + ')';
      }
      case 'master_key.rotated': return 'rotated the master key';
      case 'filing_frequency.updated': return 'changed the filing frequency of ' + L.regionLabel(r.object_id) + ' from ' + value(ch.frequency && ch.frequency.before) + ' to ' + value(ch.frequency && ch.frequency.after);
      case 'presence.added': return 'recorded a physical presence (' + value(ch.presence && ch.presence.after && ch.presence.after.kind) + ') in ' + L.regionLabel(r.object_id);
      case 'presence.removed': return 'removed a physical presence (' + value(ch.presence && ch.presence.before && ch.presence.before.kind) + ') in ' + L.regionLabel(r.object_id);
      case 'marketplace.customer_flagged':
      case 'marketplace.document_flagged':
        return (ch.marketplace && ch.marketplace.after ? 'marked ' : ch.marketplace && ch.marketplace.after === false ? 'unmarked ' : 'reset the marketplace flag of ') +
          r.object_kind.replace('_', ' ') + ' ' + label + (ch.marketplace && ch.marketplace.after !== null ? ' as sold through a marketplace' : '');
      case 'fx_rates.imported': return 'imported ' + label.charAt(0).toLowerCase() + label.slice(1);
      case 'export.started': {
        var xp = (ch.export && ch.export.after) || {};
        var xq = xp.params || {};
        return 'started a documents export (' + value(xp.format) + ', ' + value(xq.from) + ' to ' + value(xq.to) +
          (xq.region ? ', ' + L.regionLabel(xq.region) : '') + '): ' + label;
      }
      case 'jobs.retried_all': return 'retried ' + value(ch.retried && ch.retried.after) + ' ' + label.charAt(0).toLowerCase() + label.slice(1);
      default: {
        var w = changeWords(ch);
        return r.action.replace(/[._]/g, ' ') + (label ? ' — ' + label : '') + (w.length ? ': ' + w.join('; ') : '');
      }
    }
  }
  L.activitySentence = function (r) { return actorWords(r) + ' ' + sentence(r) + '.'; };

  /* the hash's filters: #/activity?object_kind=region&object_id=US-CA */
  function hashParams() {
    var q = (location.hash.split('?')[1] || ''), out = {};
    q.split('&').forEach(function (p) {
      if (!p) return;
      var i = p.indexOf('=');
      out[decodeURIComponent(i < 0 ? p : p.slice(0, i))] = i < 0 ? '' : decodeURIComponent(p.slice(i + 1).replace(/\+/g, ' '));
    });
    return out;
  }

  L.page('activity', {
    title: 'Activity',
    render: function (main) {
      var list = null;
      L.onLeave(function () { if (list) list.stop(); });
      var p = hashParams();
      function select(name, opts, v) {
        var s = h('select', { name: name }, opts.map(function (o) { return h('option', { value: o[0], text: o[1] }); }));
        if (v && !opts.some(function (o) { return o[0] === v; })) s.appendChild(h('option', { value: v, text: v }));
        s.value = v || '';
        return s;
      }
      var from = h('input', { type: 'date', name: 'from', value: p.from || '' });
      var to = h('input', { type: 'date', name: 'to', value: p.to || '' });
      var action = select('action', ACTIONS, p.action);
      var actor = select('actor_kind', ACTORS, p.actor_kind);
      /* a person: a named token's name (GET /v1/audit/people: every person of the log, a revoked
       * one's too); their token's rows and their sessions' */
      var person = select('person', [['', 'Anyone']], p.person);
      person.id = 'activity-person';
      var okind = select('object_kind', [['', 'Anything'], ['settings', 'Settings'], ['region', 'A region'],
        ['product', 'A product'], ['customer', 'A customer'], ['connection', 'A connection'], ['invoice', 'An invoice'],
        ['credit_memo', 'A credit memo'], ['job', 'A job'], ['filing_sums', 'The filing sums'], ['store', 'The kept sums'],
        ['generation', 'Rules and rates']], p.object_kind);
      var oid = h('input', { type: 'search', name: 'object_id', value: p.object_id || '', placeholder: 'e.g. US-CA' });
      var form = h('form', { class: 'toolbar filters', role: 'search', id: 'activity-filters' },
        L.field({ label: 'From', input: from }), L.field({ label: 'To', input: to }),
        L.field({ label: 'What changed', input: action }), L.field({ label: 'Who', input: actor }),
        L.field({ label: 'Person', input: person }),
        L.field({ label: 'Object', input: okind }), L.field({ label: 'Object id', input: oid }),
        h('button', { type: 'submit', text: 'Show' }));
      var current = {};
      var bar = L.listBar({ path: '/v1/audit', name: 'levy-activity', params: function () { return current; } });
      var tbody = h('tbody', null, L.loadingRow(2));
      var more = h('div');
      var errSlot = h('div');
      main.appendChild(h('h1', { text: 'Activity' }));
      main.appendChild(h('p', { class: 'muted', text: 'Every change made to levy’s settings, regions, products, customers, certificates and connections, every reload of rules and rates, and every job asked for by hand (retries, syncs, reconciliations, filing sums’ checks, tax id checks): who made it, when, and from what to what. Keys and tokens are never shown, only that they were set or replaced.' }));
      var filtered = h('p', { id: 'activity-filtered', class: 'muted' });
      main.appendChild(form);
      main.appendChild(filtered);
      main.appendChild(bar.el);
      main.appendChild(errSlot);
      main.appendChild(L.tableWrap(['When (UTC)', 'What happened'], tbody, { id: 'activity-table' }));
      main.appendChild(more);

      function row(r) {
        return h('tr', { dataset: { id: String(r.id), action: r.action } },
          h('td', { class: 'nowrap', title: r.at, text: r.at.replace('T', ' ').replace('Z', '') }),
          h('td', { class: 'activity-text' }, h('span', { text: L.activitySentence(r) }),
            r.request_id ? h('span', { class: 'muted mono', style: 'display:block;font-size:.75rem', text: 'request ' + r.request_id }) : null));
      }
      function run() {
        current = { from: from.value, to: to.value, action: action.value, actor_kind: actor.value,
          person: person.value, object_kind: okind.value, object_id: oid.value.trim() };
        history.replaceState(null, '', '#/activity' + L.qs(current));
        filtered.textContent = [current.object_id ? 'Showing the history of ' + current.object_id + '.' : '',
          current.person ? 'Showing what ' + current.person + ' did, with their token or in a browser session opened with it.' : '']
          .filter(Boolean).join(' ');
        if (list) list.stop();
        L.clear(tbody).appendChild(L.loadingRow(2));
        list = L.pagedList({ path: '/v1/audit', params: current, tbody: tbody, more: more, cols: 2, row: row,
          empty: 'No changes match.' });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      [action, actor, person, okind].forEach(function (s) { s.addEventListener('change', run); });
      /* the picker's people: every person of the audit log and every live token's name, a
       * person without a live token marked "revoked" (a name in the link stays listed) */
      function people() {
        return L.api('GET', '/v1/audit/people').then(function (r) {
          ((r && r.people) || []).forEach(function (x) {
            var text = x.state === 'revoked' ? x.name + ' (revoked)' : x.name;
            var have = p.person === x.name ? person.querySelector('option[value="' + CSS.escape(x.name) + '"]') : null;
            if (have) have.textContent = text;
            else person.appendChild(h('option', { value: x.name, text: text }));
          });
          person.value = p.person || '';
        }, function () {});
      }
      Promise.all([L.loadRegions().catch(function () {}), people()]).then(run, run);
      return 'Activity';
    }
  });

  /* A "History" link to this page filtered to one object (products, customers, regions). */
  L.historyLink = function (kind, id, label) {
    return h('a', { href: '#/activity' + L.qs({ object_kind: kind, object_id: id }), class: 'history-link',
      'aria-label': 'History of ' + (label || id), text: 'History' });
  };
})();
