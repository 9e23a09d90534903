/* Exposure (issue 20): per US state, is there sales-tax nexus and since when — economic
 * thresholds (with marketplace sales counted or excluded as the state's rule says, and the
 * date the threshold was crossed) beside physical presence (entered in Settings). #/exposure
 * lists the states, #/exposure/US-XX drills into the documents that count. The Settings page
 * shows L.presenceSection() (offices, employees, inventory per state). API:
 * /v1/reports/exposure, /v1/reports/exposure/{region}/documents, /v1/reports/presence,
 * /v1/reports/marketplace (docs/reports.md). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var KIND = { office: 'Office', employee: 'Employees or remote workers', inventory: 'Inventory (e.g. a fulfilment warehouse)' };
  var STATUS = { nexus: 'Nexus', approaching: 'Approaching (80 % or more)', below: 'Below' };
  var TONE = { nexus: 'bad', approaching: 'warn', below: '' };
  var PERIOD = {
    calendar_year_previous_or_current: 'previous or current calendar year',
    calendar_year_previous: 'previous calendar year',
    previous_12_months: 'previous 12 months',
    twelve_months_ending_sep30: '12 months ending 30 September',
    four_quarters_ny: 'preceding four sales-tax quarters'
  };
  var RULE = {
    included: 'Marketplace sales count towards the threshold',
    excluded: 'Marketplace sales do not count towards the threshold',
    unknown: 'Not verified whether marketplace sales count: levy counts them'
  };

  function badge(status) {
    return h('span', { class: 'badge ' + (TONE[status] || ''), text: STATUS[status] || String(status) });
  }
  function usd(v) { return L.money(v, 'USD'); }
  /* "1 transaction", "2 transactions" */
  function txns(n) { return n + (Number(n) === 1 ? ' transaction' : ' transactions'); }
  /* a state by its name, as the other pages name regions: "Nevada (US-NV)" */
  function stateLabel(code) { return L.regionLabel(code); }
  /* the same as nodes, the code kept whole when the name wraps in a narrow column */
  function stateParts(code) {
    return L.regionLabelParts(code);
  }
  /* The row's problem in words, the state by its name (the API's `problem` names the state by
   * its two-letter code): nexus where levy does not collect. Shared with the Home page. */
  function problemText(r) {
    if (!r || !r.problem) return null;
    if (r.threshold_status !== 'exceeded' && r.nexus_since) {
      return 'physical presence in ' + L.regionName(r.region) + ' since ' + r.nexus_since + ', but levy does not collect tax there (the region is not subscribed)';
    }
    return 'economic-nexus threshold crossed on ' + (r.crossed_on || r.nexus_since || 'an earlier date') + ', but levy does not collect tax in ' +
      L.regionName(r.region) + ' (the region is not subscribed)';
  }
  L.exposureProblem = problemText;
  function threshold(r) {
    var t = usd(r.sales_threshold);
    if (r.transactions_threshold !== null && r.transactions_threshold !== undefined) {
      t += (r.combine === 'and' ? ' and ' : ' or ') + txns(r.transactions_threshold);
    }
    return t;
  }
  /* Where a state's threshold comes from, in words (issue 20): data/us/economic-nexus.csv cites
   * levy's own notes ("tax-facts.md 3.2 (Sovos state guide transcribed 2026-05-02; vatcalc.com US
   * table secondary); ARSSTC member localities only"); the reader sees the published guides
   * the figure was taken from and the row's remarks, the internal reference behind "Technical
   * details". The file records no statute or DOR page per state: nothing to cite beyond these. */
  function sourceWords(src) {
    var s = String(src || ''), m = /^tax-facts\.md [\d.]+ \(([^()]*)\)(?:; *)?(.*)$/.exec(s);
    if (!m) return s || '—';
    var from = m[1].split(/; */).map(function (part) {
      var t = /^(.*?) transcribed (\d{4}-\d{2}-\d{2})$/.exec(part);
      if (t) return (t[1] === 'Sovos state guide' ? 'the Sovos state-by-state sales-tax guide' : t[1]) + ' (as it read on ' + L.vintageWords(t[2]) + ')';
      t = /^(.*?) secondary$/.exec(part);
      if (t) return 'checked against ' + (t[1] === 'vatcalc.com US table' ? 'the US table of vatcalc.com' : t[1]);
      return part;
    }).join(', ');
    var rest = m[2] ? m[2].split(/; */).join('; ') : '';
    return 'Taken from ' + from + (rest ? '. ' + rest.charAt(0).toUpperCase() + rest.slice(1) : '') + '.';
  }
  function presenceText(list) {
    if (!list || !list.length) return '—';
    return list.map(function (p) { return (KIND[p.kind] || p.kind) + ' since ' + p.from; }).join('; ');
  }
  function csvLink(path, name, errSlot) {
    var a = h('a', { href: '#', class: 'button secondary', download: '' }, 'Download CSV');
    a.addEventListener('click', function (ev) {
      ev.preventDefault();
      a.setAttribute('aria-busy', 'true');
      L.api('GET', path(), undefined, { blob: true }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var x = h('a', { href: url, download: name(), hidden: true });
        document.body.appendChild(x);
        x.click();
        setTimeout(function () { URL.revokeObjectURL(url); x.remove(); }, 1000);
      }, function (err) { L.showError(errSlot, err); }).then(function () { a.removeAttribute('aria-busy'); });
    });
    return a;
  }
  function asOfFromHash() {
    var m = /[?&]as_of=(\d{4}-\d{2}-\d{2})/.exec(location.hash);
    return m ? m[1] : L.today();
  }

  L.page('exposure', {
    title: 'Exposure',
    render: function (main, parts) {
      if (parts && parts[0]) return drill(main, parts[0]);
      var alive = true;
      L.onLeave(function () { alive = false; });
      var asOf = h('input', { type: 'date', name: 'as_of', value: asOfFromHash(), required: true });
      var all = h('input', { type: 'checkbox', name: 'all' });
      var err = h('div');
      var out = h('div', { id: 'exposure-table', style: 'min-height:6rem' });
      var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'Exposure date', 'data-read': true },
        L.field({ label: 'As of', input: asOf, field: 'as_of' }),
        h('label', { class: 'check' }, all, ' Show every state'),
        h('button', { type: 'submit', text: 'Show' }),
        csvLink(function () { return '/v1/reports/exposure?format=csv&as_of=' + asOf.value; },
          function () { return 'levy-exposure-' + asOf.value + '.csv'; }, err));
      main.appendChild(h('h1', { text: 'Exposure' }));
      main.appendChild(h('p', { class: 'muted' },
        'Where you have sales-tax nexus: sales and transactions per US state over its measurement period against its economic-nexus threshold, ' +
        'marketplace sales counted or not as the state says, and physical presence (offices, employees, inventory) entered in ',
        h('a', { href: '#/settings', text: 'Settings' }), '. A state where you have nexus but levy does not collect is listed as a problem.'));
      main.appendChild(form);
      main.appendChild(err);
      main.appendChild(out);
      var abroadOut = h('section', { id: 'exposure-abroad', 'aria-labelledby': 'exposure-abroad-h' });
      main.appendChild(abroadOut);
      main.appendChild(marketplaceSection());
      var rows = [], counting = [], intl = [];
      function show() {
        L.clear(out);
        /* marketplace customers whose sums are still being counted (too many documents for one
         * job run, docs/reports.md): their sales count as direct ones until then */
        if (counting.length) {
          out.appendChild(h('div', { class: 'notice', role: 'status', id: 'exposure-counting' },
            h('strong', { text: 'Marketplace sales still being counted.' }), ' ',
            counting.map(function (c) {
              return 'Customer ' + c.customer_id + ': ' + Number(c.counted).toLocaleString('en-US') + ' of ' +
                (c.documents == null ? 'its' : Number(c.documents).toLocaleString('en-US')) + ' documents counted.';
            }).join(' '),
            ' Until then its sales count as direct sales here, so a state that excludes marketplace sales may show more than it will.'));
        }
        var problems = rows.filter(function (r) { return r.problem; });
        if (problems.length) {
          out.appendChild(h('div', { class: 'notice error', role: 'alert', id: 'exposure-problems' },
            h('strong', { text: problems.length === 1 ? 'One state needs attention:' : problems.length + ' states need attention:' }),
            h('ul', null, problems.map(function (r) {
              return h('li', null, h('a', { href: '#/exposure/' + r.region + '?as_of=' + asOf.value, text: stateLabel(r.region) }), ': ', problemText(r),
                ' — ', h('a', { href: '#/regions', text: 'subscribe the region' }), '.');
            }))));
        }
        var shown = rows.filter(function (r) {
          return all.checked || r.nexus_status !== 'below' || r.sales !== '0.00' || r.transactions > 0 || r.physical_presence.length;
        });
        if (!shown.length) {
          out.appendChild(h('p', { class: 'muted', text: 'No sales into any US state in the measurement periods, and no physical presence entered. Tick "Show every state" to see all thresholds.' }));
          return;
        }
        var tbody = h('tbody', null, shown.map(function (r) {
          return h('tr', null,
            h('th', { scope: 'row' }, h('a', { href: '#/exposure/' + r.region + '?as_of=' + asOf.value }, stateParts(r.region))),
            h('td', null, badge(r.nexus_status), r.nexus_since ? h('div', { class: 'muted date', text: 'since ' + r.nexus_since }) : null),
            h('td', { class: 'num' }, usd(r.sales), h('div', { class: 'muted', text: txns(r.transactions) + '; ' + r.percent + ' % of ' + threshold(r) })),
            h('td', { class: 'date', text: r.crossed_on || '—' }),
            h('td', null, h('span', { class: 'date', text: r.period_start }), ' – ', h('span', { class: 'date', text: r.period_end }),
              h('div', { class: 'muted', text: PERIOD[r.period] || r.period })),
            h('td', { text: presenceText(r.physical_presence) }),
            h('td', null, r.marketplace_sales !== '0.00' ? usd(r.marketplace_sales) : '—',
              h('div', { class: 'muted', text: r.marketplace_rule === 'excluded' ? 'excluded' : (r.marketplace_rule === 'included' ? 'counted' : 'counted (rule not verified)') })),
            h('td', null, r.subscribed ? h('span', { class: 'badge ok', text: 'Yes' }) : h('span', { class: r.nexus_status === 'nexus' ? 'badge bad' : 'badge', text: 'No' })));
        }));
        out.appendChild(L.tableWrap(['State', 'Nexus', 'Sales', 'Threshold crossed on', 'Period',
          'Physical presence', 'Marketplace sales', 'levy collects'], tbody, { id: 'exposure-rows' }));
      }
      function run() {
        L.showError(err, null);
        L.clear(out).appendChild(h('p', { class: 'loading', text: 'Loading…' }));
        /* the rows name each state ("Nevada (US-NV)"): the names first */
        Promise.all([L.api('GET', '/v1/reports/exposure?as_of=' + encodeURIComponent(asOf.value)), L.loadRegions()]).then(function (all) {
          var r = all[0];
          if (!alive) return;
          rows = (r && r.data) || [];
          counting = (r && r.marketplace_counting) || [];
          intl = (r && r.international) || [];
          show();
          showAbroad(abroadOut, intl);
        }, function (e) { if (alive) { L.clear(out); L.showError(err, e, form); } });
      }
      form.addEventListener('submit', function (ev) { ev.preventDefault(); run(); });
      all.addEventListener('change', show);
      run();
      return 'Exposure';
    }
  });

  /* Registration thresholds abroad (issues 19/20): a US seller is a foreign (non-resident) seller
   * elsewhere; per country of data/intl/foreign-seller-thresholds.csv, the sales counted in the
   * threshold's currency (converted with each document's own exchange rate; a document without
   * one is named, not guessed at), the status and the date the threshold was crossed. */
  var ABROAD_STATUS = { exceeded: 'Must register', approaching: 'Approaching (80 % or more)', below: 'Below',
    not_measured: 'Not measured', registered: 'Registered' };
  var ABROAD_TONE = { exceeded: 'bad', approaching: 'warn', below: '', not_measured: '', registered: 'ok' };
  var SCOPE = { b2c: 'consumer sales (B2B left out)', all: 'all sales', worldwide: 'worldwide turnover' };
  function showAbroad(box, list) {
    L.clear(box);
    box.appendChild(h('h2', { id: 'exposure-abroad-h', text: 'Registration thresholds abroad' }));
    box.appendChild(h('p', { class: 'muted', text: 'As a seller established outside these countries, you must register for their VAT or GST ' +
      'once your sales there reach the threshold below (or from the first sale where there is none: the EU countries and Mexico). ' +
      'Amounts are in the threshold\'s currency, converted with each document\'s own exchange rate.' }));
    if (!list.length) { box.appendChild(h('p', { class: 'muted', text: 'No country thresholds are loaded.' })); return; }
    var problems = list.filter(function (r) { return r.problem; });
    if (problems.length) {
      box.appendChild(h('div', { class: 'notice error', role: 'alert', id: 'exposure-abroad-problems' },
        h('strong', { text: problems.length === 1 ? 'One country needs attention:' : problems.length + ' countries need attention:' }),
        h('ul', null, problems.map(function (r) { return h('li', null, r.country + ': ' + r.problem + '.'); }))));
    }
    var tbody = h('tbody', null, list.map(function (r) {
      var st = r.status;
      var thr = r.period === 'first_sale' ? 'None: from the first sale' : L.money(r.threshold, r.currency) + ' a year';
      var unconv = (r.unconverted || []).map(function (u) {
        return u.documents + (u.documents === 1 ? ' document' : ' documents') + ' in ' + u.currency + (u.amount ? ' (' + L.money(u.amount, u.currency) + ')' : '');
      });
      return h('tr', { 'data-country': r.country },
        h('th', { scope: 'row', text: L.regionName(r.country) === r.country ? r.country : L.regionName(r.country) + ' (' + r.country + ')' }),
        h('td', null, h('span', { class: 'badge ' + (ABROAD_TONE[st] || ''), text: ABROAD_STATUS[st] || st }),
          r.note ? h('div', { class: 'muted', text: r.note }) : null),
        h('td', { class: 'num' }, r.scope === 'worldwide' ? '—' : L.money(r.sales, r.currency),
          r.percent ? h('div', { class: 'muted', text: r.percent + ' %' }) : null,
          unconv.length ? h('div', { class: 'muted not-converted', text: 'Not converted, not counted: ' + unconv.join('; ') }) : null),
        h('td', null, thr, h('div', { class: 'muted', text: 'counts ' + (SCOPE[r.scope] || r.scope) })),
        h('td', { class: 'date', text: r.crossed_on || '—' }),
        h('td', null, r.subscribed ? h('span', { class: 'badge ok', text: 'Yes' }) : h('span', { class: r.crossed_on ? 'badge bad' : 'badge', text: 'No' })),
        /* the citation is long: folded, so the figures keep their width */
        h('td', null, h('details', null, h('summary', { text: 'Citation' }), h('p', { class: 'muted', text: r.source }))));
    }));
    box.appendChild(L.tableWrap(['Country', 'Status', 'Sales (12 months)', 'Threshold', 'Crossed on', 'levy collects', 'Source'],
      tbody, { id: 'exposure-abroad-rows' }));
  }

  /* #/exposure/US-XX: the state's measurement and the documents that count. */
  function drill(main, region) {
    var alive = true;
    L.onLeave(function () { alive = false; });
    var asOf = asOfFromHash();
    var err = h('div');
    var out = h('div', { id: 'exposure-documents', style: 'min-height:6rem' });
    main.appendChild(h('p', null, h('a', { href: '#/exposure?as_of=' + asOf, text: '← Exposure' })));
    var title = h('h1', { text: 'Exposure in ' + stateLabel(region) });
    main.appendChild(title);
    main.appendChild(h('div', { class: 'toolbar' }, csvLink(function () {
      return '/v1/reports/exposure/' + encodeURIComponent(region) + '/documents?format=csv&as_of=' + asOf;
    }, function () { return 'levy-exposure-' + region + '-' + asOf + '-documents.csv'; }, err)));
    main.appendChild(err);
    main.appendChild(out);
    function load() {
      Promise.all([L.api('GET', '/v1/reports/exposure/' + encodeURIComponent(region) + '/documents?as_of=' + asOf), L.loadRegions()]).then(function (all) {
        var r = all[0];
        if (!alive) return;
        title.textContent = 'Exposure in ' + stateLabel(region);
        var x = r.exposure;
        L.clear(out);
        var problem = problemText(x);
        if (problem) out.appendChild(h('div', { class: 'notice error', role: 'alert' }, h('strong', { text: problem.charAt(0).toUpperCase() + problem.slice(1) + '.' }), ' ',
          h('a', { href: '#/regions', text: 'Subscribe the region' })));
        out.appendChild(h('dl', { class: 'facts' },
          h('dt', { text: 'Status' }), h('dd', null, badge(x.nexus_status), x.nexus_since ? ' since ' + x.nexus_since : ''),
          h('dt', { text: 'Sales in the period' }), h('dd', { text: usd(x.sales) + ' (' + x.percent + ' % of ' + threshold(x) + '), ' + txns(x.transactions) }),
          h('dt', { text: 'Measurement period' }), h('dd', { text: (PERIOD[x.period] || x.period) + ': ' + x.period_start + ' – ' + x.period_end }),
          h('dt', { text: 'Threshold crossed on' }), h('dd', { text: x.crossed_on || 'not crossed' }),
          h('dt', { text: 'Physical presence' }), h('dd', { text: presenceText(x.physical_presence) }),
          h('dt', { text: 'Marketplace sales' }), h('dd', { text: RULE[x.marketplace_rule] + (x.marketplace_source ? ' (' + x.marketplace_source + ')' : '') }),
          h('dt', { text: 'Source of the threshold' }), h('dd', { id: 'exposure-source' }, sourceWords(x.source),
            h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }), h('span', { class: 'mono', text: x.source })))));
        var docs = r.data || [];
        if (!docs.length) { out.appendChild(h('p', { class: 'muted', text: 'No documents shipped to this state in the period.' })); return; }
        var tbody = h('tbody', null, docs.map(function (d) {
          var sel = h('select', { 'aria-label': 'Marketplace sale: ' + (d.number || d.id) },
            h('option', { value: '', text: 'As the customer is set' }),
            h('option', { value: 'true', text: 'Marketplace sale' }),
            h('option', { value: 'false', text: 'Sold directly' }));
          L.readOnlyOff(sel); /* a read-only session: the PUT is 403 read_only */
          sel.addEventListener('change', function () {
            var v = sel.value === '' ? null : sel.value === 'true';
            L.api('PUT', '/v1/reports/marketplace/' + (d.type === 'invoice' ? 'invoices/' : 'credit-memos/') + encodeURIComponent(d.id),
              { marketplace: v }).then(function () { L.announce('Saved'); load(); }, function (e) { L.showError(err, e); });
          });
          var link = '#/' + (d.type === 'invoice' ? 'invoices/' : 'credit-memos/') + encodeURIComponent(d.id);
          return h('tr', null,
            h('td', null, h('a', { href: link, text: d.number || d.id })),
            h('td', { text: d.type === 'invoice' ? 'Invoice' : 'Credit memo' }),
            h('td', { text: d.date }),
            h('td', { class: 'num', text: usd(d.amount) }),
            h('td', { text: d.marketplace ? 'yes' : 'no' }),
            h('td', { text: d.counted ? 'yes' : 'no (marketplace sale, excluded)' }),
            h('td', { class: 'num', text: usd(d.running_sales) }),
            h('td', null, sel));
        }));
        out.appendChild(L.tableWrap(['Document', 'Type', 'Date', 'Amount', 'Marketplace', 'Counts', 'Running total', 'Set marketplace'], tbody));
      }, function (e) { if (alive) { L.clear(out); L.showError(err, e); } });
    }
    load();
    return 'Exposure in ' + L.regionName(region);
  }

  /* Customers that sell through a marketplace facilitator (every document of theirs is a
   * marketplace sale unless the document says otherwise). */
  function marketplaceSection() {
    var box = h('section', { id: 'marketplace-customers', 'aria-labelledby': 'mk-h' });
    var id = h('input', { type: 'text', name: 'customer_id', autocomplete: 'off', spellcheck: 'false' });
    var err = h('div');
    var list = h('ul');
    var form = h('form', { class: 'toolbar', novalidate: true },
      L.field({ label: 'Customer id (from Rillet)', input: id, field: 'id' }), h('button', { type: 'submit', text: 'Mark as marketplace' }));
    box.appendChild(h('h2', { id: 'mk-h', text: 'Marketplace customers' }));
    box.appendChild(h('p', { class: 'muted', text: 'Sales through a marketplace facilitator (Amazon, Etsy, …) that collects the tax for you. Each state counts or excludes them as its rule says.' }));
    box.appendChild(form);
    box.appendChild(err);
    box.appendChild(list);
    /* a read-only session: marking and Remove are PUTs, 403 read_only (ro23) */
    L.me().then(function (m) { if (m && m.read_only) L.lockWrites(box); });
    function load() {
      /* each customer by its name (issue 20), the Rillet id behind "Technical details"; a
       * customer levy cannot name stays listed by its id */
      Promise.all([L.api('GET', '/v1/reports/marketplace'), L.customerNames()]).then(function (all) {
        var got = { r: all[0], names: (all[0].customers || []).map(function (c) { return all[1][c.customer_id] || null; }) };
        var r = got.r;
        L.clear(list);
        (r.customers || []).forEach(function (c, i) {
          var rm = h('button', { type: 'button', class: 'link', text: 'Remove' });
          rm.addEventListener('click', function () {
            L.api('PUT', '/v1/reports/marketplace/customers/' + encodeURIComponent(c.customer_id), { marketplace: false }).then(load,
              function (e) { L.showError(err, e); });
          });
          var name = got.names[i];
          list.appendChild(h('li', { dataset: { id: c.customer_id } }, h('a', { href: '#/customers/' + encodeURIComponent(c.customer_id), text: name || c.customer_id }), ' ', rm,
            name ? h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }), h('span', { class: 'mono', text: 'Rillet id ' + c.customer_id })) : null));
        });
        if (!(r.customers || []).length) list.appendChild(h('li', { class: 'muted', text: 'None.' }));
      }, function (e) { L.showError(err, e); });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.showError(err, null);
      if (!id.value.trim()) { L.showError(err, { message: 'Enter the customer id.' }); return; }
      L.api('PUT', '/v1/reports/marketplace/customers/' + encodeURIComponent(id.value.trim()), { marketplace: true }).then(function () {
        id.value = ''; L.announce('Saved'); load();
      }, function (e) { L.showError(err, e, form); });
    });
    load();
    return box;
  }

  /* Settings: physical presence per state (offices, employees, inventory) with a from-date. */
  L.presenceSection = function () {
    var box = h('section', { id: 'physical-presence', 'aria-labelledby': 'pp-h' });
    var region = h('select', { name: 'region', required: true }, h('option', { value: '', text: 'Choose a state…' }));
    var kind = h('select', { name: 'kind', required: true }, Object.keys(KIND).map(function (k) { return h('option', { value: k, text: KIND[k] }); }));
    var from = h('input', { type: 'date', name: 'from', required: true });
    var to = h('input', { type: 'date', name: 'to' });
    var note = h('input', { type: 'text', name: 'note', maxlength: 200, autocomplete: 'off' });
    var err = h('div');
    var list = h('div');
    var form = h('form', { class: 'toolbar', novalidate: true, 'aria-label': 'Add physical presence' },
      L.field({ label: 'State', input: region, field: 'region' }), L.field({ label: 'What', input: kind, field: 'kind' }),
      L.field({ label: 'From', input: from, field: 'from' }), L.field({ label: 'Until (optional)', input: to, field: 'to' }),
      L.field({ label: 'Note (optional)', input: note, field: 'note' }), h('button', { type: 'submit', text: 'Add' }));
    box.appendChild(h('h2', { id: 'pp-h', text: 'Physical presence' }));
    box.appendChild(h('p', { class: 'muted' }, 'An office, employees or remote workers, or inventory (e.g. a fulfilment warehouse) in a state gives nexus there from that date, whatever your sales. See ',
      h('a', { href: '#/exposure', text: 'Exposure' }), '.'));
    box.appendChild(form);
    box.appendChild(err);
    box.appendChild(list);
    /* the states with a sales tax (the exposure report's rows), named as /v1/regions names them */
    Promise.all([L.api('GET', '/v1/reports/exposure'), L.api('GET', '/v1/regions').catch(function () { return { data: [] }; })]).then(function (rs) {
      var names = {};
      ((rs[1] && rs[1].data) || []).forEach(function (r) { names[r.code] = r.name; });
      ((rs[0] && rs[0].data) || []).map(function (r) { return { code: r.region, name: names[r.region] || r.region }; })
        .sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; })
        .forEach(function (r) { region.appendChild(h('option', { value: r.code, text: L.regionLabel(r.code, r.name) })); });
    }, function (e) { L.showError(err, e); });
    function load() {
      Promise.all([L.api('GET', '/v1/reports/presence'), L.loadRegions()]).then(function (all) {
        var r = all[0];
        L.clear(list);
        var data = (r && r.data) || [];
        if (!data.length) { list.appendChild(h('p', { class: 'muted', text: 'No physical presence entered.' })); return; }
        var tbody = h('tbody', null, data.map(function (p) {
          var rm = h('button', { type: 'button', class: 'link', text: 'Remove' });
          rm.addEventListener('click', function () {
            L.api('DELETE', '/v1/reports/presence/' + p.id).then(function () { L.announce('Removed'); load(); }, function (e) { L.showError(err, e); });
          });
          return h('tr', null, h('th', { scope: 'row', text: stateLabel(p.region) }), h('td', { text: KIND[p.kind] || p.kind }),
            h('td', { text: p.from }), h('td', { text: p.to || '—' }), h('td', { text: p.note || '' }), h('td', null, rm));
        }));
        list.appendChild(L.tableWrap(['State', 'What', 'From', 'Until', 'Note', { sr: 'Actions' }], tbody, { id: 'presence-rows' }));
      }, function (e) { L.showError(err, e); });
    }
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.showError(err, null, form);
      var body = { region: region.value, kind: kind.value, from: from.value, to: to.value || null, note: note.value || null };
      L.api('POST', '/v1/reports/presence', body).then(function () {
        from.value = ''; to.value = ''; note.value = ''; L.announce('Added'); load();
      }, function (e) { L.showError(err, e, form); });
    });
    load();
    return box;
  };
})();
