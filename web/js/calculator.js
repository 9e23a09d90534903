/* Calculator: a form for POST /v1/calculate and the returned breakdown. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  var entity = null; /* null: the default regions and settings; {id, label}: a connection's */
  L.page('calculator', {
    title: 'Calculator',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      main.appendChild(h('h1', { text: 'Calculator' }));
      main.appendChild(h('p', { class: 'muted', text: 'Calculates tax with your current regions, settings and rules. Nothing is stored.' }));
      /* Several legal entities (issue 17): calculate as one connection's documents are. */
      entity = null;
      main.appendChild(h('div', { class: 'toolbar' }, L.entityPicker(function (e) { entity = e; })));
      var slot = h('div', null, h('p', { class: 'loading', text: 'Loading tax codes…' }));
      main.appendChild(slot);
      L.loadTaxCodes().then(function () { if (alive) L.clear(slot).appendChild(form()); },
        function (err) { if (alive) L.showError(L.clear(slot), err); });
      return 'Calculator';
    }
  });

  function inp(name, attrs) {
    var el = h('input', Object.assign({ type: 'text', name: name, autocomplete: 'off' }, attrs || {}));
    return el;
  }

  function form() {
    var currency = inp('currency', { value: 'USD', maxlength: 3, size: 5, spellcheck: 'false', style: 'text-transform:uppercase' });
    var date = inp('date', { type: 'date', value: L.today() });
    var ship = {
      line1: inp('line1', { value: '2000 Main St' }), city: inp('city', { value: 'Irvine' }),
      state: inp('state', { value: 'CA', maxlength: 3, size: 4 }), zip_code: inp('zip_code', { value: '92614', size: 10 }),
      country: L.countrySelect('country', 'US')
    };
    var taxId = inp('tax_id', { spellcheck: 'false' });
    var exempt = h('input', { type: 'checkbox', name: 'customer_exempt' });
    /* issue 19: business or personal use (empty: the default customer type setting) */
    var ctype = h('select', { name: 'customer_type' },
      h('option', { value: '', text: 'Default setting' }),
      h('option', { value: 'business', text: 'Business' }),
      h('option', { value: 'individual', text: 'Individual (personal use)' }));
    var linesBody = h('tbody');
    var status = h('div');
    var result = h('div', { id: 'calc-result', 'aria-live': 'polite' });
    var submit = h('button', { type: 'submit', text: 'Calculate' });
    var addBtn = h('button', { type: 'button', class: 'secondary', text: 'Add line' });
    /* POST /v1/calculate changes nothing: a read-only session calculates too (the route says
     * read_only_ok; roexport24); offered as GET /v1/me's may.calculate says */
    L.mayOff('calculate', submit);

    function renumber() {
      linesBody.querySelectorAll('tr').forEach(function (tr, i) {
        tr.querySelector('th').textContent = String(i + 1);
        tr.querySelectorAll('[data-name]').forEach(function (el) {
          el.dataset.field = 'lines[' + i + '].' + el.dataset.name;
          el.setAttribute('aria-label', 'Line ' + (i + 1) + ' ' + el.dataset.label);
        });
        var rm = tr.querySelector('button.remove');
        rm.setAttribute('aria-label', 'Remove line ' + (i + 1));
        rm.disabled = linesBody.children.length === 1;
      });
    }
    function cell(el, name, label) {
      el.id = L.uid('ln');
      el.dataset.name = name;
      el.dataset.label = label;
      el.setAttribute('aria-describedby', el.id + '-err');
      return h('td', null, el, h('div', { class: 'field-error', id: el.id + '-err', role: 'alert' }));
    }
    function addLine(amount, code) {
      var rm = h('button', { type: 'button', class: 'link remove', text: 'Remove' });
      var tr = h('tr', null, h('th', { scope: 'row' }),
        cell(inp('amount', { value: amount || '', inputmode: 'decimal', placeholder: '100.00', size: 10 }), 'amount', 'amount'),
        cell(inp('quantity', { value: '1', inputmode: 'decimal', size: 5 }), 'quantity', 'quantity'),
        cell(L.taxCodeSelect(code || 'general', { name: 'tax_code' }), 'tax_code', 'tax code'),
        cell(inp('discount', { value: '', inputmode: 'decimal', placeholder: '0.00', size: 8 }), 'discount', 'discount'),
        cell(h('input', { type: 'checkbox', name: 'tax_inclusive' }), 'tax_inclusive', 'tax inclusive'),
        h('td', null, rm));
      rm.addEventListener('click', function () {
        var next = tr.nextElementSibling || tr.previousElementSibling;
        tr.remove(); renumber();
        if (next) next.querySelector('input').focus();
      });
      linesBody.appendChild(tr);
      renumber();
      return tr;
    }
    addLine('100.00', 'general');
    addBtn.addEventListener('click', function () { addLine('', 'general').querySelector('input').focus(); });

    function fld(label, el, path, cls) { return L.field({ label: label, input: el, field: path, cls: cls }); }
    var f = h('form', { class: 'card', novalidate: true, id: 'calc-form', 'data-read': true /* stores nothing: read_only_ok */ },
      h('div', { class: 'grid2' }, fld('Currency', currency, 'currency'), fld('Date', date, 'date')),
      h('fieldset', null, h('legend', { text: 'Ship-to address' }),
        h('div', { class: 'grid2' },
          fld('Street', ship.line1, 'ship_to.line1'), fld('City', ship.city, 'ship_to.city'),
          fld('State / province', ship.state, 'ship_to.state'), fld('ZIP / postal code', ship.zip_code, 'ship_to.zip_code'),
          fld('Country', ship.country, 'ship_to.country'))),
      h('fieldset', null, h('legend', { text: 'Customer (optional)' }),
        h('div', { class: 'row' }, fld('Tax id', taxId, 'customer.tax_id'), fld('Customer type', ctype, 'customer.type'),
          h('label', { class: 'check', style: 'margin-bottom:.5rem' }, exempt, 'Exempt'))),
      h('h2', { text: 'Lines' }),
      h('div', { class: 'table-wrap' }, h('table', { class: 'lines-grid' },
        h('thead', null, h('tr', null, ['#', 'Amount', 'Quantity', 'Tax code', 'Discount', 'Inclusive', ''].map(function (t) {
          return h('th', { scope: 'col' }, t || h('span', { class: 'sr-only', text: 'Actions' }));
        }))), linesBody)),
      h('div', { class: 'actions', style: 'justify-content:space-between' }, addBtn, submit),
      status);

    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var shipTo = {};
      Object.keys(ship).forEach(function (k) { var v = ship[k].value.trim(); if (v) shipTo[k] = k === 'country' || k === 'state' ? v.toUpperCase() : v; });
      var body = { currency: currency.value.trim().toUpperCase(), ship_to: shipTo, lines: [] };
      if (date.value) body.date = date.value;
      if (taxId.value.trim() || exempt.checked || ctype.value) {
        body.customer = { tax_id: taxId.value.trim() || null, exempt: exempt.checked };
        if (ctype.value) body.customer.type = ctype.value;
      }
      linesBody.querySelectorAll('tr').forEach(function (tr, i) {
        var get = function (n) { return tr.querySelector('[data-name="' + n + '"]'); };
        var line = { id: String(i + 1), amount: get('amount').value.trim(), tax_code: get('tax_code').value };
        var q = get('quantity').value.trim(), d = get('discount').value.trim();
        if (q) line.quantity = q;
        if (d) line.discount = d;
        if (get('tax_inclusive').checked) line.tax_inclusive = true;
        body.lines.push(line);
      });
      L.busy(submit, true);
      L.clear(status);
      L.clearFieldErrors(f);
      /* the region names first: the result names its region ("California (US-CA)") */
      Promise.all([L.api('POST', '/v1/calculate' + (entity ? L.qs({ connection_id: entity.id }) : ''), body), L.loadRegions()]).then(function (all) {
        var r = all[0];
        L.clear(result).appendChild(renderResult(r));
        L.announce('Total tax ' + L.money(r.total_tax, r.currency));
      }, function (err) {
        L.clear(result);
        L.showError(status, err, f);
        var bad = f.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
      }).then(function () { L.busy(submit, false); });
    });
    return h('div', null, f, result);
  }

  function renderResult(r) {
    var cur = r.currency;
    var lines = (r.lines || []).map(function (ln) {
      return h('section', { class: 'card calc-line' },
        h('div', { class: 'row', style: 'justify-content:space-between' },
          h('h3', { style: 'margin:0', text: 'Line ' + ln.id }),
          ln.taxability_reason ? L.badge(ln.taxability_reason) : null),
        h('dl', { class: 'kv' },
          h('dt', { text: 'Amount' }), h('dd', { text: L.money(ln.amount, cur) }),
          h('dt', { text: 'Taxable' }), h('dd', { text: L.money(ln.taxable_amount, cur) }),
          h('dt', { text: 'Tax' }), h('dd', { text: L.money(ln.tax, cur) })),
        L.taxesTable(ln.taxes, cur));
    });
    var rules = r.rules || {};
    var prec = L.precision(r.resolution, r.ambiguous_zip, 'calc'); // issue 19: address precision
    // notes attached to the answer (issue 19: tax_id_invalid = the tax id is not a
    // valid number of the destination, so tax was charged instead of reverse-charged;
    // taxability_fallback = the region's rule has no cited row for the line's tax code, so
    // the code's parent decided: docs/rules.md section 2a; local_tax_uncertain = a city's own
    // tax (Chicago's lease tax) and a ZIP only partly in it)
    var NOTE_TITLES = { tax_id_invalid: 'Invalid tax id', taxability_fallback: 'Taxed as the parent code',
      local_tax_uncertain: 'Check the address' };
    var notes = (r.notes || []).map(function (n) {
      return h('div', { class: 'notice warn calc-note', role: 'status', dataset: { code: n.code } },
        h('strong', { text: (NOTE_TITLES[n.code] || n.code) + ': ' }), n.message);
    });
    return h('div', null,
      h('h2', { text: 'Result' }),
      notes.length ? h('div', { id: 'calc-notes' }, notes) : null,
      // issue 19: a rate table older than the date asked for answered (rates_stale)
      r.rates_stale ? L.staleNotice(r.rates_stale, 'calc-rates-stale') : null,
      prec.notice,
      h('section', { class: 'card' },
        h('dl', { class: 'kv' },
          // the region by its name (issue 20): a territory's own name ("Canary Islands (ES-CN)")
          h('dt', { text: 'Region' }), h('dd', { id: 'calc-region', text: r.territory && r.territory.code === r.region && r.territory.name ?
            r.territory.name + ' (' + r.region + ')' : L.regionLabel(r.region) }),
          r.resolution ? h('dt', { text: 'Located by' }) : null,
          r.resolution ? h('dd', null, prec.text) : null,
          // issue 19: a territory with its own VAT status (Canary Islands: out of scope; Monaco:
          // taxed as France) says so, with its legal reason
          r.territory ? h('dt', { text: 'Territory' }) : null,
          r.territory ? h('dd', { id: 'calc-territory' },
            h('strong', { text: r.territory.name + ' (' + r.territory.code + ')' }),
            ' ', L.badge(r.territory.treatment === 'taxed_as' ? 'taxed as ' + r.territory.tax_country : r.territory.treatment),
            h('div', { class: 'muted', text: r.territory.reason })) : null,
          h('dt', { text: 'Total amount' }), h('dd', { text: L.money(r.total_amount, cur) }),
          h('dt', { text: 'Total taxable' }), h('dd', { text: L.money(r.total_taxable, cur) }),
          h('dt', { text: 'Total tax' }), h('dd', null, h('strong', { id: 'calc-total-tax', text: L.money(r.total_tax, cur) })),
          h('dt', { text: 'Calculation' }), h('dd', { class: 'mono', text: r.calculation_id || '—' }),
          h('dt', { text: 'Rule' }), h('dd', { class: 'mono', text: [rules.region_rule, rules.generation !== undefined ? 'generation ' + rules.generation : null].filter(Boolean).join(' · ') || '—' }),
          // the rate tables in words ("avalara-zip5 2025-12; cdtfa 2026-01-01" behind the toggle)
          h('dt', { text: 'Rates' }), h('dd', { id: 'calc-rates' }, rules.rates_source ? [String(rules.rates_source).split(/; */).map(function (t) {
            var sp = t.lastIndexOf(' ');
            return sp > 0 ? L.rateTableWords(t.slice(0, sp), t.slice(sp + 1)) : L.rateTableWords(t);
          }).join('; '), h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }), h('span', { class: 'mono', text: rules.rates_source }))] : '—'))),
      lines);
  }
})();
