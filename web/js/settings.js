/* Settings: seller address (origin sourcing, cross-border VAT), rounding, sweep interval, the
 * default or one legal entity's (connection's) own when there are two or more;
 * the Sphere-compatible endpoint's own API key (issue 15: not the admin token). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var ADDR = [['line1', 'Street'], ['line2', 'Street (line 2)'], ['city', 'City'], ['state', 'State / province'], ['zip_code', 'ZIP / postal code'], ['country', 'Country']];

  L.page('settings', {
    title: 'Settings',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      main.appendChild(h('h1', { text: 'Settings' }));
      /* Several legal entities (issue 17): the default settings, or one connection's own. */
      var seq = 0;
      var picker = L.entityPicker(function (e) { load(e); });
      main.appendChild(h('div', { class: 'toolbar', id: 'settings-entity-bar' }, picker));
      var slot = h('div', null, h('p', { class: 'loading', text: 'Loading…' }));
      main.appendChild(slot);
      function load(entity) {
        var mine = ++seq;
        L.clear(slot).appendChild(h('p', { class: 'loading', text: 'Loading…' }));
        var path = entity ? '/v1/connections/' + encodeURIComponent(entity.id) + '/settings' : '/v1/settings';
        L.api('GET', path).then(function (st) { if (alive && mine === seq) L.clear(slot).appendChild(form(st || {}, entity)); },
          function (err) { if (alive && mine === seq) L.showError(L.clear(slot), err); });
      }
      load(null);
      var keySlot = h('div');
      main.appendChild(keySlot);
      /* who this session is (GET /v1/me, admin23): a read-only one sees every control
         disabled (the page says why, core.js); a full one is not offered what only an admin
         may do — the Sphere key's creation and named tokens' creation and revocation */
      var meP = L.me();
      Promise.all([L.api('GET', '/v1/sphere-api-key'), meP]).then(function (r) {
        if (alive) L.clear(keySlot).appendChild(sphereKey(r[0] || {}, r[1]));
      }, function (err) { if (alive) L.showError(L.clear(keySlot), err); });
      /* physical presence per state (issue 20: web/js/exposure.js) */
      if (L.presenceSection) main.appendChild(L.presenceSection());
      /* named API tokens, one per person (issue 20: web/js/tokens.js) */
      if (L.tokensSection) main.appendChild(L.tokensSection(meP));
      /* store maintenance: "recount kept sums" (issue 20 operations) */
      main.appendChild(recountCard(function () { return alive; }));
      meP.then(function (m) { if (alive && m && m.read_only) L.lockWrites(main, '#settings-entity-bar'); });
      return 'Settings';
    }
  });

  /* Recount kept sums (POST /v1/store/recount, plugins/rillet/recount.lua): the totals levy
   * keeps from the documents (import progress, exposure, filing and not-collected sums, the
   * documents' flags) rebuilt from the documents, with a progress bar while it runs and the
   * outcome in words: what was wrong and is fixed, per kept table. */
  var RECOUNT_WHAT = { conn_counts: 'connection', doc_flags: 'document', us_days: 'day', nc_memo: 'month', filing: 'difference' };
  function recountCard(alive) {
    var btn = h('button', { type: 'button', class: 'secondary', id: 'recount-start', text: 'Recount kept sums' });
    var bar = h('progress', { class: 'import-bar', id: 'recount-bar', max: '5', value: '0', 'aria-label': 'Recount progress' });
    bar.hidden = true;
    var line = h('p', { class: 'muted', role: 'status', id: 'recount-status' });
    var list = h('ul', { id: 'recount-tables' });
    var timer = null;
    function show(st) {
      if (!st) return;
      var running = st.state === 'running';
      btn.disabled = running;
      bar.hidden = !running;
      if (st.progress) { bar.max = String(st.progress.total || 5); bar.value = String(st.progress.done || 0); }
      line.textContent = (st.state === 'done' && st.finished_at ? 'Last recount ' + L.time(st.finished_at) + ': ' : '') + (st.summary || '');
      L.clear(list);
      if (st.state === 'done') {
        (st.tables || []).forEach(function (t) {
          var what = RECOUNT_WHAT[t.table] || 'row';
          var words = t.fixed ? t.fixed + ' ' + what + (t.fixed === 1 ? '' : 's') + ' differed from the documents — fixed' :
            'matched the documents';
          list.appendChild(h('li', { text: t.label + ': ' + words + '.' }));
        });
      }
      if (running && alive() && document.body.contains(line)) timer = setTimeout(poll, 1000);
    }
    function poll() {
      timer = null;
      if (!alive()) return;
      L.api('GET', '/v1/store/recount').then(show, function (err) { L.showError(line, err); });
    }
    btn.addEventListener('click', function () {
      btn.disabled = true;
      if (timer) { clearTimeout(timer); timer = null; }
      L.api('POST', '/v1/store/recount').then(show, function (err) { btn.disabled = false; L.showError(line, err); });
    });
    poll();
    return h('section', { class: 'card', 'aria-labelledby': 'recount-h', id: 'recount' },
      h('h2', { id: 'recount-h', text: 'Recount kept sums' }),
      h('p', { text: 'levy keeps running totals of your documents (import progress, exposure, filing and not-collected sums). ' +
        'If the database was changed outside levy — a partial restore, a manual fix — they can be wrong. ' +
        'A recount rebuilds them from the documents while levy keeps working, and tells you what it fixed.' }),
      btn, bar, line, list);
  }

  /* entity: null (the default settings) or {id, label}: that connection's settings, where a
     value left to the default follows the default settings. */
  function form(st, entity) {
    var own = {};
    (st.overrides || []).forEach(function (k) { own[k] = true; });
    var a = st.seller_address || {};
    var inputs = {};
    var fields = ADDR.map(function (f) {
      inputs[f[0]] = f[0] === 'country' ? L.countrySelect('country', a.country, 'Choose a country…')
        : h('input', { type: 'text', name: f[0], value: a[f[0]] || '', autocomplete: 'off' });
      return L.field({ label: f[1], input: inputs[f[0]], field: 'seller_address.' + f[0] });
    });
    var useDefault = null;
    if (entity) {
      useDefault = h('input', { type: 'checkbox', name: 'seller_address_default', checked: !own.seller_address });
      var sync = function () { ADDR.forEach(function (x) { inputs[x[0]].disabled = useDefault.checked; }); };
      useDefault.addEventListener('change', sync);
      sync();
    }
    var rounding = h('select', { name: 'rounding' },
      h('option', { value: 'line', text: 'Per line (each jurisdiction rounded on every line)' }),
      h('option', { value: 'document', text: 'Per document (rounded once, allocated to lines)' }));
    if (entity) rounding.insertBefore(h('option', { value: '', text: 'Default (' + (st.rounding === 'document' ? 'per document' : 'per line') + ')' }), rounding.firstChild);
    rounding.value = entity && !own.rounding ? '' : (st.rounding || 'line');
    /* issue 19: whether a customer that says nothing buys for business or personal use (CT, MD, IA,
       OH, WA, NJ tax some codes differently) */
    var ctype = h('select', { name: 'default_customer_type' },
      h('option', { value: 'business', text: 'Business (buys for use in its business)' }),
      h('option', { value: 'individual', text: 'Individual (buys for personal use)' }));
    if (entity) ctype.insertBefore(h('option', { value: '', text: 'Default (' + (st.default_customer_type === 'individual' ? 'individual' : 'business') + ')' }), ctype.firstChild);
    ctype.value = entity && !own.default_customer_type ? '' : (st.default_customer_type || 'business');
    var sweep = h('input', { type: 'text', inputmode: 'numeric', name: 'sweep_interval_minutes', size: 6,
      value: (entity && !own.sweep_interval_minutes) || st.sweep_interval_minutes === undefined || st.sweep_interval_minutes === null ? '' : String(st.sweep_interval_minutes) });
    if (entity) sweep.placeholder = 'Default (' + st.sweep_interval_minutes + ')';
    // where the Rillet data keeps customers' tax ids and exemptions (added to mapping.lua's lists)
    var cd = st.customer_data || {};
    var CD = [['tax_id_reference_types', 'Tax id: external reference types', 'e.g. BTW, Company VAT. Built in: vat, vat-id, vat_number, tax_id, gst, abn, ein… (case and punctuation ignored).'],
      ['tax_id_fields', 'Tax id: custom fields (by name)', 'Built in: VAT number, VAT ID, Tax ID, GST number, ABN, EIN…'],
      ['exempt_fields', 'Exemption: custom fields (by name)', 'Built in: Tax exempt, Exempt.'],
      ['exempt_values', 'Exemption: values meaning exempt', 'Built in: yes, true, exempt, 1.'],
      ['customer_type_fields', 'Customer type: custom fields (by name)', 'Built in: Customer type, Customer category, Business or consumer, B2B or B2C, Buyer type.'],
      ['business_values', 'Customer type: values meaning business', 'Built in: business, b2b, company, corporate, commercial, organization, enterprise.'],
      ['individual_values', 'Customer type: values meaning individual', 'Built in: individual, b2c, consumer, personal, person, private, household.'],
      ['qst_number_reference_types', 'Quebec QST number: external reference types', 'Built in: qst, qst_number, qst-no, tvq, tvq_number, qst_registration.'],
      ['qst_number_fields', 'Quebec QST number: custom fields (by name)', 'Built in: QST number, QST, QST registration number, TVQ, TVQ number, Numero de TVQ.']];
    var cdInputs = {};
    var cdFields = CD.map(function (x) {
      cdInputs[x[0]] = h('input', { type: 'text', name: 'customer_data.' + x[0], value: (cd[x[0]] || []).join(', '), autocomplete: 'off', spellcheck: 'false' });
      return L.field({ label: x[1], input: cdInputs[x[0]], field: 'customer_data.' + x[0], hint: x[2] });
    });
    // issue 19: optional online check of tax ids (VIES), off by default; organisation-wide
    var tio = st.tax_id_online || {};
    var tioOn = h('input', { type: 'checkbox', name: 'tax_id_online.enabled', id: 'tax-id-online-enabled', checked: !!tio.enabled });
    var tioUrl = h('input', { type: 'text', name: 'tax_id_online.vies_url', value: tio.vies_url || '', autocomplete: 'off', spellcheck: 'false' });
    var tioAge = h('input', { type: 'text', inputmode: 'numeric', name: 'tax_id_online.max_age_days', size: 4, value: tio.max_age_days ? String(tio.max_age_days) : '' });
    // issue 19: how the seller is registered for Canadian GST/HST; organisation-wide
    var caRegime = h('select', { name: 'ca_gst_regime', id: 'ca-gst-regime' },
      h('option', { value: 'normal', text: 'Normal regime: charge GST/HST to every customer' }),
      h('option', { value: 'simplified', text: 'Simplified regime (non-resident): no GST/HST to customers who give their GST/HST number' }));
    caRegime.value = st.ca_gst_regime === 'simplified' ? 'simplified' : 'normal';
    // issue 19: how the seller is registered for Quebec's QST; organisation-wide
    var qcRegime = h('select', { name: 'qc_qst_regime', id: 'qc-qst-regime' },
      h('option', { value: 'regular', text: 'Regular system: charge QST to every customer' }),
      h('option', { value: 'specified', text: 'Specified system (seller outside Quebec): no QST to customers who give their QST number' }));
    qcRegime.value = st.qc_qst_regime === 'specified' ? 'specified' : 'regular';
    /* issue 19: the EU's EUR 10,000 cross-border threshold (Directive 2006/112/EC art. 59c); per
       entity too: each subsidiary is its own supplier */
    var euThr = h('select', { name: 'eu_below_threshold', id: 'eu-below-threshold' },
      h('option', { value: 'no', text: 'No: charge the VAT of the customer\'s EU country (OSS)' }),
      h('option', { value: 'yes', text: 'Yes: below EUR 10,000 of cross-border EU consumer sales, charge my own country\'s VAT' }));
    if (entity) euThr.insertBefore(h('option', { value: '', text: 'Default (' + (st.eu_below_threshold === 'yes' ? 'yes' : 'no') + ')' }), euThr.firstChild);
    euThr.value = entity && !own.eu_below_threshold ? '' : (st.eu_below_threshold === 'yes' ? 'yes' : 'no');
    /* issue 19: can customers collect the goods instead of paying for delivery? (IL, FL tax a
       delivery charge the buyer cannot avoid); per entity too: each ships from its own place */
    var pickup = h('select', { name: 'pickup_offered', id: 'pickup-offered' },
      h('option', { value: 'no', text: 'No: I only ship (delivery is part of the price)' }),
      h('option', { value: 'yes', text: 'Yes: customers can collect the goods instead of paying for delivery' }));
    if (entity) pickup.insertBefore(h('option', { value: '', text: 'Default (' + (st.pickup_offered === 'yes' ? 'yes' : 'no') + ')' }), pickup.firstChild);
    pickup.value = entity && !own.pickup_offered ? '' : (st.pickup_offered === 'yes' ? 'yes' : 'no');
    /* issue 19 (law24): a remote seller's flat-rate elections (Alabama SSUT, Texas single local
       use tax rate); per entity too: each subsidiary is its own seller */
    function election(key, id, no, yes) {
      var sel = h('select', { name: key, id: id },
        h('option', { value: 'no', text: no }), h('option', { value: 'yes', text: yes }));
      if (entity) sel.insertBefore(h('option', { value: '', text: 'Default (' + (st[key] === 'yes' ? 'yes' : 'no') + ')' }), sel.firstChild);
      sel.value = entity && !own[key] ? '' : (st[key] === 'yes' ? 'yes' : 'no');
      return sel;
    }
    var alSsut = election('us_al_ssut', 'us-al-ssut', 'No: charge the state and local rates of the ship-to',
      'Yes: I am in the Simplified Sellers Use Tax program (flat 8 %)');
    var txSingle = election('us_tx_single_local', 'us-tx-single-local', 'No: charge the local rates of the ship-to',
      'Yes: I elected the single local use tax rate (Form 01-799)');
    var status = h('div');
    var bulk = L.bulkProgress('bulk-progress'); /* a tax setting's change re-checks documents */
    var save = h('button', { type: 'submit', text: 'Save settings' });
    var f = h('form', { class: 'card', novalidate: true, id: 'settings-form' },
      entity ? h('p', { id: 'settings-entity', class: 'notice', text: 'Settings of ' + entity.label + '. Its invoices and credit memos are taxed with these; what you leave to the default follows the default settings.' }) : null,
      h('fieldset', null, h('legend', { text: 'Seller address' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Used when a calculation has no ship-from: it decides origin sourcing and whether cross-border B2B sales are reverse charged.' }),
        useDefault ? h('label', { class: 'check' }, useDefault, 'Use the default seller address' + (st.seller_address && !own.seller_address ? ' (' + [a.city, a.country].filter(Boolean).join(', ') + ')' : '')) : null,
        h('div', { class: 'grid2' }, fields)),
      h('div', { class: 'grid2' },
        L.field({ label: 'Rounding', input: rounding, field: 'rounding' }),
        L.field({ label: 'Default customer type', input: ctype, field: 'default_customer_type', hint: 'For customers whose type is not set (request customer.type, the customer page or a Rillet custom field). Some states tax SaaS differently for business and personal use.' }),
        L.field({ label: 'Sweep interval (minutes)', input: sweep, field: 'sweep_interval_minutes', hint: 'How often levy pulls documents updated in Rillet, as a backstop for lost webhooks.' })),
      h('fieldset', { id: 'eu-threshold' }, h('legend', { text: 'EU cross-border threshold' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Only for a seller established in one EU country. Below EUR 10,000 a year (this year and last) of digital services and distance sales of goods to consumers in other EU countries, you charge your own country\'s VAT on them (Directive 2006/112/EC art. 59c; from 2019 for digital services, from July 2021 for goods too). Choose No once you pass it, or if you opted to charge the customer\'s country. levy cannot see your turnover: it follows this setting.' }),
        L.field({ label: 'Below the EU threshold', input: euThr, field: 'eu_below_threshold' })),
      h('fieldset', { id: 'pickup' }, h('legend', { text: 'Shipping' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Some states (Illinois, Florida) tax a separately stated delivery charge when the customer cannot avoid it, that is when you offer no pick-up: then it is part of the price of the goods and taxed with them. Most online sellers only ship: No. Choose Yes if every customer may collect the goods instead; the delivery charge is then not taxed there. Saving recalculates your documents.' }),
        L.field({ label: 'Customers can pick up', input: pickup, field: 'pickup_offered' })),
      h('fieldset', { id: 'remote-elections' }, h('legend', { text: 'US remote seller options' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Only for a seller with no physical presence in the state (a seller address in the state charges its rates anyway). Alabama: a seller accepted into the Simplified Sellers Use Tax program collects a flat 8 % in place of the state and local taxes (Ala. Code 40-23-191 ff.). Texas: a remote seller that notified the Comptroller collects the single local use tax rate in place of the local taxes of the ship-to (Tax Code 151.0595); levy knows the rate of the years it has a source for and otherwise charges the local rates, with a note. Saving recalculates your documents of that state.' }),
        h('div', { class: 'grid2' },
          L.field({ label: 'Alabama SSUT', input: alSsut, field: 'us_al_ssut' }),
          L.field({ label: 'Texas single local rate', input: txSingle, field: 'us_tx_single_local' }))),
      entity ? null : h('fieldset', { id: 'customer-data' }, h('legend', { text: 'Customer data' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Where your Rillet customers keep their VAT/GST numbers and exemptions (for every entity: customers belong to the whole organisation). Names separated by commas; saving re-reads every customer and recalculates the open documents of those that change.' }),
        h('div', { class: 'grid2' }, cdFields)),
      entity ? null : h('fieldset', { id: 'tax-id-online' }, h('legend', { text: 'Online tax id check (VIES)' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Off by default: levy checks VAT numbers offline (format and check digit). On: a customer\'s page can ask VIES whether an EU VAT number is registered; the answer is kept with its date, and a number VIES says is not registered is charged tax like a consumer. Calculations never wait for VIES.' }),
        h('label', { class: 'check' }, tioOn, 'Allow online checks'),
        h('div', { class: 'grid2' },
          L.field({ label: 'VIES REST API', input: tioUrl, field: 'tax_id_online.vies_url' }),
          L.field({ label: 'Answers valid for (days)', input: tioAge, field: 'tax_id_online.max_age_days' }))),
      entity ? null : h('fieldset', { id: 'ca-gst' }, h('legend', { text: 'Canada GST/HST registration' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Only for a seller not established in Canada (a seller address in Canada always charges). Simplified regime (Excise Tax Act s. 211.1 ff.): a customer that gives a valid GST/HST registration number is not charged (answered as reverse charge); a missing or invalid number is charged. Normal regime: every customer is charged.' }),
        L.field({ label: 'GST/HST regime', input: caRegime, field: 'ca_gst_regime' })),
      entity ? null : h('fieldset', { id: 'qc-qst' }, h('legend', { text: 'Quebec QST registration' }),
        h('p', { class: 'muted', style: 'margin-top:0', text: 'Only for a seller outside Quebec (a seller address in Quebec always charges). Specified system: a customer that gives a QST registration number (10 digits, TQ, 4 digits) is not charged QST (answered as reverse charge); a missing or invalid number is charged. Regular system: every customer is charged.' }),
        /* the API's names behind the toggle (issue 20) */
        h('details', { class: 'tech', id: 'qc-qst-tech' }, h('summary', { text: 'Technical details' }),
          h('p', { class: 'muted', text: 'Calculation requests carry the number in customer.qst_number; an answer not charging QST has the note qst_registrant.' })),
        L.field({ label: 'QST registration', input: qcRegime, field: 'qc_qst_regime' })),
      status, bulk.el, h('div', { class: 'actions' }, save));
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.clear(status);
      L.clearFieldErrors(f);
      var addr = {};
      ADDR.forEach(function (x) { var v = inputs[x[0]].value.trim(); if (v) addr[x[0]] = x[0] === 'country' || x[0] === 'state' ? v.toUpperCase() : v; });
      var body = { seller_address: addr, rounding: rounding.value, default_customer_type: ctype.value };
      if (entity) {
        /* null: the entity follows the default for that setting */
        if (useDefault.checked) body.seller_address = null;
        if (!rounding.value) body.rounding = null;
        if (!ctype.value) body.default_customer_type = null;
        if (!sweep.value.trim()) body.sweep_interval_minutes = null;
        body.eu_below_threshold = euThr.value || null;
        body.pickup_offered = pickup.value || null;
        body.us_al_ssut = alSsut.value || null;
        body.us_tx_single_local = txSingle.value || null;
      } else {
        body.eu_below_threshold = euThr.value;
        body.pickup_offered = pickup.value;
        body.us_al_ssut = alSsut.value;
        body.us_tx_single_local = txSingle.value;
      }
      if (!entity) {
        /* customer_data is organisation-wide (Rillet's customers are not per subsidiary) */
        body.customer_data = {};
        CD.forEach(function (x) {
          body.customer_data[x[0]] = cdInputs[x[0]].value.split(',').map(function (v) { return v.trim(); }).filter(Boolean);
        });
        body.tax_id_online = { enabled: tioOn.checked };
        if (tioUrl.value.trim()) body.tax_id_online.vies_url = tioUrl.value.trim();
        var age = tioAge.value.trim();
        if (age) body.tax_id_online.max_age_days = /^[0-9]+$/.test(age) ? parseInt(age, 10) : age;
        body.ca_gst_regime = caRegime.value;
        body.qc_qst_regime = qcRegime.value;
      }
      var m = sweep.value.trim();
      if (m) {
        if (!/^[0-9]{1,6}$/.test(m)) {
          sweep.setAttribute('aria-invalid', 'true');
          document.getElementById(sweep.id + '-err').textContent = 'Whole minutes, e.g. 15.';
          sweep.focus();
          return;
        }
        body.sweep_interval_minutes = JSON.parse(m.replace(/^0+(?=\d)/, ''));
      }
      L.busy(save, true);
      var path = entity ? '/v1/connections/' + encodeURIComponent(entity.id) + '/settings' : '/v1/settings';
      L.api('PUT', path, body).then(function (res) {
        status.appendChild(h('div', { class: 'notice ok', role: 'status', text: entity ? 'Settings of ' + entity.label + ' saved.' : 'Settings saved.' }));
        bulk.follow(res && res.requeue);
      }, function (err) {
        L.showError(status, err, f);
        var bad = f.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
      }).then(function () { L.busy(save, false); });
    });
    return f;
  }

  /* The key of POST /tax_api/calculate_tax (X-API-KEY): shown once when created. */
  /* me: GET /v1/me's answer or null (then everything is offered and the API decides) */
  function sphereKey(k, me) {
    var status = h('div');
    var state = h('p', { id: 'sphere-key-state', text: k.configured ? 'A key is set (' + k.hint + ', created ' + k.created_at + ').' : 'No key yet: the endpoint accepts only the API token.' });
    var create = h('button', { type: 'button', text: k.configured ? 'Replace key' : 'Create key' });
    var revoke = h('button', { type: 'button', class: 'secondary', text: 'Revoke key', hidden: !k.configured });
    var card = h('section', { class: 'card', 'aria-labelledby': 'sphere-key-h' },
      h('h2', { id: 'sphere-key-h', text: 'Sphere-compatible API key' }),
      h('p', { class: 'muted', text: 'A key for shop systems that calculate tax through levy\'s Sphere-compatible endpoint: it opens that endpoint and nothing else, so they need not hold the API token.' }),
      /* the endpoint and its header behind the toggle (issue 20) */
      h('details', { class: 'tech', id: 'sphere-key-tech' }, h('summary', { text: 'Technical details' }),
        h('p', { class: 'muted', text: 'POST /tax_api/calculate_tax takes this key in the X-API-KEY header.' })),
      state, status, h('div', { class: 'actions' }, create, revoke));
    if (me && !me.may.secrets && !me.read_only) {
      /* a key a full token made would outlive the token's revocation: only an admin makes one */
      create.hidden = true;
      status.appendChild(h('p', { class: 'muted', id: 'sphere-key-admin', text: 'Only an admin can create or replace this key ' +
        '(the API token, or a token created as admin): a key made with your token would keep working after it is revoked.' }));
    }
    create.addEventListener('click', function () {
      L.clear(status);
      L.busy(create, true);
      L.api('POST', '/v1/sphere-api-key').then(function (r) {
        var out = h('input', { type: 'text', readOnly: true, value: r.api_key, id: 'sphere-key-value', spellcheck: 'false' });
        status.appendChild(h('div', { class: 'notice ok', role: 'status' },
          h('p', { text: 'Copy the key now; levy keeps only its hash and will not show it again.' }),
          L.field({ label: 'New Sphere API key', input: out })));
        state.textContent = 'A key is set (' + r.hint + ', created ' + r.created_at + ').';
        create.textContent = 'Replace key';
        revoke.hidden = false;
        out.select();
      }, function (err) { L.showError(status, err); }).then(function () { L.busy(create, false); });
    });
    revoke.addEventListener('click', function () {
      L.clear(status);
      L.api('DELETE', '/v1/sphere-api-key').then(function () {
        state.textContent = 'No key yet: the endpoint accepts only the API token.';
        create.textContent = 'Create key';
        revoke.hidden = true;
      }, function (err) { L.showError(status, err); });
    });
    return card;
  }
})();
