/* Filing report (issue 20): what we owe per filing period and region — sales split, tax
 * collected, credit-memo adjustments, tax due, "calculated, not collected" beside it — with a
 * chart of tax due by month, the jurisdictions of each row, a drill-down to the documents and
 * CSV of both (GET /v1/reports/filing, /v1/reports/filing/documents). Amounts stay decimal
 * strings; the chart scales them as BigInt. #/filing?year=2026&period=Q1&region=US-CA opens a
 * period directly (the dashboard links here). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var EXEMPT_WORDS = {
    customer_exempt: 'exempt customer', reverse_charge: 'reverse charge (the customer accounts for the tax)',
    zero_rated: 'zero-rated'
  };
  var BASIS_WORDS = { collected: 'Tax in Rillet', no_tax_due: 'No tax due' };

  function s(tag, attrs, text) {
    var el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function hashParams() {
    var q = location.hash.split('?')[1] || '', out = {};
    q.split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i > 0) out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
    });
    return out;
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function lastDay(y, m) { return new Date(Date.UTC(y, m, 0)).getUTCDate(); }
  /* A period choice -> [from, to]: "year", "Q1".."Q4", "01".."12". */
  function range(year, period) {
    var y = Number(year);
    if (/^Q[1-4]$/.test(period)) {
      var q = Number(period.slice(1)), m1 = q * 3 - 2, m2 = q * 3;
      return [y + '-' + pad(m1) + '-01', y + '-' + pad(m2) + '-' + pad(lastDay(y, m2))];
    }
    if (/^\d\d$/.test(period)) return [y + '-' + period + '-01', y + '-' + period + '-' + pad(lastDay(y, Number(period)))];
    return [y + '-01-01', y + '-12-31'];
  }
  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = h('a', { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }
  /* The recent documents exports (GET /v1/reports/filing/exports, the last 20, kept 7 days) with
   * who started each (issue 20: created_by, the audit log's actor), into el. */
  function loadExports(el) {
    return L.api('GET', '/v1/reports/filing/exports').then(function (r) {
      var list = (r && r.data) || [];
      L.clear(el);
      if (!list.length) { el.appendChild(h('p', { class: 'muted', text: 'No documents export in the last 7 days.' })); return; }
      var tbody = h('tbody');
      list.forEach(function (x) {
        tbody.appendChild(h('tr', { 'data-export': x.id },
          h('td', { 'data-label': 'Started', text: L.time(x.created_at) }),
          h('td', { 'data-label': 'Started by', text: x.created_by || 'unknown' }),
          h('td', { 'data-label': 'File', text: x.filename }),
          h('td', { 'data-label': 'State', text: x.state === 'done' ? 'Done' : x.state === 'failed' ? 'Failed' : 'Running' }),
          h('td', { 'data-label': 'Documents', class: 'num', text: L.groupDigits(String(x.state === 'done' ? x.total : x.done)) })));
      });
      el.appendChild(L.tableWrap(['Started', 'Started by', 'File', 'State', 'Documents'], tbody, { id: 'filing-exports-table' }));
    }, function () { L.clear(el); el.appendChild(h('p', { class: 'muted', text: 'The recent exports could not be read.' })); });
  }
  /* The documents export as a job (POST /v1/reports/filing/exports: any number of documents,
   * issue 20): its progress in `status` ("N of M documents"), then its parts fetched in order
   * and saved as one file. alive(): the page is still shown. */
  function exportDocs(q, format, status, btn, alive) {
    var body = { format: format };
    Object.keys(q).forEach(function (k) { if (q[k] !== '' && q[k] !== null && q[k] !== undefined) body[k] = q[k]; });
    L.busy(btn, true);
    status.textContent = 'Preparing the export…';
    return L.api('POST', '/v1/reports/filing/exports', body).then(function (x0) {
      return new Promise(function (resolve, reject) {
        (function poll(x) {
          if (!alive()) return reject(null);
          /* total_exact false: the period holds more than `total` (counted up to a bound) */
          status.textContent = 'Exporting: ' + L.groupDigits(String(x.done)) + ' of ' + (x.total_exact === false ? 'at least ' : '') +
            L.groupDigits(String(Math.max(x.total, x.done))) + ' documents…';
          if (x.state === 'done') return resolve(x);
          if (x.state === 'failed') return reject({ message: 'The export failed: ' + (x.error || 'no reason given') });
          setTimeout(function () { L.api('GET', '/v1/reports/filing/exports/' + encodeURIComponent(x.id)).then(poll, reject); }, 700);
        })(x0);
      });
    }).then(function (x) {
      var parts = [];
      return x.part_urls.reduce(function (p, url, i) {
        return p.then(function () {
          if (x.parts > 1) status.textContent = 'Downloading part ' + (i + 1) + ' of ' + x.parts + '…';
          return L.api('GET', url, undefined, { blob: true }).then(function (b) { parts.push(b); });
        });
      }, Promise.resolve()).then(function () {
        saveBlob(new Blob(parts, { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' }), x.filename);
        status.textContent = L.groupDigits(String(x.total)) + ' document' + (x.total === 1 ? '' : 's') + ' exported: ' + x.filename;
      });
    }).then(function () { L.busy(btn, false); }, function (err) {
      L.busy(btn, false);
      status.textContent = '';
      if (err) throw err;
    });
  }
  /* The summary CSV's header in words for the person it is handed to (an accountant opening it
   * in a spreadsheet): "Period start", "Tax due", "Exempt sales: exempt customer", not
   * period_start, tax_due, exempt_sales_customer_exempt. Only the first line changes; the API
   * (GET /v1/reports/filing?format=csv) keeps its column names for programs. */
  var CSV_WORDS = {
    row: 'Row', period: 'Period', period_start: 'Period start', period_end: 'Period end', frequency: 'Filing frequency',
    region: 'Region', jurisdiction: 'Jurisdiction', level: 'Level', authority_code: 'Authority code', type: 'Tax type',
    currency: 'Currency', invoices: 'Invoices', credit_memos: 'Credit memos', gross_sales: 'Gross sales',
    exempt_sales: 'Exempt sales', exempt_sales_other: 'Exempt sales: other reasons', non_taxable_sales: 'Non-taxable sales',
    taxable_sales: 'Taxable sales', tax_collected: 'Tax collected', credit_memo_sales: 'Credit memo sales',
    credit_memo_taxable: 'Credit memo taxable sales', credit_memo_tax: 'Credit memo tax', net_taxable_sales: 'Net taxable sales',
    tax_due: 'Tax due', not_collected_tax: 'Not collected tax', rates: 'Rates (%)'
  };
  function csvHeaderWords(text) {
    var nl = text.indexOf('\n'), head = nl < 0 ? text : text.slice(0, nl), cr = /\r$/.test(head) ? '\r' : '';
    var words = head.replace(/\r$/, '').split(',').map(function (c) {
      var w = CSV_WORDS[c];
      if (!w && /^exempt_sales_/.test(c)) { var r = c.slice(13); w = 'Exempt sales: ' + (EXEMPT_WORDS[r] || r.replace(/_/g, ' ')); }
      if (!w) w = c.charAt(0).toUpperCase() + c.slice(1).replace(/_/g, ' ');
      return /[",]/.test(w) ? '"' + w.replace(/"/g, '""') + '"' : w;
    });
    return words.join(',') + cr + (nl < 0 ? '' : text.slice(nl));
  }
  function exemptText(byReason, cur) {
    var keys = Object.keys(byReason || {});
    if (!keys.length) return '';
    return keys.map(function (k) { return L.money(byReason[k], cur) + ' ' + (EXEMPT_WORDS[k] || k.replace(/_/g, ' ')); }).join('; ');
  }

  L.page('filing', {
    title: 'Filing report',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      var hp = hashParams();
      var thisYear = Number(L.today().slice(0, 4));
      var year = h('select', { name: 'year' }, [thisYear, thisYear - 1, thisYear - 2].map(function (y) {
        return h('option', { value: String(y), text: String(y) });
      }));
      if (hp.year) { if (![].some.call(year.options, function (o) { return o.value === hp.year; })) year.appendChild(h('option', { value: hp.year, text: hp.year })); year.value = hp.year; }
      var period = h('select', { name: 'period' }, h('option', { value: 'year', text: 'Whole year' }),
        ['Q1', 'Q2', 'Q3', 'Q4'].map(function (q) { return h('option', { value: q, text: q.replace('Q', 'Quarter ') }); }),
        MONTHS.map(function (m, i) { return h('option', { value: pad(i + 1), text: m }); }));
      period.value = hp.period || 'year';
      var region = h('select', { name: 'region' }, h('option', { value: '', text: 'All regions' }));
      var freq = h('select', { name: 'frequency' }, h('option', { value: '', text: "Each region's own" }),
        h('option', { value: 'month', text: 'Monthly' }), h('option', { value: 'quarter', text: 'Quarterly' }),
        h('option', { value: 'year', text: 'Yearly' }));
      freq.value = hp.frequency || '';
      var csv = h('button', { type: 'button', class: 'secondary', id: 'filing-csv', text: 'Download CSV' });
      var allDocs = h('button', { type: 'button', class: 'secondary', id: 'filing-docs-export', text: 'Export all documents (audit CSV)' });
      var exportStatus = h('p', { class: 'muted', id: 'filing-export-status', 'aria-live': 'polite' });
      /* the documents export is a job (POST …/exports) a read-only session may start too (an
       * auditor's export: read_only_ok; roexport24), as GET /v1/me's may.export says */
      L.mayOff('export', allDocs);
      var showZero = h('input', { type: 'checkbox', name: 'show-zero', checked: hp.all === '1' });
      var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'Filing period', 'data-read': true },
        L.field({ label: 'Year', input: year, field: 'from' }), L.field({ label: 'Period', input: period, field: 'period' }),
        L.field({ label: 'Region', input: region, field: 'region' }),
        L.field({ label: 'Filing periods', input: freq, field: 'frequency' }),
        h('label', { class: 'check' }, showZero, ' Show regions with no tax due'),
        h('button', { type: 'submit', text: 'Show' }), csv, allDocs);
      var chart = h('div', { id: 'filing-chart', class: 'card' });
      var table = h('div', { id: 'filing', style: 'min-height:6rem' });
      var docs = h('section', { id: 'filing-docs', 'aria-live': 'polite' });
      var nc = h('div', { id: 'filing-not-collected' });
      main.appendChild(h('h1', { text: 'Filing report' }));
      main.appendChild(h('p', { class: 'muted', text: 'What you owe for each filing period and region: sales (exempt, non-taxable, taxable), the tax Rillet holds, credit-memo adjustments and the tax due. Tax levy calculated but Rillet does not hold is shown separately and is not in the tax due.' }));
      main.appendChild(form);
      main.appendChild(exportStatus);
      var recent = h('div', { id: 'filing-exports' });
      main.appendChild(h('details', { class: 'card' }, h('summary', { text: 'Recent documents exports (who started each)' }), recent));
      loadExports(recent);
      main.appendChild(chart);
      main.appendChild(table);
      main.appendChild(docs);
      main.appendChild(h('h2', { text: 'Calculated, not collected' }));
      main.appendChild(h('p', { class: 'muted', text: 'Documents in the period with tax levy calculated that Rillet does not hold. Not in the tax due above.' }));
      main.appendChild(nc);
      main.appendChild(frequencyCard());
      main.appendChild(ossCard(function () { return alive; }));

      L.loadRegions().then(function (list) {
        if (!alive) return;
        list.filter(function (x) { return x.subscribed; }).forEach(function (x) {
          region.appendChild(h('option', { value: x.code, text: L.regionLabel(x.code, x.name) }));
        });
        if (hp.region) {
          if (![].some.call(region.options, function (o) { return o.value === hp.region; })) region.appendChild(h('option', { value: hp.region, text: hp.region }));
          region.value = hp.region;
        }
      }); /* the list works without the picker's names */

      function params(extra) {
        var r = range(year.value, period.value);
        return Object.assign({ from: r[0], to: r[1], region: region.value || (hp.region || ''), frequency: freq.value }, extra || {});
      }
      var last = null;
      showZero.addEventListener('change', function () { if (last) L.clear(table).appendChild(summaryTable(last[0], last[1])); });
      function run() {
        L.clear(table).appendChild(h('p', { class: 'loading', text: 'Loading…' }));
        L.clear(docs);
        var p = params();
        /* the table names each region ("California (US-CA)"): the names first */
        Promise.all([L.api('GET', '/v1/reports/filing' + L.qs(p)), L.loadRegions()]).then(function (all) {
          var r = all[0];
          if (!alive) return;
          last = [r, p];
          L.clear(table).appendChild(summaryTable(r, p));
          L.clear(nc).appendChild(ncList(r, p));
          sumsNotice(table);
        }, function (err) {
          if (!alive) return;
          L.clear(table).appendChild(L.errorNotice(err, form));
        });
        /* the chart: tax due by month over the year, whatever the filing periods */
        var yr = range(year.value, 'year');
        L.api('GET', '/v1/reports/filing' + L.qs({ from: yr[0], to: yr[1], region: p.region, frequency: 'month' })).then(function (r) {
          if (alive) L.clear(chart).appendChild(monthChart(r, year.value));
        }, function (err) { if (alive) L.clear(chart).appendChild(L.errorNotice(err)); });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); region.dataset.touched = '1'; hp.region = ''; run(); });
      csv.addEventListener('click', function () {
        var p = params({ format: 'csv' });
        L.busy(csv, true);
        L.api('GET', '/v1/reports/filing' + L.qs(p), undefined, { blob: true }).then(function (blob) {
          return blob.text();
        }).then(function (text) {
          saveBlob(new Blob([csvHeaderWords(text)], { type: 'text/csv' }), 'levy-filing-' + p.from + '-to-' + p.to + (p.region ? '-' + p.region : '') + '.csv');
        }, function (err) { L.clear(table).appendChild(L.errorNotice(err, form)); }).then(function () { L.busy(csv, false); });
      });

      allDocs.addEventListener('click', function () {
        var p = params();
        exportDocs({ from: p.from, to: p.to, region: p.region, frequency: p.frequency }, 'csv', exportStatus, allDocs,
          function () { return alive; }).then(function () { if (alive) loadExports(recent); },
          function (err) { L.clear(table).appendChild(L.errorNotice(err, form)); });
      });

      function showDocs(row, p) {
        var q = { from: p.from, to: p.to, region: row.region || '', period: row.period, frequency: p.frequency };
        var label = (row.region ? L.regionLabel(row.region) : 'No region') + ', ' + row.period; /* "Quebec (CA-QC)", not "CA-QC" */
        var dcsv = h('button', { type: 'button', class: 'secondary', id: 'filing-docs-csv', text: 'Download audit CSV' });
        L.clear(docs).appendChild(h('h2', { id: 'filing-docs-title', tabindex: '-1', text: 'Documents: ' + label }));
        docs.appendChild(h('p', { class: 'muted', text: 'The documents that make up this row. The audit CSV has one row per document line and jurisdiction, with the inputs levy taxed, the rate tables used and the result.' }));
        docs.appendChild(h('div', { class: 'toolbar' }, dcsv));
        L.mayOff('export', dcsv);
        var slot = h('div', null, h('p', { class: 'loading', text: 'Loading…' }));
        docs.appendChild(slot);
        var dstatus = h('p', { class: 'muted', id: 'filing-docs-export-status', 'aria-live': 'polite' });
        docs.appendChild(dstatus);
        dcsv.addEventListener('click', function () {
          exportDocs(q, 'csv', dstatus, dcsv, function () { return alive; }).then(function () { if (alive) loadExports(recent); }, function (err) {
            L.clear(slot).appendChild(L.errorNotice(err));
          });
        });
        /* a page of documents at a time (GET /v1/reports/filing/documents: limit, next_cursor) */
        var acc = [];
        function load(cursor) {
          L.api('GET', '/v1/reports/filing/documents' + L.qs(Object.assign({}, q, cursor ? { cursor: cursor } : {}))).then(function (r) {
            if (!alive) return;
            acc = acc.concat((r && r.data) || []);
            L.clear(slot).appendChild(docTable({ data: acc, total: r.total, total_exact: r.total_exact }));
            if (r.next_cursor) {
              var more = h('button', { type: 'button', class: 'secondary', id: 'filing-docs-more',
                text: 'Show more (' + L.groupDigits(String(acc.length)) + ' of ' + (r.total_exact === false ? 'more than ' : '') +
                  L.groupDigits(String(Math.max(r.total, acc.length))) + ' shown)' });
              more.addEventListener('click', function () { L.busy(more, true); load(r.next_cursor); });
              slot.appendChild(more);
            }
            if (cursor) return;
            var t = document.getElementById('filing-docs-title');
            if (t) { t.focus({ preventScroll: true }); t.scrollIntoView({ block: 'start' }); }
          }, function (err) { if (alive) L.clear(slot).appendChild(L.errorNotice(err)); });
        }
        load(null);
      }

      /* a region by its name, its code kept whole when the name wraps in the narrow column
       * ("Quebec (CA-QC)", not "Quebec (CA-" / "QC)"; as the Exposure list) */
      function regionParts(code) {
        return L.regionLabelParts(code);
      }

      /* Issues 19/20: without a region, region CA's documents are shown as the returns they
       * belong to (CA: the federal GST/HST; CA-QC, CA-BC...: the province's QST or PST), so a
       * Quebec invoice's sales are in two rows while the totals count it once: said in one
       * sentence under the table when both kinds of row are shown. */
      function canadaNote(p, rows) {
        if (p.region) return null;
        var provinces = [];
        var hasCa = rows.some(function (x) { return x.region === 'CA'; });
        rows.forEach(function (x) {
          if (/^CA-[A-Z]{2}$/.test(x.region || '') && provinces.indexOf(x.region) < 0) provinces.push(x.region);
        });
        if (!hasCa || !provinces.length) return null;
        var names = provinces.sort().map(function (c) { return L.regionLabel(c); });
        var list = L.listWords(names);
        return h('p', { class: 'muted', id: 'filing-canada-note', text: 'A Canadian invoice\'s sales are in two rows, ' + L.regionLabel('CA') +
          ' for the federal return and its province\'s row (' + list + ') for the provincial QST or PST return, while the totals count each document once.' });
      }

      function summaryTable(r, p) {
        var all = (r && r.data) || [];
        if (!all.length) return h('p', { class: 'empty', text: 'No sales in this period.' });
        var M = L.groupDigits;
        /* a region with sales but nothing due and nothing uncollected is hidden unless asked */
        var rows = showZero.checked ? all : all.filter(function (x) { return !L.isZero(x.tax_due) || !L.isZero(x.not_collected_tax); });
        var hidden = all.length - rows.length;
        var tbody = h('tbody');
        rows.forEach(function (x) {
          var cur = x.currency;
          var btn = h('button', { type: 'button', class: 'link', text: 'Documents',
            'aria-label': 'Documents of ' + (x.region ? L.regionName(x.region) : 'no region') + ' ' + x.period,
            onclick: function () { showDocs(x, p); } });
          var ex = exemptText(x.exempt_by_reason, cur);
          tbody.appendChild(h('tr', { 'data-region': x.region || '', 'data-period': x.period },
            h('td', { text: x.period }), h('td', { class: 'region' }, regionParts(x.region), h('div', { class: 'drill' }, btn)), h('td', { class: 'hide-sm', text: cur }),
            h('td', { class: 'num hide-sm', text: M(x.gross_sales) }),
            h('td', { class: 'num hide-sm', title: ex, text: M(x.exempt_sales) }),
            h('td', { class: 'num hide-sm', text: M(x.non_taxable_sales) }),
            h('td', { class: 'num hide-sm', text: M(x.taxable_sales) }),
            h('td', { class: 'num hide-sm', text: M(x.tax_collected) }),
            h('td', { class: 'num hide-sm', text: M(x.credit_memo_tax) }),
            h('td', { class: 'num tax-due', text: M(x.tax_due) }),
            h('td', { class: 'num hide-sm', text: L.isZero(x.not_collected_tax) ? '—' : M(x.not_collected_tax) })));
          if ((x.jurisdictions || []).length) {
            var jt = h('tbody', null, x.jurisdictions.map(function (j) {
              return h('tr', null, h('td', { class: 'jurisdiction', title: j.jurisdiction || '', text: L.jurisdictionName(j.jurisdiction, j.level) }), h('td', { class: 'hide-sm', text: j.level || '—' }),
                h('td', { class: 'hide-sm', text: j.authority_code || '' }), h('td', { class: 'hide-sm', text: (j.rates || []).join(', ') + (j.rates && j.rates.length ? ' %' : '') }),
                h('td', { class: 'num', text: L.money(j.taxable_sales, cur) }), h('td', { class: 'num', text: L.money(j.tax_due, cur) }));
            }));
            tbody.appendChild(h('tr', { class: 'sub' }, h('td', { colspan: 11 },
              h('details', null, h('summary', { text: x.jurisdictions.length + ' jurisdiction' + (x.jurisdictions.length > 1 ? 's' : '') + (ex ? ' · exempt: ' + ex : '') }),
                L.tableWrap(['Jurisdiction', { text: 'Level', cls: 'hide-sm' }, { text: 'Authority code', cls: 'hide-sm' }, { text: 'Rate', cls: 'hide-sm' },
                  { text: 'Taxable', cls: 'num' }, { text: 'Tax due', cls: 'num' }], jt)))));
          }
        });
        var t = (r && r.totals) || {}, curs = Object.keys(t).sort();
        var tfoot = h('tfoot', null, curs.map(function (cur) {
          var x = t[cur];
          return h('tr', null, h('td', { colspan: 2, text: 'Total' }), h('td', { class: 'hide-sm', text: cur }),
            h('td', { class: 'num hide-sm', text: M(x.gross_sales) }), h('td', { class: 'num hide-sm', text: M(x.exempt_sales) }),
            h('td', { class: 'num hide-sm', text: M(x.non_taxable_sales) }), h('td', { class: 'num hide-sm', text: M(x.taxable_sales) }),
            h('td', { class: 'num hide-sm', text: M(x.tax_collected) }), h('td', { class: 'num hide-sm', text: M(x.credit_memo_tax) }),
            h('td', { class: 'num', text: L.money(x.tax_due, cur) }), h('td', { class: 'num hide-sm', text: M(x.not_collected_tax) }));
        }));
        var w = L.tableWrap(['Period', 'Region', { text: 'Currency', cls: 'hide-sm' }, { text: 'Gross sales', cls: 'num hide-sm' },
          { text: 'Exempt', cls: 'num hide-sm' }, { text: 'Non-taxable', cls: 'num hide-sm' }, { text: 'Taxable', cls: 'num hide-sm' },
          { text: 'Tax collected', cls: 'num hide-sm' }, { text: 'Credit memos', cls: 'num hide-sm' }, { text: 'Tax due', cls: 'num' },
          { text: 'Not collected', cls: 'num hide-sm' }], tbody, { id: 'filing-table' });
        w.querySelector('table').appendChild(tfoot);
        return h('div', null, w, canadaNote(p, rows), hidden ? h('p', { class: 'muted', id: 'filing-hidden', text: hidden + ' region' + (hidden > 1 ? 's' : '') +
          ' with sales but no tax due hidden (tick "Show regions with no tax due"; the CSV has every row).' }) : null);
      }
      run();
      return 'Filing report';
    }
  });

  function docTable(r) {
    var rows = (r && r.data) || [];
    if (!rows.length) return h('p', { class: 'empty', text: 'No documents.' });
    var tbody = h('tbody', null, rows.map(function (x) {
      var cur = x.currency, kind = x.type === 'credit_memo' ? 'credit-memos' : 'invoices';
      var label = (x.type === 'credit_memo' ? 'Credit memo ' : 'Invoice ') + (x.number || x.id);
      var ex = (x.exempt_reasons || []).map(function (k) { return EXEMPT_WORDS[k] || k.replace(/_/g, ' '); }).join(', ');
      return h('tr', { 'data-id': x.id },
        h('td', { class: 'hide-sm', text: x.date || '—' }),
        h('td', null, h('a', { href: '#/' + kind + '/' + encodeURIComponent(x.id), text: label })),
        h('td', { text: BASIS_WORDS[x.basis] || x.basis }),
        h('td', { class: 'num hide-sm', text: L.money(x.gross_sales, cur) }),
        h('td', { class: 'num hide-sm', text: L.money(x.exempt_sales, cur) + (ex ? ' (' + ex + ')' : '') }),
        h('td', { class: 'num hide-sm', text: L.money(x.taxable_sales, cur) }),
        h('td', { class: 'num', text: L.money(x.tax, cur) }),
        h('td', { class: 'hide-sm' }, h('details', null, h('summary', { text: 'Technical details' }),
          h('dl', { class: 'tech' }, h('dt', { text: 'Calculation' }), h('dd', null, h('code', { text: x.calculation_id || '—' })),
            h('dt', { text: 'Rate tables' }), h('dd', { text: (x.rates_source || '—') + (x.generation !== null ? ' (generation ' + x.generation + ')' : '') }),
            h('dt', { text: 'Written' }), h('dd', { text: x.written_at ? L.time(x.written_at) : 'nothing to write' })))));
    }));
    return h('div', null, h('p', { class: 'muted', id: 'filing-docs-count', text: (r.total_exact === false ? 'More than ' + L.groupDigits(String(r.total)) + ' documents' :
      r.total + ' document' + (r.total === 1 ? '' : 's')) }),
      L.tableWrap([{ text: 'Date', cls: 'hide-sm' }, 'Document', 'Status', { text: 'Gross', cls: 'num hide-sm' }, { text: 'Exempt', cls: 'num hide-sm' },
        { text: 'Taxable', cls: 'num hide-sm' }, { text: 'Tax', cls: 'num' }, { text: 'Details', cls: 'hide-sm' }], tbody, { id: 'filing-docs-table' }));
  }

  /* The summary's sums are kept on write (docs/reports.md): when the last check found them
   * (or the liability report's, or the not-collected list's) different from the documents,
   * say so above the summary, with the rebuild (core.js L.keptSumsNotice). */
  function sumsNotice(where) {
    L.api('GET', '/v1/reports/filing/sums').then(function (s) {
      var box = L.keptSumsNotice(s, 'filing-sums-mismatch');
      if (box) where.insertBefore(box, where.firstChild);
    }, function () { /* older rillet plugin: nothing to show */ });
  }

  /* The calculated-not-collected list: the summary carries its first page; "Show more" reads
   * the next from GET /v1/reports/not-collected (cursor); "CSV of these rows" downloads
   * exactly the rows shown (the same list from its start, limit = the rows shown, up to 500). */
  function ncList(r, p) {
    var rows = ((r && r.not_collected) || []).slice();
    if (!rows.length) return h('p', { class: 'empty', text: 'None: Rillet holds all the tax levy calculated for this period.' });
    var next = r.not_collected_next_cursor || null;
    var q = { from: p.from, to: p.to, region: p.region || '', frequency: p.frequency || '' };
    var tbody = h('tbody');
    function add(list) {
      list.forEach(function (x) {
        var kind = x.type === 'credit_memo' ? 'credit-memos' : 'invoices';
        tbody.appendChild(h('tr', null, h('td', { text: x.period || '—' }),
          h('td', null, h('a', { href: '#/' + kind + '/' + encodeURIComponent(x.id), text: (x.type === 'credit_memo' ? 'Credit memo ' : 'Invoice ') + (x.number || x.id) })),
          h('td', { class: 'hide-sm region', text: L.regionLabel(x.region) }),
          h('td', { class: 'num', text: x.not_collected_tax === null ? '—' : L.money(x.not_collected_tax, x.currency) }),
          h('td', { class: 'why' }, L.notCollectedWhy ? L.notCollectedWhy(x) : [String(x.reason).replace(/_/g, ' '), x.detail ? h('div', { class: 'muted', text: x.detail }) : null])));
      });
    }
    add(rows);
    /* Issue 20: without a region, the table above splits a Canadian document's tax into CA's
     * row (GST/HST) and its province's (QST or PST), while this list shows the document once,
     * under Canada, with its whole tax (a Quebec City invoice: 14.98 here, 5.00 + 9.98 above):
     * said in one sentence when such a document is listed. */
    var split = !p.region && ((r && r.data) || []).some(function (x) { return /^CA-[A-Z]{2}$/.test(x.region || ''); });
    var caNote = h('p', { class: 'muted', id: 'filing-nc-canada-note', hidden: true,
      text: 'A Canadian document is listed here once, with all the tax not collected on it, while the table above splits that tax into two rows: ' +
        L.regionLabel('CA') + ' for the federal tax and its province\'s for the provincial QST or PST.' });
    function canada() {
      caNote.hidden = !(split && rows.some(function (x) { return /^CA(-[A-Z]{2})?$/.test(x.region || ''); }));
    }
    canada();
    var count = h('p', { class: 'muted', id: 'filing-nc-count' });
    var more = h('button', { type: 'button', class: 'secondary', id: 'filing-nc-more', text: 'Show more' });
    var csvBtn = h('button', { type: 'button', class: 'secondary', id: 'filing-nc-csv', text: 'CSV of these rows' });
    function status() {
      count.textContent = rows.length + ' document' + (rows.length === 1 ? '' : 's') + ' shown' + (next ? ' (more below)' : '');
      more.hidden = !next;
    }
    more.addEventListener('click', function () {
      L.busy(more, true);
      L.api('GET', '/v1/reports/not-collected' + L.qs(Object.assign({}, q, { cursor: next, limit: 100 }))).then(function (pg) {
        rows = rows.concat(pg.data || []);
        add(pg.data || []);
        next = pg.next_cursor || null;
        status();
        canada();
      }, function (err) { more.parentNode.appendChild(L.errorNotice(err)); }).then(function () { L.busy(more, false); });
    });
    csvBtn.addEventListener('click', function () {
      L.busy(csvBtn, true);
      L.api('GET', '/v1/reports/not-collected' + L.qs(Object.assign({}, q, { limit: Math.min(rows.length, 500), format: 'csv' })),
        undefined, { blob: true }).then(function (blob) {
        saveBlob(blob, 'levy-not-collected-' + p.from + '-to-' + p.to + (p.region ? '-' + p.region : '') + '.csv');
      }, function (err) { csvBtn.parentNode.appendChild(L.errorNotice(err)); }).then(function () { L.busy(csvBtn, false); });
    });
    status();
    return h('div', null, count,
      L.tableWrap(['Period', 'Document', { text: 'Region', cls: 'hide-sm' }, { text: 'Not collected', cls: 'num' }, 'Why'], tbody, { id: 'filing-nc-table' }),
      caNote, h('p', null, more, ' ', csvBtn));
  }

  /* Tax due by month of the year (one currency: the one with most tax; the others named
   * below), bars scaled exactly with BigInt; negative months drawn below the axis. */
  function monthChart(r, year) {
    var rows = (r && r.data) || [], by = {};
    rows.forEach(function (x) {
      var m = Number(x.period.slice(5, 7)), v = L.decScaled(x.tax_due, 2);
      if (!m || v === null || v === BigInt(0)) return;
      var c = by[x.currency] = by[x.currency] || { total: BigInt(0), months: {} };
      c.months[m] = (c.months[m] || BigInt(0)) + v;
      c.total += v < BigInt(0) ? -v : v;
    });
    var curs = Object.keys(by).sort(function (a, b) { return by[b].total > by[a].total ? 1 : by[b].total < by[a].total ? -1 : (a < b ? -1 : 1); });
    if (!curs.length) return h('p', { class: 'empty', text: 'No tax due in ' + year + '.' });
    var cur = curs[0], months = by[cur].months, max = BigInt(1), min = BigInt(0);
    for (var m = 1; m <= 12; m++) { var v = months[m] || BigInt(0); if (v > max) max = v; if (v < min) min = v; }
    var W = 760, left = 8, top = 30, plotH = 160, span = max - min, barSlot = Math.floor((W - left * 2) / 12);
    var zeroY = top + Number(BigInt(plotH) * max / span);
    var svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + (top + plotH + 40), role: 'img', 'aria-labelledby': 'filing-chart-title', id: 'filing-month-chart' });
    svg.appendChild(s('title', { id: 'filing-chart-title' }, 'Tax due by month, ' + year + ' (' + cur + ')'));
    svg.appendChild(s('text', { x: left, y: 20, class: 'chart-title' }, 'Tax due by month, ' + year + ' (' + cur + ')'));
    for (m = 1; m <= 12; m++) {
      var val = months[m] || BigInt(0), x = left + (m - 1) * barSlot;
      var hgt = Number(BigInt(plotH) * (val < BigInt(0) ? -val : val) / span);
      if (val !== BigInt(0) && hgt < 2) hgt = 2;
      var g = s('g', { class: 'bar', 'data-month': String(m) });
      var amount = (val < BigInt(0) ? '-' : '') + ((val < BigInt(0) ? -val : val) / BigInt(100)).toString() + '.' + pad(Number((val < BigInt(0) ? -val : val) % BigInt(100)));
      g.appendChild(s('title', {}, MONTHS[m - 1] + ' ' + year + ': ' + L.money(amount, cur)));
      g.appendChild(s('rect', { x: x + 6, y: val < BigInt(0) ? zeroY : zeroY - hgt, width: barSlot - 12, height: hgt, fill: val < BigInt(0) ? '#cf222e' : '#0969da', rx: 2 }));
      g.appendChild(s('text', { x: x + barSlot / 2, y: top + plotH + 24, 'text-anchor': 'middle' }, MONTHS[m - 1]));
      svg.appendChild(g);
    }
    svg.appendChild(s('line', { x1: left, x2: W - left, y1: zeroY, y2: zeroY, stroke: '#57606a' }));
    return h('div', null, h('div', { class: 'chart-wrap' }, svg),
      curs.length > 1 ? h('p', { class: 'muted', text: 'Also tax due in ' + curs.slice(1).join(', ') + ': see the table.' }) : null);
  }

  L.filingMonthChart = monthChart; /* the home dashboard shows the same chart */

  /* How often each region files: the periods of the report (PUT /v1/reports/filing-frequencies). */
  function frequencyCard() {
    var card = h('section', { class: 'card', id: 'filing-frequencies' });
    var list = h('ul', { class: 'plain' });
    /* a region picker (the subscribed regions by name), not a code typed by hand */
    var code = h('select', { name: 'freq-region' }), names = {};
    var FREQ = { month: 'monthly', quarter: 'quarterly', year: 'yearly' };
    function nameOf(c) { return names[c] ? names[c] + ' (' + c + ')' : c; }
    var sel = h('select', { name: 'freq-value' }, h('option', { value: 'month', text: 'Monthly' }),
      h('option', { value: 'quarter', text: 'Quarterly' }), h('option', { value: 'year', text: 'Yearly' }));
    var msg = h('div');
    var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'Filing frequency' },
      L.field({ label: 'Region', input: code, field: 'region' }), L.field({ label: 'Files', input: sel, field: 'frequency' }),
      h('button', { type: 'submit', class: 'secondary', text: 'Save' }));
    /* a read-only session: PUT …/filing-frequencies is 403 read_only */
    L.me().then(function (m) { if (m && m.read_only) L.lockWrites(form); });
    card.appendChild(h('h2', { text: 'Filing frequency' }));
    card.appendChild(list);
    card.appendChild(form);
    card.appendChild(msg);
    function load() {
      L.api('GET', '/v1/reports/filing-frequencies').then(function (r) {
        L.clear(list);
        list.appendChild(h('li', { class: 'muted', text: 'Regions not listed file ' + (FREQ[r.default] || r.default) + '.' }));
        (r.data || []).forEach(function (x) { list.appendChild(h('li', { 'data-region': x.region, text: nameOf(x.region) + ' files ' + FREQ[x.frequency] })); });
      }, function (err) { L.clear(msg).appendChild(L.errorNotice(err)); });
    }
    L.api('GET', '/v1/regions').then(function (r) {
      ((r && r.data) || []).forEach(function (x) { if (x.name) names[x.code] = x.name; });
      ((r && r.data) || []).filter(function (x) { return x.subscribed; }).forEach(function (x) {
        code.appendChild(h('option', { value: x.code, text: nameOf(x.code) }));
      });
      load();
    }, load);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.clear(msg);
      L.api('PUT', '/v1/reports/filing-frequencies/' + encodeURIComponent(code.value), { frequency: sel.value }).then(function () {
        msg.appendChild(h('div', { class: 'notice ok', role: 'status', text: 'Saved. Show the report again to see the new periods.' }));
        load();
      }, function (err) { msg.appendChild(L.errorNotice(err, form)); });
    });
    return card;
  }

  /* The EU One-Stop-Shop return in euros (GET /v1/reports/oss): per EU country of the customer
   * and VAT rate, the sales and VAT converted at the European Central Bank's rate of the
   * quarter's last day (or the next day the ECB published one), and the ECB rate file import
   * it needs (POST /v1/reports/fx-rates). */
  function ossCard(alive) {
    var card = h('section', { class: 'card', id: 'oss' });
    var thisYear = Number(L.today().slice(0, 4));
    var year = h('select', { name: 'oss-year' }, [thisYear, thisYear - 1, thisYear - 2].map(function (y) {
      return h('option', { value: String(y), text: String(y) });
    }));
    var quarter = h('select', { name: 'oss-quarter' }, ['Q1', 'Q2', 'Q3', 'Q4'].map(function (q) {
      return h('option', { value: q, text: q.replace('Q', 'Quarter ') });
    }));
    quarter.value = 'Q' + (Math.floor((Number(L.today().slice(5, 7)) - 1) / 3) + 1);
    var csvBtn = h('button', { type: 'button', class: 'secondary', id: 'oss-csv', text: 'Download CSV' });
    var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'OSS quarter', 'data-read': true },
      L.field({ label: 'Year', input: year, field: 'year' }), L.field({ label: 'Quarter', input: quarter, field: 'period' }),
      h('button', { type: 'submit', class: 'secondary', text: 'Show OSS return' }), csvBtn);
    var out = h('div', { id: 'oss-result', 'aria-live': 'polite' });
    var file = h('input', { type: 'file', name: 'oss-rates', accept: '.csv,text/csv' });
    var importBtn = h('button', { type: 'submit', class: 'secondary', text: 'Import rates' });
    var importForm = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'ECB exchange rates' },
      L.field({ label: 'ECB rate file (eurofxref-hist.csv)', input: file, field: 'file' }), importBtn);
    var files = h('ul', { class: 'plain', id: 'oss-rate-files' });
    var importMsg = h('div');
    /* a read-only session: POST /v1/reports/fx-rates is 403 read_only */
    L.me().then(function (m) { if (m && m.read_only) L.lockWrites(importForm); });
    card.appendChild(h('h2', { text: 'EU One-Stop-Shop (OSS) return, in euros' }));
    card.appendChild(h('p', { class: 'muted', text: 'The VAT you report in your quarterly OSS return: for each EU country your customers are in and each VAT rate, the sales and the VAT, in euros. Sales in another currency are converted at the European Central Bank rate of the last day of the quarter (or of the next day the ECB published one), as the EU VAT rules require. Credit memos of the quarter are subtracted.' }));
    card.appendChild(form);
    card.appendChild(out);
    card.appendChild(h('h3', { text: 'Exchange rates' }));
    card.appendChild(h('p', { class: 'muted', text: 'levy does not go online for exchange rates. Download the euro reference rates from the ECB website (the full history, eurofxref-hist.csv, unzipped) and import the file here after each quarter ends.' }));
    card.appendChild(importForm);
    card.appendChild(importMsg);
    card.appendChild(files);

    function period() { return year.value + '-' + quarter.value; }
    function longDate(d) {
      var p = String(d).split('-');
      return Number(p[2]) + ' ' + MONTHS[Number(p[1]) - 1] + ' ' + p[0];
    }
    function show() {
      L.clear(out).appendChild(h('p', { class: 'muted', text: 'Loading…' }));
      L.api('GET', '/v1/reports/oss' + L.qs({ period: period() })).then(function (r) {
        if (!alive()) return;
        L.clear(out);
        if (!r.data.length) {
          out.appendChild(h('p', { class: 'muted', text: 'No EU VAT in ' + quarter.value.replace('Q', 'quarter ') + ' ' + year.value + ': nothing to report for this quarter.' }));
          return;
        }
        var tbody = h('tbody', null, r.data.map(function (x) {
          var how = x.by_currency.map(function (c) {
            return c.currency === 'EUR' ? L.money(c.taxable_amount, 'EUR') + ' in euros'
              : L.money(c.taxable_amount, c.currency) + ' (VAT ' + L.money(c.vat, c.currency) + ') at ' + c.fx_rate + ' ' + c.currency + ' per euro = ' + L.money(c.taxable_amount_eur, 'EUR') + ' (VAT ' + L.money(c.vat_eur, 'EUR') + ')';
          }).join('; ');
          return h('tr', null, h('td', { text: (x.member_state_name ? x.member_state_name.charAt(0) + x.member_state_name.slice(1).toLowerCase() + ' ' : '') + '(' + x.member_state + ')' }),
            h('td', { class: 'num', text: x.rate + ' %' }), h('td', { text: x.rate_type === 'reduced' ? 'Reduced' : 'Standard' }),
            h('td', { class: 'num', text: L.money(x.taxable_amount, 'EUR') }), h('td', { class: 'num', text: L.money(x.vat, 'EUR') }),
            h('td', { class: 'num', text: String(x.documents) }), h('td', { class: 'muted', text: how }));
        }));
        out.appendChild(h('div', { class: 'table-wrap' }, h('table', { id: 'oss-table' },
          h('thead', null, h('tr', null, ['Country', 'VAT rate', 'Rate type', 'Sales (EUR)', 'VAT (EUR)', 'Documents', 'How it was converted'].map(function (t) { return h('th', { text: t }); }))),
          tbody, h('tfoot', null, h('tr', null, h('th', { text: 'Total' }), h('td'), h('td'),
            h('td', { class: 'num', text: L.money(r.totals.taxable_amount, 'EUR') }), h('td', { class: 'num', text: L.money(r.totals.vat, 'EUR') }),
            h('td', { class: 'num', text: String(r.totals.documents) }), h('td'))))));
        if (r.fx_rates.length) {
          out.appendChild(h('p', { class: 'muted', id: 'oss-rates-used', text: 'ECB rates used: ' + r.fx_rates.map(function (x) {
            return '1 EUR = ' + x.rate + ' ' + x.currency + ' (published ' + longDate(x.date) + ')';
          }).join('; ') + '. Amounts are summed per country, rate and currency, then converted once and rounded to the cent.' }));
        }
      }, function (err) {
        if (!alive()) return;
        L.clear(out);
        if (err && err.code === 'fx_rate_missing') {
          var cur = (err.details || []).map(function (d) { return d.currency; }).join(', ');
          var d0 = (err.details || [])[0];
          out.appendChild(h('div', { class: 'notice warn', role: 'alert', id: 'oss-missing' },
            h('strong', { text: 'No ECB exchange rate for ' + cur + ' on ' + (d0 ? longDate(d0.date) : 'the last day of the quarter') + ' (the last day of the quarter) or a later day.' }),
            ' levy will not guess a rate. Import the ECB reference rates below, then show the return again.'));
        } else {
          out.appendChild(L.errorNotice(err, form));
        }
      });
    }
    form.addEventListener('submit', function (ev) { ev.preventDefault(); show(); });
    csvBtn.addEventListener('click', function () {
      L.busy(csvBtn, true);
      L.api('GET', '/v1/reports/oss' + L.qs({ period: period(), format: 'csv' }), undefined, { blob: true }).then(function (blob) {
        saveBlob(blob, 'levy-oss-' + period() + '.csv');
      }, function (err) { L.clear(out).appendChild(L.errorNotice(err, form)); }).then(function () { L.busy(csvBtn, false); });
    });

    function loadFiles() {
      return L.api('GET', '/v1/reports/fx-rates').then(function (r) {
        if (!alive()) return;
        L.clear(files);
        if (!r.data.length) files.appendChild(h('li', { class: 'muted', text: 'No exchange rates imported yet.' }));
        var checking = false;
        r.data.forEach(function (x) {
          var words = x.state === 'ready' ? 'Ready: ' + L.groupDigits(String(x.days)) + ' days of rates, ' + longDate(x.first_date) + ' to ' + longDate(x.last_date)
            : x.state === 'checking' ? 'Checking the file…' : 'Not used: ' + (x.error || 'the file was refused');
          if (x.state === 'checking') checking = true;
          files.appendChild(h('li', { class: x.state === 'refused' ? 'error' : '' }, 'Imported ' + longDate(String(x.imported_at).slice(0, 10)) + ' — ' + words));
        });
        if (checking) setTimeout(function () { if (alive()) loadFiles(); }, 1000);
      }, function (err) { L.clear(importMsg).appendChild(L.errorNotice(err)); });
    }
    importForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.clear(importMsg);
      var f = file.files && file.files[0];
      if (!f) { importMsg.appendChild(h('div', { class: 'notice error', role: 'alert', text: 'Choose the ECB rate file first.' })); return; }
      L.busy(importBtn, true);
      var headers = { 'Content-Type': 'text/csv', 'Accept': 'application/json' };
      if (L.token()) headers.Authorization = 'Bearer ' + L.token();
      fetch('/v1/reports/fx-rates', { method: 'POST', headers: headers, body: f, cache: 'no-store' }).then(function (res) {
        return res.text().then(function (t) {
          var data = null;
          try { data = JSON.parse(t); } catch (e) { data = null; }
          if (!res.ok) {
            var e = (data && data.error) || {};
            throw new L.ApiError(res.status, e.code || 'http_' + res.status, e.message || 'HTTP ' + res.status, e.details, data);
          }
          return data;
        });
      }).then(function (x) {
        L.clearFieldErrors(importForm);
        importMsg.appendChild(h('div', { class: 'notice ok', role: 'status', text: x.state === 'checking' ? 'File received: levy is checking it (a minute at most).' : 'Rates imported.' }));
        file.value = '';
        return loadFiles();
      }, function (err) { importMsg.appendChild(L.errorNotice(err, importForm)); }).then(function () { L.busy(importBtn, false); });
    });
    loadFiles();
    return card;
  }
})();
