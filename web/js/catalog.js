/* Products (tax codes) and Customers (exemptions, tax ids). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  L.taxCodes = null;
  L.loadTaxCodes = function () {
    if (L.taxCodes) return Promise.resolve(L.taxCodes);
    return L.fetchAll('/v1/tax-codes').then(function (d) { L.taxCodes = d; return d; });
  };
  /* The tax code picker, grouped by parent (issue 19, product taxonomy): one <optgroup> per
     old code, holding that code first and then its children (GET /v1/tax-codes `parent`).
     Each choice by its name (issue 20: words first); the code and the description in its
     title (on hover). */
  L.taxCodeSelect = function (value, attrs) {
    var sel = h('select', attrs || null);
    var seen = false;
    var codes = L.taxCodes || [];
    var groups = {}, order = [];
    codes.forEach(function (t) {
      var root = t.parent || t.code;
      if (!groups[root]) { groups[root] = []; order.push(root); }
      if (t.parent) groups[root].push(t); else groups[root].unshift(t);
    });
    var byCode = {};
    codes.forEach(function (t) { byCode[t.code] = t; });
    order.forEach(function (root) {
      var r = byCode[root];
      var og = h('optgroup', { label: r && r.name ? r.name : root });
      groups[root].forEach(function (t) {
        if (t.code === value) seen = true;
        og.appendChild(h('option', { value: t.code, text: (t.parent ? '\u2003' : '') + (t.name || t.code),
          title: (t.description ? t.description + ' ' : '') + '(tax code ' + t.code + ')' }));
      });
      sel.appendChild(og);
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
      var psort = sortSelect(hq.sort);
      var current = {};
      var bar = L.listBar({ path: '/v1/products', name: 'levy-products', params: function () { return current; } });
      var form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Product filters' },
        L.field({ label: 'Search', input: search, field: 'q' }), L.field({ label: 'Tax code', input: source, field: 'tax_code_source' }),
        L.field({ label: 'Sort', input: psort, field: 'sort' }),
        h('button', { type: 'submit', class: 'secondary', text: 'Apply' }));
      main.insertBefore(form, errSlot);
      main.insertBefore(bar.el, errSlot);
      function run() {
        if (list) list.stop();
        current = { q: search.value.trim(), tax_code_source: source.value, sort: psort.value };
        history.replaceState(null, '', '#/products' + L.qs({ q: current.q, source: current.tax_code_source, sort: current.sort }));
        bar.total(null);
        L.clear(tbody).appendChild(L.loadingRow(5));
        list = L.pagedList({ path: '/v1/products', params: current, tbody: tbody, more: more, cols: 5, row: productRow,
          onPage: function (items, res) { if (res) bar.total(res.total); },
          empty: current.q || current.tax_code_source ? 'No products match.' : 'No products yet. Connect Rillet on the Integrations page to import them.' });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      source.addEventListener('change', run);
      psort.addEventListener('change', run);
      L.loadTaxCodes().then(run, function (err) { L.clear(tbody); L.showError(errSlot, err); });
      return 'Products';
    }
  });

  /* a list's order (issue 20, "sortable"): the import order, or by name */
  function sortSelect(value) {
    var sel = h('select', { name: 'sort' }, h('option', { value: '', text: 'Import order' }),
      h('option', { value: 'name', text: 'Name A–Z' }), h('option', { value: '-name', text: 'Name Z–A' }));
    sel.value = value === 'name' || value === '-name' ? value : '';
    return sel;
  }

  /* the Products page's progress line for the re-check a tax code change starts */
  var productBulk = null;
  /* where a product's tax code comes from, in the filter's words (issue 20: not the enum) */
  var SOURCE_WORDS = { 'default': 'Fallback (not chosen yet)', mapping: 'From Rillet', user: 'Chosen in levy' };
  function sourceBadge(v) {
    var b = L.badge(v);
    b.dataset.source = v;
    b.textContent = SOURCE_WORDS[v] || b.textContent;
    return b;
  }
  /* Rillet's product status in words (issue 20: "Active", not the enum's "active"); the
   * status as Rillet names it in the title */
  var PRODUCT_STATUS = { ACTIVE: ['Active', 'ok'], INACTIVE: ['Inactive', ''] };
  function productStatus(v) {
    var k = String(v).toUpperCase(), w = PRODUCT_STATUS[k];
    var t = String(v).replace(/_/g, ' ').toLowerCase();
    return h('span', { class: 'badge product-status ' + (w ? w[1] : ''), 'data-status': k, title: 'Rillet status ' + k,
      text: w ? w[0] : t.charAt(0).toUpperCase() + t.slice(1) });
  }
  function productRow(p) {
    var src = h('span', { class: 'source' }, sourceBadge(p.tax_code_source || 'default'));
    var st = h('td', { class: 'status-cell', role: 'status' });
    var sel = L.taxCodeSelect(p.tax_code, { name: 'tax_code', 'aria-label': 'Tax code for ' + (p.name || p.id) });
    L.readOnlyOff(sel); /* a read-only session: PUT /v1/products/{id} is 403 read_only */
    var prev = sel.value;
    sel.addEventListener('change', function () {
      st.textContent = 'Saving…'; st.className = 'status-cell muted';
      sel.removeAttribute('aria-invalid');
      L.api('PUT', '/v1/products/' + encodeURIComponent(p.id), { tax_code: sel.value }).then(function (np) {
        prev = (np && np.tax_code) || sel.value;
        sel.value = prev;
        L.clear(src).appendChild(sourceBadge((np && np.tax_code_source) || 'user'));
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
      h('td', null, h('div', { text: p.name || p.id }), p.description ? h('div', { class: 'muted', style: 'font-size:.85rem', text: p.description }) : null,
        /* who changed its tax code, when (the Activity page, issue 20) */
        h('div', { style: 'font-size:.85rem' }, L.historyLink('product', p.id, p.name))),
      h('td', { class: 'hide-sm' }, p.status ? productStatus(p.status) : '—'),
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
      /* a customer is found by its name (issue 20: no ids on the way); a customer created in
       * Rillet after the import that no sweep or webhook brought yet is opened by its Rillet id,
       * which levy fetches from Rillet: that entry sits behind "Technical details" */
      var cq = L.hashQuery ? L.hashQuery() : {};
      var search = h('input', { type: 'search', name: 'q', size: 18, spellcheck: 'false', placeholder: 'Customer name', value: cq.q || '' });
      var csort = sortSelect(cq.sort);
      var current = {};
      var bar = L.listBar({ path: '/v1/customers', name: 'levy-customers', params: function () { return current; } });
      var form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Customer search' },
        L.field({ label: 'Search by name', input: search, field: 'q' }), L.field({ label: 'Sort', input: csort, field: 'sort' }),
        h('button', { type: 'submit', class: 'secondary', text: 'Search' }));
      main.appendChild(form);
      var byId = h('input', { type: 'text', name: 'customer_id', size: 36, autocomplete: 'off', spellcheck: 'false' });
      var open = h('form', { class: 'toolbar', id: 'customer-open' },
        L.field({ label: 'Rillet customer id', input: byId,
          hint: 'For a customer just created in Rillet that the list does not show yet: levy fetches it from Rillet.' }),
        h('button', { type: 'submit', class: 'secondary', text: 'Open' }));
      open.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var v = byId.value.trim();
        if (v) location.hash = '#/customers/' + encodeURIComponent(v);
      });
      main.appendChild(h('details', { class: 'tech-details', id: 'customer-open-details' },
        h('summary', { text: 'Technical details' }), open));
      main.appendChild(bar.el);
      main.appendChild(L.tableWrap(['Customer', 'Exemption', { text: 'Certificate', cls: 'hide-sm' }, 'Tax id', { sr: 'Actions' }], tbody, { id: 'customers-table' }));
      main.appendChild(more);
      function run() {
        if (list) list.stop();
        current = { q: search.value.trim(), sort: csort.value };
        history.replaceState(null, '', '#/customers' + L.qs(current));
        bar.total(null);
        L.clear(tbody).appendChild(L.loadingRow(5));
        list = L.pagedList({ path: '/v1/customers', params: current, tbody: tbody, more: more, cols: 5, row: customerRow,
          onPage: function (items, res) { if (res) bar.total(res.total); },
          empty: current.q ? 'No customers match.' : 'No customers yet. Connect Rillet on the Integrations page to import them.' });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      csort.addEventListener('change', run);
      run();
      return 'Customers';
    }
  });

  /* The customer's exemption in words. Certificates on file decide it instead of the exempt
   * flag (plugins/api/db.lua customer_public): a customer exempt only by a valid certificate
   * read "Not exempt" here, at 390 px with the Certificate column hidden too (audit20). */
  function exemptionText(c) {
    var s = c.exemption_certificates;
    if (s && s.on_file) {
      var covering = (s.valid || 0) + (s.expiring || 0);
      if (covering) {
        return h('span', { class: 'cert-exempt' }, L.badge('exempt'), ' by certificate',
          s.expiring ? h('span', { class: 'muted', text: ' (expiring soon)' }) : null);
      }
      return h('span', { class: 'muted cert-exempt', text: s.expired ? 'Not exempt: certificate expired' : 'Not exempt yet: certificate not valid yet' });
    }
    if (!c.exempt) return h('span', { class: 'muted', text: 'Not exempt' });
    var regions = c.exempt_regions && c.exempt_regions.length ? c.exempt_regions.map(function (x) { return L.regionLabel(x); }).join(', ') : 'all regions';
    return h('span', null, L.badge('exempt'), ' ', regions, c.exemption_expires ? h('span', { class: 'muted', text: ' until ' + c.exemption_expires }) : null);
  }
  /* Where a value came from: "custom field VAT number", "external reference vat-id",
     "set in levy" (an override), or nothing. */
  function sourceText(detail, source, what) {
    if (source === 'user') return 'set in levy (overrides Rillet)';
    return detail ? 'from ' + whereInRillet(detail, what) : '';
  }
  /* What an external reference of a type holds, in words: its type compared as mapping.lua
   * compares them (case and punctuation ignored: "vat-id" = "VAT ID"); a type of the user's own
   * (Settings -> Customer data) is named by what it was read for (`what`). */
  var REF_WORDS = [
    [/^(vat|vatid|vatnumber|vatno|vatregno|ustidnr|nif|btw|piva)$/, 'VAT number'], [/^(gst|gstnumber|gstin)$/, 'GST number'],
    [/^hst$/, 'HST number'], [/^abn$/, 'ABN'], [/^ein$/, 'EIN'], [/^(qst|qstnumber|qstno|tvq|tvqnumber|qstregistration)$/, 'QST number']];
  function refWords(type, what) {
    var k = String(type || '').toLowerCase().replace(/[^a-z0-9]/g, '');
    for (var i = 0; i < REF_WORDS.length; i++) if (REF_WORDS[i][0].test(k)) return REF_WORDS[i][1];
    return what || 'tax id';
  }
  /* Where in Rillet a value sits, in a sentence (issue 20): a custom field keeps its name (the
   * user has to find it there): "custom field QST number" -> 'the custom field "QST number" on
   * the customer in Rillet'; "custom field Tax exempt = Yes" adds 'set to "Yes"'; an external
   * reference is said by what it holds, "external reference vat-id" -> "the customer's VAT
   * number in Rillet" (its type only in techWhere's title). */
  function whereInRillet(detail, what) {
    var d = String(detail || ''), m = /^custom field (.+?) = (.*)$/.exec(d);
    if (m) return 'the custom field "' + m[1] + '" on the customer in Rillet (set to "' + m[2] + '")';
    m = /^custom field (.+)$/.exec(d);
    if (m) return 'the custom field "' + m[1] + '" on the customer in Rillet';
    m = /^external reference (.+)$/.exec(d);
    if (m) return 'the customer\'s ' + refWords(m[1], what) + ' in Rillet';
    return d;
  }
  /* The technical reading of an external reference for a title attribute (null otherwise):
   * 'In Rillet: the external reference of type "vat-id"'. */
  function techWhere(detail) {
    var m = /^external reference (.+)$/.exec(String(detail || ''));
    return m ? 'In Rillet: the external reference of type "' + m[1] + '"' : null;
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
  /* issue 20: the certificates on file (they decide when there are any), else the text field */
  function certSummary(c) {
    var s = c.exemption_certificates;
    if (!s || !s.on_file) return document.createTextNode(c.exemption_certificate || '—');
    var parts = [];
    if (s.valid) parts.push(s.valid + ' valid');
    if (s.expiring) parts.push(s.expiring + ' expiring soon');
    if (s.expired) parts.push(s.expired + ' expired');
    var other = s.on_file - s.valid - s.expiring - s.expired;
    if (other > 0) parts.push(other + ' not valid yet');
    return h('span', { class: 'cert-summary' + (s.expiring || (s.expired && !s.valid) ? ' warn' : ''), text: parts.join(', ') });
  }

  function customerRow(c) {
    var href = '#/customers/' + encodeURIComponent(c.id);
    var tsrc = sourceText(c.tax_id_detail, c.tax_id_source);
    return h('tr', { dataset: { id: c.id } },
      h('td', null, h('a', { href: href, text: c.name || c.id })),
      h('td', null, exemptionText(c)),
      h('td', { class: 'hide-sm' }, certSummary(c)),
      h('td', null, h('span', { class: 'mono', text: c.tax_id || '—' }), taxIdBadge(c),
        tsrc ? h('div', { class: 'muted tax-id-source', style: 'font-size:.85rem', text: tsrc,
          title: c.tax_id_source === 'user' ? null : techWhere(c.tax_id_detail) }) : null),
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
      /* who changed its exemption, tax id or certificates, when (the Activity page, issue 20) */
      slot.parentNode.insertBefore(h('p', { id: 'customer-history' }, L.historyLink('customer', c.id, c.name)), slot);
      L.clear(slot).appendChild(customerForm(c));
    }, function (err) { if (alive) L.showError(L.clear(slot), err); });
    return 'Customer';
  }

  function customerForm(c) {
    var rillet = c.rillet || {};
    var exempt = h('input', { type: 'checkbox', name: 'exempt', checked: !!c.exempt, id: L.uid('cu') });
    exempt.dataset.field = 'exempt';
    /* a region picker, not codes typed as text (issue 20): the subscribed regions first, each
     * by name; a stored code levy no longer lists stays as its own choice */
    var regions = h('select', { name: 'exempt_regions', multiple: true, size: 6 });
    function pickRegions(codes) {
      codes = codes || [];
      codes.forEach(function (code) {
        if (!Array.prototype.some.call(regions.options, function (o) { return o.value === code; })) regions.appendChild(h('option', { value: code, text: code }));
      });
      Array.prototype.forEach.call(regions.options, function (o) { o.selected = codes.indexOf(o.value) >= 0; });
    }
    L.loadRegions().then(function (list) {
      list.slice().sort(function (a, b) {
        return (b.subscribed ? 1 : 0) - (a.subscribed ? 1 : 0) || String(a.name || a.code).localeCompare(String(b.name || b.code));
      }).forEach(function (g) {
        regions.appendChild(h('option', { value: g.code, text: L.regionLabel(g.code, g.name) + (g.subscribed ? '' : ' (not subscribed)') }));
      });
      pickRegions(cur ? cur.exempt_regions : c.exempt_regions);
    });
    var cert = h('input', { type: 'text', name: 'exemption_certificate', value: c.exemption_certificate || '' });
    var expires = h('input', { type: 'date', name: 'exemption_expires', value: c.exemption_expires || '' });
    var taxId = h('input', { type: 'text', name: 'tax_id', value: c.tax_id || '', autocomplete: 'off', spellcheck: 'false' });
    /* issue 19: business or personal use (CT, MD, IA, OH, WA, NJ tax some codes differently) */
    var ctype = h('select', { name: 'customer_type' },
      h('option', { value: '', text: 'Not set (the default customer type setting)' }),
      h('option', { value: 'business', text: 'Business (buys for use in its business)' }),
      h('option', { value: 'individual', text: 'Individual (buys for personal use)' }));
    var ctSrc = h('p', { class: 'muted source-line', id: 'customer-type-source' });
    /* issue 19: the Quebec QST registration number (regular system: 10 digits, TQ, 4 digits);
       with Settings -> Quebec QST registration = specified, its Quebec documents carry no QST */
    var qst = h('input', { type: 'text', name: 'qst_number', value: c.qst_number || '', placeholder: '1234567890TQ0001', autocomplete: 'off', spellcheck: 'false' });
    var qstSrc = h('p', { class: 'muted source-line', id: 'qst-number-source' });
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
        rillet.customer_type ? '(Rillet: ' + rillet.customer_type + ', from ' + whereInRillet(rillet.customer_type_detail) + ')' : '(Rillet: nothing said)');
      qst.value = nc.qst_number || '';
      line(qstSrc, sourceText(nc.qst_number_detail, nc.qst_number_source, 'QST number'), 'qst_number', nc.qst_number_source === 'user',
        rillet.qst_number ? '(Rillet: ' + rillet.qst_number + ', from ' + whereInRillet(rillet.qst_number_detail, 'QST number') + ')' : '(Rillet: none)');
      qstSrc.title = techWhere(rillet.qst_number_detail) || '';
      pickRegions(nc.exempt_regions);
      sync();
      line(taxSrc, sourceText(nc.tax_id_detail, nc.tax_id_source), 'tax_id', nc.tax_id_source === 'user',
        rillet.tax_id ? '(Rillet: ' + rillet.tax_id + ', from ' + whereInRillet(rillet.tax_id_detail) + ')' : '(Rillet: none)');
      taxSrc.title = techWhere(rillet.tax_id_detail) || ''; /* the reference's type, on hover */
      var bad = taxIdProblem(nc);
      if (bad) taxSrc.appendChild(h('span', { class: 'field-error tax-id-invalid', text: ' ' + bad }));
      showRegistry(nc);
      line(exSrc, sourceText(nc.exempt_detail, nc.exempt_source), 'exempt', nc.exempt_source === 'user',
        rillet.exempt === null || rillet.exempt === undefined ? '(Rillet: nothing said)' :
          '(Rillet: ' + (rillet.exempt ? 'exempt' : 'not exempt') + ', from ' + whereInRillet(rillet.exempt_detail) + ')');
    }
    var form = h('form', { class: 'card', novalidate: true, id: 'customer-form' },
      h('h2', { style: 'margin-top:0', text: 'Exemption' }),
      h('div', { class: 'field' }, h('label', { class: 'check' }, exempt, 'Tax exempt'), exErr),
      exSrc,
      L.field({ label: 'Exempt regions', input: regions, field: 'exempt_regions', hint: 'Pick none for every region; Ctrl/Cmd-click picks several.' }),
      h('div', { class: 'grid2' },
        L.field({ label: 'Exemption certificate', input: cert, field: 'exemption_certificate' }),
        L.field({ label: 'Certificate expires', input: expires, field: 'exemption_expires' })),
      h('h2', { text: 'Tax id' }),
      L.field({ label: 'Tax id (VAT/GST number)', input: taxId, field: 'tax_id', hint: 'Enables reverse charge for business customers where the region\'s rules allow it. A value typed here overrides the one from Rillet; empty = no tax id.' }),
      taxSrc, registry,
      h('h2', { text: 'Customer type' }),
      L.field({ label: 'Customer type', input: ctype, field: 'customer_type', hint: 'Some states tax SaaS and software differently for business and personal use (e.g. Connecticut 1 % vs 6.35 %). A value chosen here overrides the one from Rillet.' }),
      ctSrc,
      h('h2', { text: 'Quebec QST number' }),
      L.field({ label: 'QST registration number', input: qst, field: 'qst_number', hint: 'A Quebec customer registered for QST (10 digits, TQ, 4 digits). When you are registered under the QST specified system (Settings → Quebec QST registration), its Quebec documents carry no QST. An NR number (specified system) is not accepted. A value typed here overrides the one from Rillet; empty = none.' }),
      qstSrc,
      status,
      bulk.el,
      h('div', { class: 'actions' }, save));
    show(c);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var list = Array.prototype.map.call(regions.selectedOptions, function (o) { return o.value; });
      var body = {
        exempt_regions: exempt.checked ? list : [],
        exemption_certificate: exempt.checked ? (cert.value.trim() || null) : null,
        exemption_expires: exempt.checked ? (expires.value || null) : null
      };
      // only a value the user changed becomes an override of the Rillet data
      if (exempt.checked !== !!cur.exempt) body.exempt = exempt.checked;
      if (taxId.value.trim() !== (cur.tax_id || '')) body.tax_id = taxId.value.trim();
      if (ctype.value !== (cur.customer_type || '')) body.customer_type = ctype.value || null;
      if (qst.value.replace(/\s/g, '').toUpperCase() !== (cur.qst_number || '')) body.qst_number = qst.value.trim();
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
        h('dt', { text: 'Billing address' }), h('dd', { text: addr(c.address) }),
        h('dt', { text: 'Shipping address' }), h('dd', { text: addr(c.shipping_address) }),
        h('dt', { text: 'Tax id in the Rillet data' }), h('dd', { id: 'rillet-tax-id', title: techWhere(rillet.tax_id_detail),
          text: rillet.tax_id ? rillet.tax_id + ' (from ' + whereInRillet(rillet.tax_id_detail) + ')' : 'none found' }),
        h('dt', { text: 'Exemption in the Rillet data' }), h('dd', { text: rillet.exempt === true || rillet.exempt === false ?
          (rillet.exempt ? 'exempt' : 'not exempt') + ' (from ' + whereInRillet(rillet.exempt_detail) + ')' : 'none found' }),
        h('dt', { text: 'Customer type in the Rillet data' }), h('dd', { id: 'rillet-customer-type',
          text: rillet.customer_type ? rillet.customer_type + ' (from ' + whereInRillet(rillet.customer_type_detail) + ')' : 'none found' }),
        h('dt', { text: 'QST number in the Rillet data' }), h('dd', { id: 'rillet-qst-number', title: techWhere(rillet.qst_number_detail),
          text: rillet.qst_number ? rillet.qst_number + ' (from ' + whereInRillet(rillet.qst_number_detail, 'QST number') + ')' : 'none found' }),
        h('dt', { text: 'Invoices' }), h('dd', null, h('a', { href: '#/invoices?customer_id=' + encodeURIComponent(c.id), text: 'Show invoices' }))),
      /* ids and reference types (issue 20): behind "Technical details" */
      h('details', { class: 'tech-details', id: 'customer-tech' }, h('summary', { text: 'Technical details' }),
        h('dl', { class: 'tech' }, h('dt', { text: 'Rillet customer id' }), h('dd', { class: 'mono', text: c.id }),
          h('dt', { text: 'External references' }), h('dd', { class: 'mono', text: refs || '—' })),
        h('p', { class: 'muted', text: 'Which external reference types and custom fields hold tax ids and exemptions: Settings → Customer data (or mapping.lua).' })));
    /* a read-only session: every control of the customer's form changes something (PUT, the
     * VIES check's POST): disabled, with the technical details still open to read */
    L.me().then(function (m) { if (m && m.read_only && document.body.contains(form)) L.lockWrites(form); });
    return h('div', null, form, certSection(c), info);
  }

  /* ---------- exemption certificates (issue 20) ---------- */
  var CERT_REASONS = [
    ['resale', 'Resale'], ['non_profit', 'Non-profit organization'], ['government', 'Government'],
    ['manufacturing', 'Manufacturing / industrial production'], ['agricultural', 'Agricultural production'],
    ['direct_pay', 'Direct pay permit'], ['other', 'Other'],
    ['sst_a', 'SST A: Federal government (department)'], ['sst_b', 'SST B: State or local government'],
    ['sst_c', 'SST C: Tribal government'], ['sst_d', 'SST D: Foreign diplomat'],
    ['sst_e', 'SST E: Charitable organization'], ['sst_f', 'SST F: Religious organization'],
    ['sst_g', 'SST G: Resale'], ['sst_h', 'SST H: Agricultural production'],
    ['sst_i', 'SST I: Industrial production / manufacturing'], ['sst_j', 'SST J: Direct pay permit'],
    ['sst_k', 'SST K: Direct mail'], ['sst_l', 'SST L: Other'], ['sst_m', 'SST M: Educational organization']];
  var CERT_STATUS = { valid: 'Valid', expiring: 'Expiring soon', expired: 'Expired', not_yet_valid: 'Not valid yet' };

  function certStatus(ct) {
    var text = CERT_STATUS[ct.status] || ct.status;
    if (ct.status === 'expiring') text += ' (in ' + ct.days_until_expiry + ' day' + (ct.days_until_expiry === 1 ? '' : 's') + ')';
    return h('span', { class: 'badge cert-status ' + (ct.status === 'valid' ? 'ok' : ct.status === 'expired' ? 'bad' : 'warn'), 'data-status': ct.status, text: text });
  }

  L.certStatus = certStatus;

  function certSection(c) {
    var base = '/v1/customers/' + encodeURIComponent(c.id) + '/exemption-certificates';
    var tbody = h('tbody');
    var status = h('div');
    var file = h('input', { type: 'file', name: 'file', accept: 'application/pdf,image/png,image/jpeg', id: L.uid('cf') });
    var number = h('input', { type: 'text', name: 'number', autocomplete: 'off', id: L.uid('cf') });
    var reason = h('select', { name: 'reason', id: L.uid('cf') }, CERT_REASONS.map(function (r) { return h('option', { value: r[0], text: r[1] }); }));
    var regions = h('select', { name: 'regions', multiple: true, size: 6, id: L.uid('cf') });
    var issued = h('input', { type: 'date', name: 'issued', id: L.uid('cf') });
    var expires = h('input', { type: 'date', name: 'expires', id: L.uid('cf') });
    var upload = h('button', { type: 'submit', text: 'Upload certificate' });
    var bulk = L.bulkProgress('cert-bulk-progress');
    L.api('GET', '/v1/regions').then(function (r) {
      var list = (r.data || []).slice().sort(function (a, b) {
        return (b.subscribed ? 1 : 0) - (a.subscribed ? 1 : 0) || String(a.code).localeCompare(String(b.code));
      });
      list.forEach(function (g) { regions.appendChild(h('option', { value: g.code, text: L.regionLabel(g.code, g.name) + (g.subscribed ? '' : ' (not subscribed)') })); });
    }, function (err) { L.showError(status, err); });

    function download(ct) {
      L.api('GET', ct.file_url, undefined, { blob: true }).then(function (blob) {
        var a = h('a', { href: URL.createObjectURL(blob), download: ct.filename || ct.id });
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      }, function (err) { L.showError(L.clear(status), err); });
    }
    function remove(ct) {
      L.confirm('Delete certificate ' + ct.number + '?', 'Documents of this customer are re-checked without it.', 'Delete').then(function (ok) {
        if (!ok) return;
        L.api('DELETE', base + '/' + encodeURIComponent(ct.id)).then(function (r) {
          L.clear(status).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Certificate deleted.' }));
          bulk.follow(r && r.requeue); load();
        }, function (err) { L.showError(L.clear(status), err); });
      });
    }
    function load() {
      L.api('GET', base).then(function (r) {
        L.clear(tbody);
        var rows = r.data || [];
        if (!rows.length) tbody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'empty', text: 'No certificates on file. Without one, the exemption above decides.' })));
        rows.forEach(function (ct) {
          tbody.appendChild(h('tr', { 'data-id': ct.id },
            h('td', null, h('div', { text: ct.number }), h('div', { class: 'muted', text: ct.reason_text })),
            h('td', { text: (ct.regions || []).join(', ') }),
            h('td', { text: ct.issued + ' – ' + (ct.expires || 'no expiry') }),
            h('td', null, certStatus(ct)),
            h('td', { class: 'hide-sm', text: ct.filename || '' }),
            h('td', null,
              h('button', { type: 'button', class: 'secondary small cert-download', text: 'Download', onclick: function () { download(ct); } }),
              ' ',
              h('button', { type: 'button', class: 'secondary small cert-delete', text: 'Delete', onclick: function () { remove(ct); } }))));
        });
      }, function (err) { L.showError(L.clear(status), err); });
    }
    var form = h('form', { class: 'card', novalidate: true, id: 'certificate-form' },
      h('h2', { style: 'margin-top:0', text: 'Exemption certificates' }),
      h('p', { class: 'muted', text: 'When certificates are on file they decide: a document is exempt in a region a certificate covers, dated between its issue and expiry dates. A document dated after expiry is taxed and flagged.' }),
      L.tableWrap(['Certificate', 'Regions', 'Valid', 'Status', { text: 'File', cls: 'hide-sm' }, { sr: 'Actions' }], tbody, { id: 'certificates-table' }),
      h('h3', { text: 'Upload a certificate' }),
      L.field({ label: 'File (PDF, PNG or JPEG)', input: file, field: 'body' }),
      h('div', { class: 'grid2' },
        L.field({ label: 'Certificate number', input: number, field: 'number' }),
        L.field({ label: 'Reason for exemption', input: reason, field: 'reason' })),
      L.field({ label: 'Regions it covers', input: regions, field: 'regions', hint: 'Select one or more (Ctrl/Cmd-click for several).' }),
      h('div', { class: 'grid2' },
        L.field({ label: 'Issued', input: issued, field: 'issued' }),
        L.field({ label: 'Expires', input: expires, field: 'expires', hint: 'Leave empty when it does not expire.' })),
      status, bulk.el,
      h('div', { class: 'actions' }, upload));
    /* a read-only session: upload and delete are 403 read_only; Download stays */
    L.me().then(function (m) { if (m && m.read_only && document.body.contains(form)) L.lockWrites(form, '.cert-download'); });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.clear(status); L.clearFieldErrors(form);
      var f = file.files && file.files[0];
      if (!f) { L.showError(status, new Error('Choose the certificate file (PDF, PNG or JPEG).')); return; }
      var picked = Array.prototype.filter.call(regions.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      var q = L.qs({ number: number.value.trim(), reason: reason.value, regions: picked.join(','), issued: issued.value, expires: expires.value, filename: f.name });
      var headers = { 'Content-Type': 'application/octet-stream' };
      var tok = L.token();
      if (tok) headers['Authorization'] = 'Bearer ' + tok;
      L.busy(upload, true);
      fetch(base + q, { method: 'POST', headers: headers, body: f, cache: 'no-store' }).then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (!res.ok) {
            var e = data && data.error ? data.error : {};
            throw new L.ApiError(res.status, e.code || 'http_' + res.status, e.message || ('HTTP ' + res.status), e.details, data);
          }
          return data;
        });
      }).then(function (ct) {
        status.appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Certificate ' + ct.number + ' uploaded. Documents of this customer are re-checked.' }));
        bulk.follow(ct.requeue);
        form.reset(); load();
      }, function (err) { L.showError(status, err, form); }).then(function () { L.busy(upload, false); });
    });
    load();
    return form;
  }
})();
