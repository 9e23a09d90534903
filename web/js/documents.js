/* Invoices and credit memos: filtered lists, detail with jurisdiction breakdown and history. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  var KINDS = {
    'invoices': {
      title: 'Invoices', one: 'Invoice', path: '/v1/invoices', number: 'invoice_number', date: 'invoice_date',
      statuses: ['UNPAID', 'PAID', 'PARTIALLY_PAID', 'UNBILLED', 'CREDITED', 'PARTIALLY_CREDITED']
    },
    'credit-memos': {
      title: 'Credit memos', one: 'Credit memo', path: '/v1/credit-memos', number: 'credit_memo_number', date: 'credit_memo_date',
      statuses: ['UNAPPLIED', 'PARTIALLY_APPLIED', 'APPLIED', 'REFUNDED']
    }
  };
  var TAX_STATUSES = ['pending', 'calculated', 'written', 'not_collecting', 'failed', 'drift', 'deleted'];
  /* the filter's options in words (issue 20); the values stay the API's */
  var TAX_STATUS_WORDS = {
    pending: 'Waiting for levy to calculate', calculated: 'Calculated, being written to Rillet', written: 'Tax written to Rillet',
    not_collecting: 'Not collecting in the region', failed: 'Could not be calculated or written', drift: 'Tax changed in Rillet after levy wrote it',
    deleted: 'Deleted in Rillet'
  };

  L.hashQuery = function () {
    var i = location.hash.indexOf('?');
    var out = {};
    if (i < 0) return out;
    location.hash.slice(i + 1).split('&').forEach(function (kv) {
      if (!kv) return;
      var p = kv.split('=');
      out[decodeURIComponent(p[0])] = decodeURIComponent((p[1] || '').replace(/\+/g, ' '));
    });
    return out;
  };

  function currencyOf(d) {
    return d.currency || (d.total && d.total.currency) || (d.net_amount && d.net_amount.currency) || null;
  }
  /* The tax levy computed vs what Rillet holds: equal decimals are fine, else highlighted. */
  function taxPair(d, cur) {
    var levy = d.levy_tax, rillet = d.rillet_taxed_amount !== undefined ? d.rillet_taxed_amount : d.taxed_amount;
    var cmp = levy !== null && levy !== undefined && rillet !== null && rillet !== undefined ? L.decCmp(L.moneyAmount(levy), L.moneyAmount(rillet)) : 0;
    return {
      levy: h('span', { class: 'levy-tax', text: L.money(levy, cur) }),
      rillet: h('span', { class: 'rillet-tax' + (cmp ? ' mismatch' : ''), title: cmp ? 'Differs from levy\'s result' : null, text: L.money(rillet, cur) },
        cmp ? h('span', { class: 'sr-only', text: ' (differs from levy)' }) : null)
    };
  }

  function listPage(kindKey) {
    var K = KINDS[kindKey];
    return function (main, params) {
      if (params[0]) return detail(main, kindKey, params[0]);
      var list = null;
      L.onLeave(function () { if (list) list.stop(); });
      var q = L.hashQuery();
      var taxStatus = h('select', { name: 'tax_status' }, h('option', { value: '', text: 'Any' }),
        TAX_STATUSES.map(function (s) { return h('option', { value: s, text: TAX_STATUS_WORDS[s] }); }));
      var status = h('select', { name: 'status' }, h('option', { value: '', text: 'Any' }),
        K.statuses.map(function (s) { return h('option', { value: s, text: docStatusWords(s) }); }));
      var reason = h('select', { name: 'reason' }, h('option', { value: '', text: 'Any' }),
        REASON_KEYS.map(function (r) { return h('option', { value: r, text: REASONS[r] }); }));
      reason.value = q.reason || '';
      // issue 20: documents whose address was located at ZIP level only (the dashboard's link)
      var precision = h('select', { name: 'precision' }, h('option', { value: '', text: 'Any' }),
        h('option', { value: 'imprecise', text: 'Located by ZIP only' }));
      precision.value = q.precision === 'imprecise' ? 'imprecise' : '';
      // issue 20: documents taxed because the customer's exemption certificate had expired on
      // their date (the note exemption_certificate_expired; the dashboard's link)
      var certificate = h('select', { name: 'certificate' }, h('option', { value: '', text: 'Any' }),
        h('option', { value: 'expired', text: 'Taxed: certificate expired' }));
      certificate.value = q.certificate === 'expired' ? 'expired' : '';
      /* a customer picked by name (issue 20: not a Rillet id typed by hand); the names come from
       * the customers levy holds (customerNames: up to 2,000); an id in the link stays chosen */
      var customer = h('select', { name: 'customer_id' }, h('option', { value: '', text: 'Any' }));
      var search = h('input', { type: 'search', name: 'q', size: 14, spellcheck: 'false', placeholder: kindKey === 'credit-memos' ? 'CM-0001' : 'INV-0001', value: q.q || '' });
      var dFrom = h('input', { type: 'date', name: 'from', value: q.from || '' });
      var dTo = h('input', { type: 'date', name: 'to', value: q.to || '' });
      var region = h('select', { name: 'region' }, h('option', { value: '', text: 'Any' }));
      if (q.region) region.appendChild(h('option', { value: q.region, text: q.region }));
      region.value = q.region || '';
      L.fetchAll('/v1/regions').then(function (regs) {
        regs.forEach(function (r) {
          var text = L.regionLabel(r.code, r.name);
          /* the region a link opened the list with ("Quebec (CA-QC)" from Home or a report) is named too */
          if (r.code === q.region) region.options[1].text = text; /* added first, after 'Any' */
          else region.appendChild(h('option', { value: r.code, text: text }));
        });
      }, function () { /* the region picker stays short */ });
      var sort = h('select', { name: 'sort' }, h('option', { value: '', text: 'Import order' }),
        h('option', { value: '-date', text: 'Newest first' }), h('option', { value: 'date', text: 'Oldest first' }),
        h('option', { value: 'number', text: 'Number A–Z' }), h('option', { value: '-number', text: 'Number Z–A' }));
      sort.value = q.sort || '';
      var bar = L.listBar({ path: K.path, name: 'levy-' + kindKey, params: function () { return current; } });
      var current = {};
      taxStatus.value = q.tax_status || '';
      status.value = q.status || '';
      if (q.customer_id) customer.appendChild(h('option', { value: q.customer_id, text: q.customer_id }));
      customer.value = q.customer_id || '';
      customerNames().then(function (map) {
        var chosen = customer.value;
        Object.keys(map).sort(function (a, b) { return map[a].localeCompare(map[b]) || (a < b ? -1 : 1); }).forEach(function (id) {
          var o = [].filter.call(customer.options, function (x) { return x.value === id; })[0];
          if (o) o.textContent = map[id];
          else customer.appendChild(h('option', { value: id, text: map[id] }));
        });
        customer.value = chosen;
      });
      var tbody = h('tbody', null, L.loadingRow(8));
      var more = h('div');
      var filters = h('form', { class: 'toolbar', role: 'search', 'aria-label': K.title + ' filters' },
        L.field({ label: 'Number', input: search, field: 'q' }),
        L.field({ label: 'From', input: dFrom, field: 'from' }), L.field({ label: 'To', input: dTo, field: 'to' }),
        L.field({ label: 'Region', input: region, field: 'region' }),
        L.field({ label: 'Tax status', input: taxStatus }),
        L.field({ label: 'Status', input: status }),
        L.field({ label: 'Why', input: reason }),
        L.field({ label: 'Address', input: precision, field: 'precision' }),
        L.field({ label: 'Exemption certificate', input: certificate, field: 'certificate' }),
        L.field({ label: 'Customer', input: customer }),
        L.field({ label: 'Sort', input: sort, field: 'sort' }),
        h('button', { type: 'submit', class: 'secondary', text: 'Apply' }));
      main.appendChild(h('h1', { text: K.title }));
      main.appendChild(filters);
      main.appendChild(bar.el);
      main.appendChild(L.tableWrap(['Number', { text: 'Date', cls: 'hide-sm' }, { text: 'Customer', cls: 'hide-sm cust' }, { text: 'Status', cls: 'hide-sm' },
        { text: 'Total', cls: 'num hide-sm' }, 'Tax status', { text: 'levy tax', cls: 'num' }, { text: 'Rillet tax', cls: 'num' }], tbody, { id: 'documents-table' }));
      main.appendChild(more);
      function run() {
        if (list) list.stop();
        var params = { q: search.value.trim(), from: dFrom.value, to: dTo.value, region: region.value, tax_status: taxStatus.value,
          status: status.value, reason: reason.value, precision: precision.value, certificate: certificate.value, customer_id: customer.value, sort: sort.value };
        current = params;
        history.replaceState(null, '', '#/' + kindKey + L.qs(params));
        L.clear(tbody).appendChild(L.loadingRow(8));
        L.clearFieldErrors(filters);
        bar.total(null);
        current = params;
        loadRegionNames().then(function () {
          if (current !== params) return; /* another run started meanwhile */
          list = L.pagedList({ path: K.path, params: params, tbody: tbody, more: more, cols: 8,
            row: function (d) { return docRow(kindKey, d); },
            onPage: function (items, res) { if (res) bar.total(res.total); },
            empty: 'No ' + K.title.toLowerCase() + ' match these filters.' });
        });
      }
      filters.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      [taxStatus, status, reason, precision, certificate, region, customer, sort].forEach(function (el) { el.addEventListener('change', run); });
      run();
      return K.title;
    };
  }

  /* Customer names for the lists (documents carry only customer_id): one cached sweep of
   * /v1/customers per page view, at most 2,000 customers; ids stay visible until then. */
  var names = null;
  function customerNames() {
    if (names) return names;
    var map = {}, pages = 0;
    function next(cursor) {
      return L.api('GET', '/v1/customers' + L.qs({ limit: 500, cursor: cursor })).then(function (res) {
        ((res && res.data) || []).forEach(function (c) { if (c.name) map[c.id] = c.name; });
        pages += 1;
        return res && res.next_cursor && pages < 4 ? next(res.next_cursor) : map;
      });
    }
    names = next(null).catch(function () { return map; });
    setTimeout(function () { names = null; }, 60000);
    return names;
  }
  L.customerNames = customerNames; /* the Exposure page's marketplace customers */

  /* Rillet's document status in sentence case, as the page's other words (issue 20):
   * PARTIALLY_PAID -> "Partially paid" */
  function docStatusWords(s) {
    var t = String(s).replace(/_/g, ' ').toLowerCase();
    return t.charAt(0).toUpperCase() + t.slice(1);
  }

  function docRow(kindKey, d) {
    var K = KINDS[kindKey], cur = currencyOf(d), tp = taxPair(d, cur);
    var num = d[K.number] || d.number || d.id;
    return h('tr', { dataset: { id: d.id, taxStatus: d.tax_status || '' } },
      h('td', { style: 'white-space:nowrap' }, h('a', { href: '#/' + kindKey + '/' + encodeURIComponent(d.id), text: num })),
      h('td', { class: 'hide-sm date', text: d[K.date] || d.date || '—' }),
      customerCell(d),
      h('td', { class: 'hide-sm' }, d.status ? h('span', { class: 'badge doc-rillet-status', text: docStatusWords(d.status) }) : '—'),
      h('td', { class: 'num hide-sm', text: L.money(d.total, cur) }),
      h('td', null, statusEl(d),
        d.reason && !statusSentence(d).byReason && d.reason_detail && d.reason !== 'failed' ? h('div', { class: 'muted doc-reason', text: reasonText(d) }) : null,
        d.last_error && d.reason !== 'failed' && d.reason !== 'held' ? h('div', { class: 'field-error', text: errText(d.last_error) }) : null,
        d.reason === 'failed' ? h('div', { class: 'field-error', text: d.last_error ? errText(d.last_error) : reasonText(d) }) : null),
      h('td', { class: 'num' }, tp.levy),
      h('td', { class: 'num' }, tp.rillet));
  }
  function customerCell(d) {
    var td = h('td', { class: 'hide-sm cust' }, d.customer_name || h('span', { class: 'mono', text: d.customer_id ? String(d.customer_id).slice(0, 8) + '…' : '—', title: d.customer_id || null }));
    if (!d.customer_name && d.customer_id) {
      customerNames().then(function (map) {
        var n = map[d.customer_id];
        if (n) L.clear(td).appendChild(h('a', { href: '#/customers/' + encodeURIComponent(d.customer_id), text: n }));
      });
    }
    return td;
  }
  /* Why a document is (or is not) written, in words for finance people (API field `reason`,
   * with `reason_detail`: a date, an amount, Rillet's error...). */
  var REASONS = {
    written: 'Written to Rillet',
    no_tax_due: 'No tax due',
    not_collecting: 'Not collecting tax in this region',
    outside_window: 'Dated before levy started taxing',
    paid_before_calculation: 'Paid before levy calculated tax: left as it is',
    credited: 'Credited in Rillet: left as it is',
    voided: 'Voided in Rillet: left as it is',
    skipped_by_mapping: 'Skipped by your mapping rules',
    manual_tax_kept: 'Tax typed in Rillet kept',
    closed_period: 'In a closed books period: not changed',
    held: 'Waiting',
    failed: 'Could not be written',
    drift: 'Rillet differs from levy',
    customer_unknown: 'Waiting for the customer from Rillet'
  };
  function reasonText(d) {
    if (!d.reason) return d.tax_status === 'pending' ? 'Waiting for calculation' : (d.tax_status === 'calculated' ? 'Write to Rillet queued' : '');
    var t = REASONS[d.reason] || String(d.reason).replace(/_/g, ' ');
    var x = d.reason_detail;
    if (!x) return t;
    if (d.reason === 'outside_window') {
      var m = /\(([0-9]{4}-[0-9]{2}-[0-9]{2})\)/.exec(x);
      return m ? t + ' (' + m[1] + ')' : t + ' (' + x + ')';
    }
    if (d.reason === 'manual_tax_kept') return t + ' (' + x + ')';
    /* paid in Rillet: one sentence, not the reason's words and the detail repeating them */
    if (d.reason === 'paid_before_calculation' && L.paidWhy(x)) return L.paidWhy(x);
    return t + ': ' + x;
  }
  L.reasonText = reasonText;

  /* Issue 20, plain words: region names for sentences ("California", not "US-CA"): core.js's
   * one cached read of /v1/regions (L.loadRegions). */
  function loadRegionNames() { return L.loadRegions(); }
  function regionWords(code) { return code ? L.regionName(code) : 'this region'; }
  L.regionWords = regionWords;
  /* A document's state as one sentence a finance person reads; a zero-tax document is "No tax
   * due", never "pending". {text, tone, byReason (the sentence is the reason's own words)} */
  function statusSentence(d) {
    var st = d.tax_status, r = d.reason;
    var zero = d.levy_tax !== null && d.levy_tax !== undefined && L.isZero(L.moneyAmount(d.levy_tax));
    if (st === 'deleted') return { text: 'Deleted in Rillet', tone: '' };
    if (st === 'failed' || r === 'failed') return { text: 'Not written — levy could not calculate or write the tax', tone: 'bad' };
    if (st === 'drift' || r === 'drift') return { text: 'Tax changed in Rillet after levy wrote it — not written again', tone: 'bad' };
    if (r === 'paid_before_calculation') return { text: 'Paid before levy calculated it — not written', tone: 'warn' };
    if (st === 'not_collecting' || r === 'not_collecting') return { text: 'No tax due — levy does not collect tax in ' + regionWords(d.region), tone: '' };
    if (r === 'no_tax_due' || ((st === 'calculated' || st === 'written') && zero && !r)) {
      return { text: 'No tax due' + (d.region ? ' in ' + regionWords(d.region) : ''), tone: 'ok' };
    }
    if (r && r !== 'written') return { text: reasonText(d), tone: r === 'held' || r === 'customer_unknown' ? 'info' : 'warn', byReason: true };
    if (st === 'written') return { text: 'Tax written to Rillet', tone: 'ok' };
    if (st === 'pending') return { text: 'Waiting for levy to calculate the tax', tone: 'info' };
    if (st === 'calculated') return { text: 'Calculated — being written to Rillet', tone: 'info' };
    return { text: String(st || '—').replace(/_/g, ' '), tone: '' };
  }
  L.statusSentence = statusSentence;
  function statusEl(d) {
    var s = statusSentence(d);
    return h('div', { class: 'doc-status tone-' + (s.tone || 'none') + (s.byReason ? ' doc-reason' : ''), text: s.text });
  }
  /* A line's taxability reason as a sentence (the product's tax code name when known). */
  var LINE_WORDS = {
    standard_rated: function () { return 'Taxed at the standard rate'; },
    reduced_rated: function () { return 'Taxed at a reduced rate'; },
    partially_taxable: function (rg) { return 'Partly taxable in ' + rg; },
    zero_rated: function () { return 'Zero-rated — no tax due'; },
    product_exempt: function (rg, what) { return 'No tax due — ' + (what || 'this product') + ' is not taxable in ' + rg; },
    customer_exempt: function (rg) { return 'No tax due — the customer is exempt in ' + rg; },
    reverse_charge: function () { return 'No tax charged — reverse charge: the customer accounts for the tax'; },
    not_collecting: function (rg) { return 'No tax due — levy does not collect tax in ' + rg; },
    no_tax_in_region: function (rg) { return 'No tax due — ' + rg + ' has no sales tax'; },
    out_of_scope: function () { return 'No tax due — outside the VAT area'; }
  };
  function lineWords(reason, region, what) {
    var f = LINE_WORDS[reason];
    return f ? f(regionWords(region), what) : String(reason || '—').replace(/_/g, ' ');
  }
  L.lineWords = lineWords;
  var REASON_KEYS = Object.keys(REASONS);

  function errText(e) {
    if (!e) return '';
    if (typeof e === 'string') return e;
    return (e.message || e.title || e.code || JSON.stringify(e)) + (e.status ? ' (HTTP ' + e.status + ')' : '');
  }

  function detail(main, kindKey, id) {
    var K = KINDS[kindKey], alive = true, timer = null;
    L.onLeave(function () { alive = false; clearTimeout(timer); });
    var slot = h('div', null, h('p', { class: 'loading', text: 'Loading…' }));
    main.appendChild(h('p', null, h('a', { href: '#/' + kindKey, text: '← ' + K.title })));
    var h1 = h('h1', { text: K.one });
    main.appendChild(h1);
    main.appendChild(slot);
    function load(focusRecalc) {
      return Promise.all([L.api('GET', K.path + '/' + encodeURIComponent(id)), loadRegionNames()]).then(function (all) {
        var d = all[0];
        if (!alive) return;
        h1.textContent = K.one + ' ' + (d[K.number] || d.id);
        document.title = h1.textContent + ' · levy';
        L.clear(slot).appendChild(render(d));
        if (focusRecalc) { var b = slot.querySelector('#recalculate'); if (b) b.focus(); }
      }, function (err) { if (alive) L.showError(L.clear(slot), err); });
    }
    function render(d) {
      var cur = currencyOf(d), tp = taxPair(d, cur);
      var notice = h('div', { id: 'recalc-notice' });
      var recalc = h('button', { type: 'button', id: 'recalculate', text: 'Recalculate' });
      L.readOnlyOff(recalc); /* a read-only session: POST …/recalculate is 403 read_only */
      recalc.addEventListener('click', function () {
        L.busy(recalc, true);
        L.api('POST', K.path + '/' + encodeURIComponent(id) + '/recalculate', {}).then(function () {
          L.clear(notice).appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Recalculation queued. This page refreshes in a moment.' }));
          timer = setTimeout(function () { load(true); }, 2000);
        }, function (err) { L.busy(recalc, false); L.showError(notice, err); });
      });
      var ship = d.ship_to || d.shipping_address || d.customer_address || d.address;
      var prec = L.precision(d.resolution, d.ambiguous_zip, 'doc'); // issue 19: address precision
      var wrap = h('div');
      wrap.appendChild(h('section', { class: 'card' },
        h('dl', { class: 'kv' },
          h('dt', { text: 'Tax' }), h('dd', { id: 'doc-tax-status' }, statusEl(d)),
          d.reason && d.reason_detail ? h('dt', { text: 'Why' }) : null,
          d.reason && d.reason_detail ? h('dd', { id: 'doc-reason', text: reasonText(d) }) : null,
          // issue 20: the certificate on file that exempted the document
          d.exemption_certificate ? h('dt', { text: 'Exemption certificate' }) : null,
          d.exemption_certificate ? h('dd', { id: 'doc-certificate' },
            h('a', { href: '#/customers/' + encodeURIComponent(d.exemption_certificate.customer_id || d.customer_id || ''),
              text: (d.exemption_certificate.number || d.exemption_certificate.id) +
                (d.exemption_certificate.reason_text ? ' — ' + d.exemption_certificate.reason_text : '') }),
            d.exemption_certificate.status ? ' ' : null,
            d.exemption_certificate.status && L.certStatus ? L.certStatus(d.exemption_certificate) : null) : null,
          h('dt', { text: 'levy tax' }), h('dd', { id: 'doc-levy-tax' }, tp.levy),
          h('dt', { text: 'Taxed in Rillet' }), h('dd', { id: 'doc-rillet-tax' }, tp.rillet),
          h('dt', { text: 'Total' }), h('dd', { text: L.money(d.total, cur) }),
          h('dt', { text: 'Date' }), h('dd', { text: d[K.date] || '—' }),
          h('dt', { text: 'Status' }), h('dd', { text: d.status ? docStatusWords(d.status) : '—' }),
          h('dt', { text: 'Customer' }), h('dd', null, d.customer_id ? h('a', { id: 'doc-customer', href: '#/customers/' + encodeURIComponent(d.customer_id), text: d.customer_name || d.customer_id }) : '—'),
          h('dt', { text: 'Ship-to' }), h('dd', { text: L.addr(ship) }),
          d.resolution ? h('dt', { text: 'Located by' }) : null,
          d.resolution ? h('dd', null, prec.text) : null,
          h('dt', { text: 'Written to Rillet' }), h('dd', { text: L.time(d.written_at) })),
        /* raw ids and enums for whoever needs them, out of the way of the sentences above */
        h('details', { class: 'tech', id: 'doc-technical' }, h('summary', { text: 'Technical details' }),
          h('dl', { class: 'kv' },
            h('dt', { text: 'tax_status' }), h('dd', { class: 'mono', text: d.tax_status || '—' }),
            h('dt', { text: 'reason' }), h('dd', { class: 'mono', text: d.reason || '—' }),
            h('dt', { text: 'reason_detail' }), h('dd', { class: 'mono', text: d.reason_detail || '—' }),
            h('dt', { text: 'region' }), h('dd', { class: 'mono', text: d.region || '—' }),
            h('dt', { text: 'Calculation' }), h('dd', { class: 'mono', text: d.calculation_id || '—' }),
            h('dt', { text: 'Rillet id' }), h('dd', { class: 'mono', text: d.id }))),
        d.last_error ? h('div', { class: 'notice error', role: 'alert' }, h('strong', { text: 'Last error: ' }), errText(d.last_error)) : null,
        prec.notice ? h('div', null, prec.notice, h('p', { class: 'muted', text: 'Add the ZIP+4 to the customer\'s address in Rillet; levy recalculates the document when it changes.' })) : null,
        // the answer's notes (e.g. exemption_certificate_expired: taxed, the certificate expired)
        (d.notes || []).length ? h('div', { class: 'notice warn', id: 'doc-notes', role: 'status' },
          (d.notes || []).map(function (n) { return h('p', { style: 'margin:.2rem 0', 'data-code': n.code, text: n.message || n.code }); })) : null,
        // issue 19: the rates come from a table older than the document's date
        d.rates_stale ? L.staleNotice(d.rates_stale, 'doc-rates-stale') : null,
        notice,
        h('div', { class: 'actions' }, recalc)));
      if (d.customer_id && !d.customer_name) {
        customerNames().then(function (map) { var a = wrap.querySelector('#doc-customer'); if (a && map[d.customer_id]) a.textContent = map[d.customer_id]; });
      }
      wrap.appendChild(h('h2', { text: 'Lines' }));
      wrap.appendChild(linesTable(d.lines || d.items || [], cur, d.region));
      wrap.appendChild(h('h2', { text: 'History' }));
      wrap.appendChild(historyTable(d.history || [], cur));
      return wrap;
    }
    load(false);
    return K.one;
  }

  /* Each jurisdiction with its authority code (FIPS / ISO, issue 19); where the data does not
   * establish the code or the name was inferred, the answer's jurisdiction_note under the name
   * (an answer stored before issue 19 has neither field: the code shows as a dash). */
  L.taxesTable = function (taxes, cur) {
    if (!taxes || !taxes.length) return h('p', { class: 'muted', style: 'margin:.2rem 0', text: 'No jurisdictions.' });
    return h('table', { class: 'inner taxes' },
      h('thead', null, h('tr', null, ['Jurisdiction', 'Level', 'Code', 'Type', 'Rate', 'Taxable', 'Tax'].map(function (t, i) {
        return h('th', { scope: 'col', class: i >= 4 ? 'num' : null, text: t });
      }))),
      h('tbody', null, taxes.map(function (t) {
        // a tax with its own name (issue 19: Chicago's Personal Property Lease Transaction Tax)
        var type = L.taxTypeText(t.type);
        var jur = L.jurisdictionName(t.jurisdiction, t.level); /* "Australia", not the rate tables' "AUSTRALIA" */
        var name = h('td', { class: 'jurisdiction', title: t.jurisdiction || '' }, h('span', { text: t.name ? t.name + ' (' + jur + ')' : jur }));
        if (t.jurisdiction_note) name.appendChild(h('div', { class: 'muted jurisdiction-note', style: 'font-size:.85em', text: t.jurisdiction_note }));
        var code = t.authority_code ? h('td', { class: 'authority-code' }, h('code', { text: t.authority_code }))
          : h('td', { class: 'authority-code muted', text: t.authority_code === null ? 'unknown' : '—' });
        return h('tr', null, name, h('td', { text: t.level || '—' }), code, h('td', { text: type }),
          h('td', { class: 'num', text: L.percent(t.percentage) }), h('td', { class: 'num', text: L.money(t.taxable_amount, cur) }),
          h('td', { class: 'num', text: L.money(t.amount, cur) }));
      })));
  };

  /* The line's reason in words; for an untaxed product its tax code's name is filled in
   * once the product and the tax codes are read ("No tax due — SaaS is not taxable in
   * California"); the enum stays in the title. */
  function lineReason(ln, region) {
    var el = h('span', { class: 'line-reason', title: ln.taxability_reason, text: lineWords(ln.taxability_reason, region) });
    loadRegionNames().then(function () { el.textContent = lineWords(ln.taxability_reason, region); });
    if (ln.taxability_reason === 'product_exempt' && ln.product_id && L.loadTaxCodes) {
      Promise.all([L.api('GET', '/v1/products/' + encodeURIComponent(ln.product_id)), L.loadTaxCodes(), loadRegionNames()]).then(function (r) {
        var code = r[0] && r[0].tax_code, tc = (r[1] || []).find(function (t) { return t.code === code; });
        var what = tc && tc.name ? tc.name : null;
        if (what) el.textContent = lineWords(ln.taxability_reason, region, what);
      }, function () { /* the sentence without the product's name */ });
    }
    return el;
  }

  function linesTable(lines, cur, region) {
    var tbody = h('tbody');
    if (!lines.length) tbody.appendChild(h('tr', null, h('td', { colspan: 6, class: 'empty', text: 'No lines.' })));
    lines.forEach(function (ln, i) {
      var amount = ln.amount !== undefined ? ln.amount : ln.total_amount;
      tbody.appendChild(h('tr', { class: 'line' },
        h('td', null, h('div', { text: ln.description || ln.name || ('Line ' + (i + 1)) }),
          /* the product's id and the tax code's key behind the toggle (issue 20: no raw ids) */
          ln.product_id || ln.tax_code ? h('details', { class: 'tech line-tech' }, h('summary', { text: 'Technical details' }),
            h('div', { class: 'muted mono', style: 'font-size:.78rem', text: [ln.product_id ? 'product ' + ln.product_id : null, ln.tax_code ? 'tax code ' + ln.tax_code : null].filter(Boolean).join(' · ') })) : null,
          L.taxesTable(ln.taxes, cur)),
        h('td', { class: 'num hide-sm', text: ln.quantity === undefined || ln.quantity === null ? '—' : String(ln.quantity) }),
        h('td', { class: 'num', text: L.money(amount, cur) }),
        h('td', { class: 'num', text: L.money(ln.taxable_amount, cur) }),
        h('td', { class: 'num', text: L.money(ln.tax !== undefined ? ln.tax : ln.taxed_amount, cur) }),
        h('td', null, ln.taxability_reason ? lineReason(ln, region) : '—',
          ln.note ? h('div', { class: 'muted line-note', title: 'Written to Rillet as the description of a 0 % tax line', text: ln.note }) : null)));
    });
    return L.tableWrap(['Line', { text: 'Qty', cls: 'num hide-sm' }, { text: 'Amount', cls: 'num' }, { text: 'Taxable', cls: 'num' }, { text: 'Tax', cls: 'num' }, 'Reason'], tbody, { id: 'lines-table' });
  }

  /* Issue 20: a calculation's history message (an API field, kept as stored) ends in
   * "; rates_stale: the rates come from avalara-zip5 2025-12, which ..." when the rates were
   * older than the document: said in words beside the tax, the table named as on Regions
   * ("the ZIP rate table of December 2025 (Avalara)"); the raw line stays behind the toggle. */
  function staleWords(message) {
    var at = String(message || '').indexOf('rates_stale: ');
    if (at < 0) return null;
    var msg = message.slice(at + 'rates_stale: '.length);
    var m = /^the rates come from (\S+) (\S+), /.exec(msg);
    if (m) msg = 'the rates come from the ' + L.rateTableWords(m[1], m[2]) + ', ' + msg.slice(m[0].length);
    return 'Rates may be out of date: ' + msg;
  }

  function historyTable(items, cur) {
    var tbody = h('tbody');
    if (!items.length) tbody.appendChild(h('tr', null, h('td', { colspan: 4, class: 'empty', text: 'Nothing has happened to this document yet.' })));
    items.forEach(function (ev) {
      var status = ev.http_status !== undefined ? ev.http_status : ev.status;
      /* in words: the tax and an error; the request id, HTTP status, levy's log message and
       * the reason's key behind "Technical details" (issue 20: no raw ids or enums) */
      var said = [], tech = [];
      if (ev.total_tax !== undefined) said.push('tax ' + L.money(ev.total_tax, cur));
      if (ev.error) said.push(errText(ev.error));
      var stale = staleWords(ev.message);
      if (stale) said.push(stale);
      if (ev.request_id) tech.push('request ' + ev.request_id);
      if (status !== undefined && status !== null) tech.push('HTTP ' + status);
      if (ev.calculation_id && ev.calculation_id !== ev.request_id && (ev.message || '').indexOf(ev.calculation_id) < 0) tech.push(ev.calculation_id);
      if (ev.message) tech.push(ev.message);
      if (ev.reason) tech.push(ev.reason);
      tbody.appendChild(h('tr', null,
        h('td', { style: 'white-space:nowrap', text: L.time(ev.at || ev.time || ev.created_at || ev.timestamp) }),
        h('td', { text: (ev.kind || ev.type || ev.event || '—').replace(/_/g, ' ') }),
        h('td', null, ev.outcome ? L.badge(ev.outcome) : '—'),
        h('td', null, said.join(' · '), tech.length ? h('details', { class: 'tech history-tech' }, h('summary', { text: 'Technical details' }),
          h('div', { class: 'muted mono', style: 'font-size:.78rem', text: tech.join(' · ') })) : null)));
    });
    return L.tableWrap(['Time', 'What', 'Outcome', 'Detail'], tbody, { id: 'history-table' });
  }

  L.page('invoices', { title: 'Invoices', render: listPage('invoices') });
  L.page('credit-memos', { title: 'Credit memos', render: listPage('credit-memos') });
})();
