/* Products (tax codes) and Customers (exemptions, tax ids). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  L.taxCodes = null;
  L.loadTaxCodes = function () {
    if (L.taxCodes) return Promise.resolve(L.taxCodes);
    return L.fetchAll('/v1/tax-codes').then(function (d) { L.taxCodes = d; return d; });
  };
  L.taxCodeSelect = function (value, attrs) {
    var sel = h('select', attrs || null);
    var seen = false;
    (L.taxCodes || []).forEach(function (t) {
      if (t.code === value) seen = true;
      sel.appendChild(h('option', { value: t.code, text: t.name ? t.name + ' (' + t.code + ')' : t.code, title: t.description || null }));
    });
    if (value && !seen) sel.appendChild(h('option', { value: value, text: value }));
    if (value) sel.value = value;
    return sel;
  };

  /* ---------------- Products ---------------- */
  L.page('products', {
    title: 'Products',
    render: function (main) {
      var list = null;
      L.onLeave(function () { if (list) list.stop(); });
      var tbody = h('tbody', null, L.loadingRow(5));
      var more = h('div');
      var errSlot = h('div');
      productBulk = L.bulkProgress('bulk-progress');
      main.appendChild(h('h1', { text: 'Products' }));
      main.appendChild(h('p', { class: 'muted', text: 'Products imported from Rillet. The tax code decides how each region taxes a line; changing it re-queues the open invoices that use the product.' }));
      main.appendChild(errSlot);
      main.appendChild(productBulk.el);
      main.appendChild(L.tableWrap(['Product', { text: 'Status', cls: 'hide-sm' }, 'Tax code', 'Source', { sr: 'Save status' }], tbody, { id: 'products-table' }));
      main.appendChild(more);
      var hq = L.hashQuery ? L.hashQuery() : {};
      var search = h('input', { type: 'search', name: 'q', size: 18, spellcheck: 'false', placeholder: 'Product name', value: hq.q || '' });
      var source = h('select', { name: 'tax_code_source' }, h('option', { value: '', text: 'Any' }),
        h('option', { value: 'default', text: 'Fallback tax code (not chosen yet)' }), h('option', { value: 'mapping', text: 'From Rillet' }),
        h('option', { value: 'user', text: 'Chosen in levy' }));
      source.value = hq.source || '';
      var current = {};
      var bar = L.listBar({ path: '/v1/products', name: 'levy-products', params: function () { return current; } });
      var form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Product filters' },
        L.field({ label: 'Search', input: search, field: 'q' }), L.field({ label: 'Tax code', input: source, field: 'tax_code_source' }),
        h('button', { type: 'submit', class: 'secondary', text: 'Apply' }));
      main.insertBefore(form, errSlot);
      main.insertBefore(bar.el, errSlot);
      function run() {
        if (list) list.stop();
        current = { q: search.value.trim(), tax_code_source: source.value };
        history.replaceState(null, '', '#/products' + L.qs({ q: current.q, source: current.tax_code_source }));
        bar.total(null);
        L.clear(tbody).appendChild(L.loadingRow(5));
        list = L.pagedList({ path: '/v1/products', params: current, tbody: tbody, more: more, cols: 5, row: productRow,
          onPage: function (items, res) { if (res) bar.total(res.total); },
          empty: current.q || current.tax_code_source ? 'No products match.' : 'No products yet. Connect Rillet on the Integrations page to import them.' });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      source.addEventListener('change', run);
      L.loadTaxCodes().then(run, function (err) { L.clear(tbody); L.showError(errSlot, err); });
      return 'Products';
    }
  });

  /* the Products page's progress line for the re-check a tax code change starts */
  var productBulk = null;
  function productRow(p) {
    var src = h('span', { class: 'source' }, L.badge(p.tax_code_source || 'default'));
    var st = h('td', { class: 'status-cell', role: 'status' });
    var sel = L.taxCodeSelect(p.tax_code, { name: 'tax_code', 'aria-label': 'Tax code for ' + (p.name || p.id) });
    var prev = sel.value;
    sel.addEventListener('change', function () {
      st.textContent = 'Saving…'; st.className = 'status-cell muted';
      sel.removeAttribute('aria-invalid');
      L.api('PUT', '/v1/products/' + encodeURIComponent(p.id), { tax_code: sel.value }).then(function (np) {
        prev = (np && np.tax_code) || sel.value;
        sel.value = prev;
        L.clear(src).appendChild(L.badge((np && np.tax_code_source) || 'user'));
        st.textContent = 'Saved'; st.className = 'status-cell ok';
        L.announce('Tax code saved');
        if (productBulk && np) productBulk.follow(np.requeue);
      }, function (err) {
        sel.value = prev;
        sel.setAttribute('aria-invalid', 'true');
        st.textContent = ''; st.className = 'status-cell';
        var d = (err.details || [])[0];
        st.appendChild(h('span', { class: 'field-error', text: d ? d.message : err.message }));
      });
    });
    return h('tr', { dataset: { id: p.id } },
      h('td', null, h('div', { text: p.name || p.id }), p.description ? h('div', { class: 'muted', style: 'font-size:.85rem', text: p.description }) : null),
      h('td', { class: 'hide-sm' }, p.status ? L.badge(String(p.status).toLowerCase()) : '—'),
      h('td', null, sel),
      h('td', null, src),
      st);
  }

  /* ---------------- Customers ---------------- */
  L.page('customers', {
    title: 'Customers',
    render: function (main, params) {
      if (params[0]) return customerDetail(main, params[0]);
      var list = null;
      L.onLeave(function () { if (list) list.stop(); });
      var tbody = h('tbody', null, L.loadingRow(5));
      var more = h('div');
      main.appendChild(h('h1', { text: 'Customers' }));
      main.appendChild(h('p', { class: 'muted', text: 'Exemptions apply in the listed regions (all regions when none are listed) until they expire. A tax id enables reverse charge where the region allows it.' }));
      // a customer created in Rillet after the import that no sweep or webhook brought yet:
      // opening it by its Rillet id fetches it from Rillet
      var byId = h('input', { type: 'text', name: 'customer_id', size: 36, placeholder: 'Rillet customer id', autocomplete: 'off', spellcheck: 'false' });
      var open = h('form', { class: 'toolbar', id: 'customer-open' },
        L.field({ label: 'Open a customer by Rillet id (one levy has not seen yet is fetched from Rillet)', input: byId }),
        h('button', { type: 'submit', class: 'secondary', text: 'Open' }));
      open.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = byId.value.trim();
        if (v) location.hash = '#/customers/' + encodeURIComponent(v);
      });
      main.appendChild(open);
      var search = h('input', { type: 'search', name: 'q', size: 18, spellcheck: 'false', placeholder: 'Customer name' });
      var current = {};
      var bar = L.listBar({ path: '/v1/customers', name: 'levy-customers', params: function () { return current; } });
      var form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Customer search' },
        L.field({ label: 'Search', input: search, field: 'q' }), h('button', { type: 'submit', class: 'secondary', text: 'Search' }));
      main.appendChild(form);
      main.appendChild(bar.el);
      main.appendChild(L.tableWrap(['Customer', 'Exemption', { text: 'Certificate', cls: 'hide-sm' }, 'Tax id', { sr: 'Actions' }], tbody, { id: 'customers-table' }));
      main.appendChild(more);
      function run() {
        if (list) list.stop();
        current = { q: search.value.trim() };
        bar.total(null);
        L.clear(tbody).appendChild(L.loadingRow(5));
        list = L.pagedList({ path: '/v1/customers', params: current, tbody: tbody, more: more, cols: 5, row: customerRow,
          onPage: function (items, res) { if (res) bar.total(res.total); },
          empty: current.q ? 'No customers match.' : 'No customers yet. Connect Rillet on the Integrations page to import them.' });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      run();
      return 'Customers';
    }
  });

  function exemptionText(c) {
    if (!c.exempt) return h('span', { class: 'muted', text: 'Not exempt' });
    var regions = c.exempt_regions && c.exempt_regions.length ? c.exempt_regions.join(', ') : 'all regions';
    return h('span', null, L.badge('exempt'), ' ', regions, c.exemption_expires ? h('span', { class: 'muted', text: ' until ' + c.exemption_expires }) : null);
  }
  /* Where a value came from: "custom field VAT number", "external reference vat-id",
     "set in levy" (an override), or nothing. */
  function sourceText(detail, source) {
    if (source === 'user') return 'set in levy (overrides Rillet)';
    return detail ? 'from Rillet: ' + detail : '';
  }
  L.customerSource = sourceText;
  // Issue 19: a tax id that fails the offline check (format or check digit) gets no reverse
  // charge: tax is charged and the calculation carries the note tax_id_invalid.
  function taxIdProblem(c) {
    var k = c && c.tax_id_check;
    if (!k || k.valid || k.status === 'unknown_country') return '';
    return 'invalid tax id' + (k.country ? ' for ' + k.country : '') + ' (' + (k.status === 'invalid_checksum' ? 'check digit' : 'format') +
      (k.detail ? ': ' + k.detail : '') + '): tax is charged, no reverse charge';
  }
  L.taxIdProblem = taxIdProblem;
  function taxIdBadge(c) {
    var p = taxIdProblem(c);
    return p ? h('div', { class: 'field-error tax-id-invalid', style: 'font-size:.85rem', text: p }) : null;
  }
  function customerRow(c) {
    var href = '#/customers/' + encodeURIComponent(c.id);
    var tsrc = sourceText(c.tax_id_detail, c.tax_id_source);
    return h('tr', { dataset: { id: c.id } },
      h('td', null, h('a', { href: href, text: c.name || c.id })),
      h('td', null, exemptionText(c)),
      h('td', { class: 'hide-sm', text: c.exemption_certificate || '—' }),
      h('td', null, h('span', { class: 'mono', text: c.tax_id || '—' }), taxIdBadge(c),
        tsrc ? h('div', { class: 'muted tax-id-source', style: 'font-size:.85rem', text: tsrc }) : null),
      h('td', null, h('a', { href: href, class: 'button secondary', 'aria-label': 'Edit ' + (c.name || c.id), text: 'Edit' })));
  }

  function addr(a) {
    if (!a) return '—';
    return [a.line1, a.line2, a.city, [a.state, a.zip_code].filter(Boolean).join(' '), a.country].filter(Boolean).join(', ');
  }
  L.addr = addr;

  function customerDetail(main, id) {
    var alive = true;
    L.onLeave(function () { alive = false; });
    var slot = h('div', null, h('p', { class: 'loading', text: 'Loading…' }));
    main.appendChild(h('p', null, h('a', { href: '#/customers', text: '← Customers' })));
    main.appendChild(h('h1', { text: 'Customer' }));
    main.appendChild(slot);
    L.api('GET', '/v1/customers/' + encodeURIComponent(id)).then(function (c) {
      if (!alive) return;
      main.querySelector('h1').textContent = c.name || c.id;
      document.title = (c.name || c.id) + ' · levy';
      L.clear(slot).appendChild(customerForm(c));
    }, function (err) { if (alive) L.showError(L.clear(slot), err); });
    return 'Customer';
  }

  function customerForm(c) {
    var rillet = c.rillet || {};
    var exempt = h('input', { type: 'checkbox', name: 'exempt', checked: !!c.exempt, id: L.uid('cu') });
    exempt.dataset.field = 'exempt';
    var regions = h('input', { type: 'text', name: 'exempt_regions', value: (c.exempt_regions || []).join(', '), placeholder: 'US-CA, US-NY', autocomplete: 'off' });
    var cert = h('input', { type: 'text', name: 'exemption_certificate', value: c.exemption_certificate || '' });
    var expires = h('input', { type: 'date', name: 'exemption_expires', value: c.exemption_expires || '' });
    var taxId = h('input', { type: 'text', name: 'tax_id', value: c.tax_id || '', autocomplete: 'off', spellcheck: 'false' });
    /* issue 19: business or personal use (CT, MD, IA, OH, WA, NJ tax some codes differently) */
    var ctype = h('select', { name: 'customer_type' },
      h('option', { value: '', text: 'Not set (the default customer type setting)' }),
      h('option', { value: 'business', text: 'Business (buys for use in its business)' }),
      h('option', { value: 'individual', text: 'Individual (buys for personal use)' }));
    var ctSrc = h('p', { class: 'muted source-line', id: 'customer-type-source' });
    var status = h('div');
    var bulk = L.bulkProgress('bulk-progress');
    var save = h('button', { type: 'submit', text: 'Save' });
    var exErr = h('div', { class: 'field-error', id: exempt.id + '-err', role: 'alert' });
    var exSrc = h('p', { class: 'muted source-line', id: 'exempt-source' });
    var taxSrc = h('p', { class: 'muted source-line', id: 'tax-id-source' });
    var cur = c;
    function sync() { [regions, cert, expires].forEach(function (el) { el.disabled = !exempt.checked; }); }
    exempt.addEventListener('change', sync);
    // "Use Rillet's value": drop the override (PUT {"tax_id": null} / {"exempt": null})
    function revert(field) {
      var body = {}; body[field] = null;
      L.clear(status); // the earlier "Saved." must not stand for this change
      return L.api('PUT', '/v1/customers/' + encodeURIComponent(c.id), body).then(function (nc) {
        show(nc);
        L.clear(status).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Back to the value from Rillet. Open documents of this customer are recalculated.' }));
      }, function (err) { L.showError(L.clear(status), err); });
    }
    function line(slot, text, field, overridden, rilletText) {
      L.clear(slot).appendChild(document.createTextNode(text || 'Nothing in the Rillet data; set here if needed.'));
      if (overridden) {
        slot.appendChild(document.createTextNode(' ' + rilletText + ' '));
        slot.appendChild(h('button', { type: 'button', class: 'secondary small', 'data-revert': field,
          text: 'Use Rillet\'s value', onclick: function () { revert(field); } }));
      }
    }
    // issue 19: the online check (setting tax_id_online): the latest registry answer as evidence,
    // and a button that asks VIES now
    var registry = h('p', { class: 'muted source-line', id: 'tax-id-registry' });
    function showRegistry(nc) {
      L.clear(registry);
      var r = nc.tax_id_registry;
      if (r) {
        registry.appendChild(document.createTextNode(r.source + ' ' + (r.status === 'registered' ? 'registered' : r.status === 'not_registered' ? 'NOT registered (tax is charged)' : 'unavailable') +
          ' — checked ' + L.time(r.checked_at) + (r.name && r.name !== '---' ? ' · ' + r.name : '') + (r.request_id ? ' · consultation ' + r.request_id : '') + ' '));
      }
      var k = nc.tax_id_check;
      if (k && k.valid && k.country) {
        registry.appendChild(h('button', { type: 'button', class: 'secondary small', id: 'verify-tax-id', text: 'Check online (VIES)', onclick: function (ev) {
          var b = ev.target; L.busy(b, true); L.clear(status);
          L.api('POST', '/v1/customers/' + encodeURIComponent(c.id) + '/tax_id/verify', {}).then(function () {
            return L.api('GET', '/v1/customers/' + encodeURIComponent(c.id)).then(show);
          }, function (err) { L.busy(b, false); L.showError(L.clear(status), err); });
        } }));
      }
    }
    function show(nc) {
      cur = nc; rillet = nc.rillet || {};
      exempt.checked = !!nc.exempt; taxId.value = nc.tax_id || '';
      ctype.value = nc.customer_type || '';
      line(ctSrc, sourceText(nc.customer_type_detail, nc.customer_type_source), 'customer_type', nc.customer_type_source === 'user',
        rillet.customer_type ? '(Rillet: ' + rillet.customer_type + ', ' + rillet.customer_type_detail + ')' : '(Rillet: nothing said)');
      regions.value = (nc.exempt_regions || []).join(', ');
      sync();
      line(taxSrc, sourceText(nc.tax_id_detail, nc.tax_id_source), 'tax_id', nc.tax_id_source === 'user',
        rillet.tax_id ? '(Rillet: ' + rillet.tax_id + ', ' + rillet.tax_id_detail + ')' : '(Rillet: none)');
      var bad = taxIdProblem(nc);
      if (bad) taxSrc.appendChild(h('span', { class: 'field-error tax-id-invalid', text: ' ' + bad }));
      showRegistry(nc);
      line(exSrc, sourceText(nc.exempt_detail, nc.exempt_source), 'exempt', nc.exempt_source === 'user',
        rillet.exempt === null || rillet.exempt === undefined ? '(Rillet: nothing said)' :
          '(Rillet: ' + (rillet.exempt ? 'exempt' : 'not exempt') + ', ' + rillet.exempt_detail + ')');
    }
    var form = h('form', { class: 'card', novalidate: true, id: 'customer-form' },
      h('h2', { style: 'margin-top:0', text: 'Exemption' }),
      h('div', { class: 'field' }, h('label', { class: 'check' }, exempt, 'Tax exempt'), exErr),
      exSrc,
      L.field({ label: 'Exempt regions', input: regions, field: 'exempt_regions', hint: 'Region codes separated by commas. Leave empty for every region.' }),
      h('div', { class: 'grid2' },
        L.field({ label: 'Exemption certificate', input: cert, field: 'exemption_certificate' }),
        L.field({ label: 'Certificate expires', input: expires, field: 'exemption_expires' })),
      h('h2', { text: 'Tax id' }),
      L.field({ label: 'Tax id (VAT/GST number)', input: taxId, field: 'tax_id', hint: 'Enables reverse charge for business customers where the region\'s rules allow it. A value typed here overrides the one from Rillet; empty = no tax id.' }),
      taxSrc, registry,
      h('h2', { text: 'Customer type' }),
      L.field({ label: 'Customer type', input: ctype, field: 'customer_type', hint: 'Some states tax SaaS and software differently for business and personal use (e.g. Connecticut 1 % vs 6.35 %). A value chosen here overrides the one from Rillet.' }),
      ctSrc,
      status,
      bulk.el,
      h('div', { class: 'actions' }, save));
    show(c);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var list = regions.value.split(/[\s,;]+/).map(function (s) { return s.trim().toUpperCase(); }).filter(Boolean);
      var body = {
        exempt_regions: exempt.checked ? list : [],
        exemption_certificate: exempt.checked ? (cert.value.trim() || null) : null,
        exemption_expires: exempt.checked ? (expires.value || null) : null
      };
      // only a value the user changed becomes an override of the Rillet data
      if (exempt.checked !== !!cur.exempt) body.exempt = exempt.checked;
      if (taxId.value.trim() !== (cur.tax_id || '')) body.tax_id = taxId.value.trim();
      if (ctype.value !== (cur.customer_type || '')) body.customer_type = ctype.value || null;
      L.busy(save, true);
      L.clear(status);
      L.clearFieldErrors(form);
      L.api('PUT', '/v1/customers/' + encodeURIComponent(c.id), body).then(function (nc) {
        if (nc) show(nc);
        var run = nc && nc.requeue;
        status.appendChild(h('div', { class: 'notice ok', role: 'status', text: run && run.documents ?
          'Saved. Open documents of this customer are re-checked and recalculated where the change matters.' : 'Saved.' }));
        bulk.follow(run);
      }, function (err) {
        L.showError(status, err, form);
        var bad = form.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
      }).then(function () { L.busy(save, false); });
    });
    var refs = (c.external_references || []).map(function (r) { return r.type + ': ' + r.id; }).join('; ');
    var info = h('section', { class: 'card' },
      h('h2', { style: 'margin-top:0', text: 'From Rillet' }),
      h('dl', { class: 'kv' },
        h('dt', { text: 'Id' }), h('dd', { class: 'mono', text: c.id }),
        h('dt', { text: 'Billing address' }), h('dd', { text: addr(c.address) }),
        h('dt', { text: 'Shipping address' }), h('dd', { text: addr(c.shipping_address) }),
        h('dt', { text: 'Tax id in the Rillet data' }), h('dd', { id: 'rillet-tax-id',
          text: rillet.tax_id ? rillet.tax_id + ' (' + rillet.tax_id_detail + ')' : 'none found' }),
        h('dt', { text: 'Exemption in the Rillet data' }), h('dd', { text: rillet.exempt === true || rillet.exempt === false ?
          (rillet.exempt ? 'exempt' : 'not exempt') + ' (' + rillet.exempt_detail + ')' : 'none found' }),
        h('dt', { text: 'Customer type in the Rillet data' }), h('dd', { id: 'rillet-customer-type',
          text: rillet.customer_type ? rillet.customer_type + ' (' + rillet.customer_type_detail + ')' : 'none found' }),
        h('dt', { text: 'External references' }), h('dd', { class: 'mono', text: refs || '—' }),
        h('dt', { text: 'Invoices' }), h('dd', null, h('a', { href: '#/invoices?customer_id=' + encodeURIComponent(c.id), text: 'Show invoices' }))),
      h('p', { class: 'muted', text: 'Which external reference types and custom fields hold tax ids and exemptions: Settings → Customer data (or mapping.lua).' }));
    return h('div', null, form, info);
  }
})();
