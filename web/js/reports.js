/* Reports: tax liability (what Rillet holds, by region/jurisdiction, with CSV), the documents whose
 * calculated tax is not in Rillet (with the reason), and economic-nexus exposure (SVG). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var COLORS = { below: '#8c959f', approaching: '#bf8700', exceeded: '#cf222e', registered: '#1a7f37' };
  /* the exposure statuses in words (issue 20: no enums on the page) */
  var STATUS_WORDS = { below: 'Below the threshold', approaching: 'Approaching the threshold', exceeded: 'Threshold crossed',
    registered: 'Registered: levy collects' };
  function statusWords(st) { return STATUS_WORDS[st] || String(st).replace(/_/g, ' '); }

  function s(tag, attrs, text) {
    var el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function pick(o, names) {
    for (var i = 0; i < names.length; i++) {
      var path = names[i].split('.'), v = o;
      for (var j = 0; j < path.length && v !== undefined && v !== null; j++) v = v[path[j]];
      if (v !== undefined && v !== null) return v;
    }
    return null;
  }
  /* The first candidate that is an amount (decimal string, integer, or {amount, currency}). */
  function pickAmount(o, names) {
    for (var i = 0; i < names.length; i++) {
      var v = pick(o, [names[i]]);
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      if (v && typeof v === 'object' && typeof v.amount === 'string') return v.amount;
    }
    return null;
  }
  /* Reasons a document's calculated tax is not in Rillet, in words for finance people. */
  var REASONS = {
    paid_before_calculation: 'Paid in Rillet before levy calculated the tax: levy does not add tax to paid invoices',
    failed: 'levy could not calculate or write the tax',
    not_collecting: 'Region not collecting on the document date',
    write_pending: 'Waiting to be written to Rillet',
    outside_window: 'Dated before levy started taxing documents for this connection',
    manual_tax_kept: 'Tax typed in Rillet by hand was kept',
    closed_period: 'In a closed books period in Rillet',
    drift: 'Tax changed in Rillet after levy wrote it (a paid invoice: levy does not write it again); "In Rillet" is what Rillet holds now'
  };
  function reasonText(r) { return REASONS[r] || String(r || '—').replace(/_/g, ' '); }
  L.notCollectedText = reasonText; /* the filing report shows the same reasons */
  /* A row's "Why" cell content: one sentence for a document paid in Rillet (L.paidWhy), else
   * the reason in words with levy's detail under it. */
  function whyParts(x) {
    var one = x.reason === 'paid_before_calculation' && L.paidWhy(x.detail, true);
    return one ? [one] : [reasonText(x.reason), x.detail ? h('div', { class: 'muted', text: x.detail }) : null];
  }
  L.notCollectedWhy = whyParts; /* and the same cell on the filing report */
  function notAvailable(what) {
    return h('div', { class: 'notice info', role: 'status' }, h('strong', { text: what + ' is not available yet.' }),
      ' This levy server does not offer this report (HTTP 404). Upgrade levy to a version with reports.');
  }

  L.page('reports', {
    title: 'Reports',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      var today = L.today();
      /* #/reports?from=&to=&region=&list=not-collected (issue 20: Home's "See which and why"
       * opens exactly the documents it counted: its period, the list in view) */
      var hq = L.hashQuery ? L.hashQuery() : {};
      function day(v, dflt) { return /^\d{4}-\d{2}-\d{2}$/.test(v || '') ? v : dflt; }
      var from = h('input', { type: 'date', name: 'from', value: day(hq.from, today.slice(0, 4) + '-01-01'), required: true });
      var to = h('input', { type: 'date', name: 'to', value: day(hq.to, today), required: true });
      var toList = hq.list === 'not-collected';
      /* a region picker (the subscribed regions by name), not a code typed by hand */
      var region = h('select', { name: 'region' }, h('option', { value: '', text: 'All regions' }));
      L.loadRegions().then(function (list) {
        if (!alive) return;
        list.filter(function (x) { return x.subscribed; }).forEach(function (x) {
          if (x.code === hq.region && linked) { linked.textContent = L.regionLabel(x.code, x.name); return; }
          region.appendChild(h('option', { value: x.code, text: L.regionLabel(x.code, x.name) }));
        });
      }); /* the report works for all regions without the picker's names */
      /* a region from the link: its option now (the first report asks for it), named once the
       * names are in */
      var linked = hq.region ? region.appendChild(h('option', { value: hq.region, text: hq.region })) : null;
      if (linked) region.value = hq.region;
      var csv = h('a', { href: '#', class: 'button secondary', id: 'liability-csv', download: '' }, 'Download CSV');
      var liab = h('div', { id: 'liability', style: 'min-height:6rem' });
      var ncCsv = h('a', { href: '#', class: 'button secondary', id: 'not-collected-csv', download: '' }, 'Download CSV');
      var nc = h('div', { id: 'not-collected' });
      var expo = h('div', { id: 'exposure', style: 'min-height:6rem' });
      var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'Report period', 'data-read': true },
        L.field({ label: 'From', input: from, field: 'from' }), L.field({ label: 'To', input: to, field: 'to' }),
        L.field({ label: 'Region', input: region, field: 'region' }),
        h('button', { type: 'submit', text: 'Show' }), csv);
      main.appendChild(h('h1', { text: 'Reports' }));
      main.appendChild(h('h2', { text: 'Tax liability' }));
      main.appendChild(h('p', { class: 'muted', text: 'Tax collected: the tax Rillet holds on documents dated in the period, as levy last wrote it, per region and jurisdiction, minus credit memos. A region changed later does not remove tax already written.' }));
      main.appendChild(form);
      main.appendChild(liab);
      var ncTitle = h('h3', { id: 'not-collected-title', tabindex: '-1', text: 'Calculated, not collected' });
      main.appendChild(ncTitle);
      main.appendChild(h('p', { class: 'muted', text: 'Documents in the period whose tax levy calculated but Rillet does not hold, with the reason. This tax is not in the totals above.' }));
      main.appendChild(h('div', { class: 'toolbar' }, ncCsv));
      main.appendChild(nc);
      main.appendChild(h('h2', { text: 'Economic nexus exposure' }));
      main.appendChild(h('p', { class: 'muted', text: 'Sales per US state over its measurement period against its economic-nexus threshold.' }));
      main.appendChild(expo);

      function params(extra) {
        return L.qs(Object.assign({ from: from.value, to: to.value, region: region.value }, extra || {}));
      }
      function runLiability() {
        L.clear(liab).appendChild(h('p', { class: 'loading', text: 'Loading…' }));
        /* the tables name each region ("California (US-CA)"): the names first */
        Promise.all([L.api('GET', '/v1/reports/liability' + params()), L.loadRegions()]).then(function (all) {
          var r = all[0];
          if (!alive) return;
          L.clear(liab).appendChild(liabilityTable(r));
          L.clear(nc).appendChild(notCollectedTable(r));
          if (toList) { /* once: the list in view, its heading focused (for a screen reader too) */
            toList = false;
            ncTitle.focus({ preventScroll: true });
            ncTitle.scrollIntoView({ block: 'start' });
          }
          /* the totals come from sums kept on write: a check that found them differing from
           * the documents is said above them, with the rebuild */
          L.api('GET', '/v1/reports/filing/sums').then(function (s) {
            var box = alive && L.keptSumsNotice(s, 'liability-sums-mismatch');
            if (box) liab.insertBefore(box, liab.firstChild);
          }, function () { /* older rillet plugin: nothing to show */ });
          csv.hidden = false;
          ncCsv.hidden = false;
        }, function (err) {
          if (!alive) return;
          L.clear(liab);
          L.clear(nc);
          ncCsv.hidden = true;
          if (err.status === 404) { liab.appendChild(notAvailable('The liability report')); csv.hidden = true; }
          else liab.appendChild(L.errorNotice(err, form));
        });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); runLiability(); });
      /* The waiting list at any size (issue 20): one request decides at most a page, so the
       * CSV is read from GET /v1/reports/not-collected a page (500 rows) at a time, following
       * each page's X-Levy-Next-Cursor header; the pages after the first lose their header
       * line. The button counts the rows read. */
      function notCollectedCsv() {
        var parts = [], rows = 0;
        function page(cursor) {
          return L.api('GET', '/v1/reports/not-collected' + params({ format: 'csv', limit: 500, cursor: cursor }), undefined,
            { blob: true, headers: true }).then(function (res) {
            return res.blob.text().then(function (text) {
              if (parts.length) text = text.slice(text.indexOf('\n') + 1);
              parts.push(text);
              rows += text.split('\n').filter(Boolean).length - (parts.length === 1 ? 1 : 0);
              var next = res.headers.get('X-Levy-Next-Cursor');
              if (!next || !alive) return new Blob(parts, { type: 'text/csv' });
              ncCsv.textContent = 'Downloading… ' + L.groupDigits(String(rows)) + ' rows';
              return page(next);
            });
          });
        }
        return page(null).then(function (b) { ncCsv.textContent = 'Download CSV'; return b; },
          function (err) { ncCsv.textContent = 'Download CSV'; throw err; });
      }
      function download(link, extra, name) {
        link.addEventListener('click', function (ev) {
          ev.preventDefault();
          link.setAttribute('aria-busy', 'true');
          (extra ? L.api('GET', '/v1/reports/liability' + params(extra), undefined, { blob: true }) : notCollectedCsv()).then(function (blob) {
            var url = URL.createObjectURL(blob);
            var a = h('a', { href: url, download: name + from.value + '-to-' + to.value + '.csv', hidden: true });
            document.body.appendChild(a);
            a.click();
            setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
          }, function (err) {
            L.clear(liab).appendChild(err.status === 404 ? notAvailable('The CSV export') : L.errorNotice(err, form));
          }).then(function () { link.removeAttribute('aria-busy'); });
        });
      }
      download(csv, { format: 'csv' }, 'levy-liability-');
      download(ncCsv, null, 'levy-liability-not-collected-');
      runLiability();
      /* the chart names each state ("Texas"): the names first */
      Promise.all([L.api('GET', '/v1/reports/exposure'), L.loadRegions()]).then(function (all) {
        var r = all[0];
        if (alive) L.clear(expo).appendChild(exposureChart((r && r.data) || []));
      }, function (err) {
        if (!alive) return;
        L.clear(expo).appendChild(err.status === 404 ? notAvailable('The exposure report') : L.errorNotice(err));
      });
      return 'Reports';
    }
  });

  /* A jurisdiction by name ("Los Angeles County"); the rate tables' own name and the
   * authority code (FIPS / ISO, issue 19) behind "Technical details". */
  function jurisdictionCell(x) {
    var td = h('td', { class: 'jurisdiction' }, h('span', { class: 'jurisdiction-name', text: L.jurisdictionName(x.jurisdiction, x.level) }));
    if (x.jurisdiction || x.authority_code) {
      td.appendChild(h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }),
        h('dl', { class: 'tech' }, h('dt', { text: 'Name in the rate tables' }), h('dd', null, h('code', { text: x.jurisdiction || '—' })),
          h('dt', { text: 'Authority code' }), h('dd', { class: 'authority-code' }, x.authority_code ? h('code', { text: x.authority_code }) : 'not known'))));
    }
    return td;
  }

  function liabilityTable(r) {
    var rows = (r && r.data) || [];
    var tbody = h('tbody');
    if (!rows.length) tbody.appendChild(h('tr', null, h('td', { colspan: 8, class: 'empty', text: 'No tax collected in this period.' })));
    rows.forEach(function (x) {
      var cur = x.currency;
      tbody.appendChild(h('tr', { 'data-region': x.region || '' }, h('td', { class: 'region', text: L.regionLabel(x.region) }),
        jurisdictionCell(x), h('td', { class: 'hide-sm', text: x.level || '—' }),
        h('td', { class: 'hide-sm', text: L.taxTypeText(x.type) }),
        h('td', { class: 'num', text: L.money(x.taxable, cur) }), h('td', { class: 'num', text: L.money(x.tax, cur) }),
        h('td', { class: 'num', text: x.invoices === undefined ? '—' : String(x.invoices) }),
        h('td', { class: 'num', text: x.credit_memos === undefined ? '—' : String(x.credit_memos) })));
    });
    /* totals: one object, or one per currency ({"USD": {...}, "EUR": {...}}). */
    var t = r && r.totals, totals = [];
    if (t && (t.tax !== undefined || t.taxable !== undefined)) totals.push(t);
    else if (t && typeof t === 'object') Object.keys(t).forEach(function (k) {
      if (t[k] && typeof t[k] === 'object') totals.push(Object.assign({ currency: k }, t[k]));
    });
    var table = L.tableWrap(['Region', 'Jurisdiction', { text: 'Level', cls: 'hide-sm' }, { text: 'Type', cls: 'hide-sm' },
      { text: 'Taxable', cls: 'num' }, { text: 'Tax', cls: 'num' }, { text: 'Invoices', cls: 'num' }, { text: 'Credit memos', cls: 'num' }], tbody, { id: 'liability-table' });
    if (totals.length && rows.length) {
      table.querySelector('table').appendChild(h('tfoot', null, totals.map(function (tt) {
        return h('tr', null, h('td', { colspan: 2, text: 'Total' + (totals.length > 1 && tt.currency ? ' ' + tt.currency : '') }),
          h('td', { class: 'hide-sm' }), h('td', { class: 'hide-sm' }),
          h('td', { class: 'num', text: L.money(tt.taxable, tt.currency) }), h('td', { class: 'num', text: L.money(tt.tax, tt.currency) }),
          h('td', { class: 'num', text: tt.invoices === undefined ? '' : String(tt.invoices) }),
          h('td', { class: 'num', text: tt.credit_memos === undefined ? '' : String(tt.credit_memos) }));
      })));
    }
    return table;
  }

  /* Documents whose calculated tax Rillet does not hold: date, document, region, calculated,
   * collected, not collected, reason (in words; the code and levy's detail on hover/below). On
   * a phone: the document, what is not collected and why (the Why readable, not a column one
   * word wide).
   * The report carries the list's first page; "Show more" reads the next from
   * GET /v1/reports/not-collected (cursor); the totals row counts every document. */
  function notCollectedTable(r) {
    var rows = (r && r.not_collected) || [];
    var shown = rows.length, all = (r && r.not_collected_count) || rows.length;
    var next = (r && r.not_collected_next_cursor) || null;
    var tbody = h('tbody');
    if (!rows.length) tbody.appendChild(h('tr', null, h('td', { colspan: 7, class: 'empty', text: 'None: Rillet holds all the tax levy calculated for this period.' })));
    function add(list) { list.forEach(addRow); }
    function addRow(x) {
      var cur = x.currency, kind = x.type === 'credit_memo' ? 'credit-memos' : 'invoices';
      var label = (x.type === 'credit_memo' ? 'Credit memo ' : 'Invoice ') + (x.number || x.id);
      tbody.appendChild(h('tr', { 'data-reason': x.reason || '' },
        h('td', { class: 'hide-sm date', text: x.date || '—' }),
        h('td', null, h('a', { href: '#/' + kind + '/' + encodeURIComponent(x.id), text: label })),
        h('td', { class: 'hide-sm region', text: L.regionLabel(x.region) }),
        h('td', { class: 'num hide-sm', text: x.calculated_tax === null ? '—' : L.money(x.calculated_tax, cur) }),
        h('td', { class: 'num hide-sm', text: L.money(x.collected_tax, cur) }),
        h('td', { class: 'num', text: x.not_collected_tax === null ? '—' : L.money(x.not_collected_tax, cur) }),
        h('td', { class: 'why', title: x.reason || '' }, whyParts(x))));
    }
    add(rows);
    var t = (r && r.not_collected_totals) || {}, totals = Object.keys(t);
    var table = L.tableWrap([{ text: 'Date', cls: 'hide-sm' }, 'Document', { text: 'Region', cls: 'hide-sm' },
      { text: 'Calculated', cls: 'num hide-sm' }, { text: 'In Rillet', cls: 'num hide-sm' }, { text: 'Not collected', cls: 'num' }, 'Why'],
      tbody, { id: 'not-collected-table' });
    if (rows.length && totals.length) {
      table.querySelector('table').appendChild(h('tfoot', null, totals.map(function (cur) {
        return h('tr', null, h('td', { class: 'hide-sm' }),
          h('td', { text: 'Total' + (totals.length > 1 ? ' ' + cur : '') + ' (invoices minus credit memos)' }),
          h('td', { class: 'hide-sm' }), h('td', { class: 'hide-sm' }), h('td', { class: 'hide-sm' }),
          h('td', { class: 'num', text: L.money(t[cur].tax, cur) }), h('td'));
      })));
    }
    if (!rows.length) return table;
    var count = h('p', { class: 'muted', id: 'not-collected-count' });
    var more = h('button', { type: 'button', class: 'secondary', id: 'not-collected-more', text: 'Show more' });
    function status() {
      count.textContent = L.groupDigits(String(shown)) + ' of ' + L.groupDigits(String(all)) + ' document' +
        (all === 1 ? '' : 's') + ' shown' + (next ? ' (more below)' : '') + '; the total counts all of them.';
      more.hidden = !next;
    }
    more.addEventListener('click', function () {
      L.busy(more, true);
      L.api('GET', '/v1/reports/not-collected' + L.qs({ from: r.from, to: r.to, region: r.region || '', cursor: next, limit: 100 })).then(function (pg) {
        add(pg.data || []);
        shown += (pg.data || []).length;
        next = pg.next_cursor || null;
        status();
      }, function (err) { more.parentNode.appendChild(L.errorNotice(err)); }).then(function () { L.busy(more, false); });
    });
    status();
    return h('div', null, count, table, h('p', null, more));
  }

  /* Horizontal bars: each state's sales as a share of its threshold (exact BigInt ratio,
   * capped at 150 % for drawing), coloured by status, with the 100 % line marked. */
  function exposureChart(rows) {
    if (!rows.length) return h('p', { class: 'empty', text: 'No exposure data yet.' });
    var items = rows.map(function (x) {
      var sales = pickAmount(x, ['sales', 'sales_amount', 'total_sales', 'sales.amount']);
      var thr = pickAmount(x, ['threshold.sales', 'threshold.amount', 'threshold', 'sales_threshold', 'threshold_sales', 'nexus_threshold', 'threshold_amount']);
      var a = L.decScaled(sales, 2), b = L.decScaled(thr, 2), permille = null;
      if (a !== null && b !== null && b > BigInt(0)) permille = a * BigInt(1000) / b;
      return {
        code: pick(x, ['region', 'state', 'code']) || '?', status: x.status || 'below', sales: sales, thr: thr, permille: permille,
        txns: pick(x, ['transactions', 'transaction_count', 'transactions_count']),
        thrTxns: pick(x, ['threshold.transactions', 'transaction_threshold', 'threshold_transactions', 'transactions_threshold']),
        currency: x.currency || 'USD',
        period: x.period_start && x.period_end ? x.period_start + ' – ' + x.period_end : null,
        combine: x.combine || null,
        crossed: x.crossed_on || (x.crossed_logged_at ? String(x.crossed_logged_at).slice(0, 10) : null)
      };
    });
    items.sort(function (p, q) {
      var a = p.permille === null ? BigInt(-1) : p.permille, b = q.permille === null ? BigInt(-1) : q.permille;
      var m = L.regionName(p.code), n = L.regionName(q.code); /* equal shares: by the name shown */
      return a > b ? -1 : a < b ? 1 : (m < n ? -1 : m > n ? 1 : 0);
    });
    var W = 760, left = 150, right = 210, barW = W - left - right, rowH = 22, top = 24;
    var H = top + items.length * rowH + 8;
    var MAXPM = 1500;
    var svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'exposure-title', id: 'exposure-chart' });
    svg.appendChild(s('title', { id: 'exposure-title' }, 'Sales as a share of each state\'s economic-nexus threshold'));
    var x100 = left + Math.round(barW * 1000 / MAXPM);
    svg.appendChild(s('text', { x: x100, y: 14, 'text-anchor': 'middle' }, '100 % of threshold'));
    items.forEach(function (it, i) {
      var y = top + i * rowH;
      /* Bar width in whole pixels, still in BigInt: no float ever sees the amounts. */
      var pm = it.permille === null || it.permille < BigInt(0) ? BigInt(0) : it.permille > BigInt(MAXPM) ? BigInt(MAXPM) : it.permille;
      var w = BigInt(barW) * pm / BigInt(MAXPM);
      if (pm > BigInt(0) && w < BigInt(2)) w = BigInt(2);
      var pct = it.permille === null ? 'n/a' : (it.permille / BigInt(10)).toString() + '.' + (it.permille % BigInt(10)).toString().replace('-', '') + ' %';
      var g = s('g', { class: 'bar', 'data-region': it.code });
      g.appendChild(s('title', {}, L.regionLabel(it.code) + ': ' + L.money(it.sales, it.currency) + ' of ' + L.money(it.thr, it.currency) + ' (' + pct + ')' +
        (it.txns !== null ? ', ' + it.txns + ' transactions' + (it.thrTxns !== null ? ' of ' + it.thrTxns : '') : '') + ' — ' + statusWords(it.status)));
      g.appendChild(s('text', { x: 0, y: y + 15 }, L.regionName(it.code)));
      g.appendChild(s('rect', { x: left, y: y + 4, width: barW, height: rowH - 8, fill: '#eaeef2', rx: 2 }));
      g.appendChild(s('rect', { x: left, y: y + 4, width: w.toString(), height: rowH - 8, fill: COLORS[it.status] || '#57606a', rx: 2 }));
      g.appendChild(s('text', { x: left + barW + 8, y: y + 15 }, pct + ' · ' + statusWords(it.status)));
      svg.appendChild(g);
    });
    svg.appendChild(s('line', { x1: x100, x2: x100, y1: top - 4, y2: H - 4, stroke: '#1b1f24', 'stroke-dasharray': '3 3' }));
    var legend = h('div', { class: 'legend', 'aria-hidden': 'true' }, Object.keys(COLORS).map(function (k) {
      return h('span', { style: '--c:' + COLORS[k], text: statusWords(k) });
    }));
    var tbody = h('tbody', null, items.map(function (it) {
      return h('tr', null, h('td', { text: L.regionLabel(it.code) }), h('td', { class: 'num', text: L.money(it.sales, it.currency) }),
        h('td', { class: 'num', text: L.money(it.thr, it.currency) }),
        h('td', { class: 'num', text: (it.txns === null ? '—' : String(it.txns)) + (it.thrTxns !== null ? ' / ' + it.thrTxns + (it.combine ? (it.combine === 'and' ? ' (sales and transactions)' : ' (sales or transactions)') : '') : '') }),
        h('td', { class: 'hide-sm', text: it.period || '—' }),
        h('td', null, h('span', { class: 'badge ' + ({ approaching: 'warn', exceeded: 'bad', registered: 'ok' }[it.status] || ''), text: statusWords(it.status) })),
        h('td', { class: 'hide-sm', text: it.crossed || '' }));
    }));
    /* States over their threshold, with the day it was crossed (shown until the region is registered). */
    var crossed = items.filter(function (it) { return it.status === 'exceeded'; });
    var alert = crossed.length ? h('div', { class: 'notice warn', role: 'status', id: 'exposure-crossed' },
      h('strong', { text: 'Economic nexus threshold crossed: ' }),
      crossed.map(function (it) { return L.regionLabel(it.code) + (it.crossed ? ' on ' + it.crossed : ''); }).join(', '),
      '. Consider registering there and subscribing the region (Regions page).') : null;
    return h('div', { class: 'card' }, alert, legend, h('div', { class: 'chart-wrap' }, svg),
      h('details', null, h('summary', { text: 'Show as a table' }),
        L.tableWrap(['State', { text: 'Sales', cls: 'num' }, { text: 'Threshold', cls: 'num' }, { text: 'Transactions', cls: 'num' },
          { text: 'Period', cls: 'hide-sm' }, 'Status', { text: 'Threshold crossed on', cls: 'hide-sm' }], tbody, { id: 'exposure-table' })));
  }
})();
