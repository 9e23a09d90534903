/* Home dashboard (issue 20): tax due by month and by region this year, and what needs
 * attention — connection health, failed and drifting write-backs, manual tax kept, addresses
 * located at ZIP level only, products on the fallback tax code, exemption certificates expiring
 * within 30 days and documents taxed because one had expired, tax
 * calculated but not in Rillet, regions over or near their economic-nexus threshold, a missing
 * seller address, a rejected reload and jobs that gave up (GET /admin/generation) — each with
 * the link to the filtered list or page that resolves it. Built from the public API only. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  /* All pages of a list (up to 10,000 rows: L.fetchAll); n and whether the count is capped. */
  function count(path, params) {
    return L.fetchAll(path, params).then(function (rows) { return { n: rows.length, rows: rows, capped: rows.length >= 10000 }; });
  }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function them(n) { return n === 1 ? 'it' : 'them'; }
  function showThem(n) { return 'Show ' + them(n); }

  L.page('home', {
    title: 'Home',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      var year = L.today().slice(0, 4);
      var attention = h('ul', { id: 'attention', class: 'attention' }, h('li', { class: 'loading', text: 'Checking…' }));
      var chart = h('div', { id: 'home-chart' });
      var quarters = h('div', { id: 'home-quarters' });
      var regions = h('div', { id: 'home-regions' });
      main.appendChild(h('h1', { text: 'Home' }));
      // the getting-started checklist (web/js/onboarding.js) until it is done or dismissed
      var onboard = h('div');
      main.appendChild(onboard);
      if (L.onboarding) L.onboarding(onboard);
      main.appendChild(h('section', { class: 'card', 'aria-labelledby': 'attention-title' },
        h('h2', { id: 'attention-title', text: 'Needs attention' }), attention));
      main.appendChild(h('section', { class: 'card', 'aria-labelledby': 'home-tax-title' },
        h('h2', { id: 'home-tax-title', text: 'Tax due in ' + year }),
        h('p', { class: 'muted' }, 'Tax Rillet holds on this year\'s invoices less credit memos. ',
          h('a', { href: '#/filing?year=' + year, text: 'Open the filing report' }), '.'),
        quarters, chart, regions));

      /* what is owed for each quarter so far (issue 20: "what do we owe for Q1 in each state, and
       * which invoices make it up" in two clicks): each quarter links to the Filing report of that
       * quarter (each state's row, its documents, the CSV); its total is the report's own */
      var QMONTHS = ['January to March', 'April to June', 'July to September', 'October to December'];
      var started = [1, 2, 3, 4].filter(function (q) { return year + '-' + pad2(q * 3 - 2) + '-01' <= L.today(); });
      Promise.all(started.map(function (q) {
        var m2 = q * 3, end = new Date(Date.UTC(Number(year), m2, 0)).getUTCDate();
        return L.api('GET', '/v1/reports/filing' + L.qs({ from: year + '-' + pad2(m2 - 2) + '-01', to: year + '-' + pad2(m2) + '-' + pad2(end) }));
      })).then(function (all) {
        if (!alive) return;
        L.clear(quarters).appendChild(L.tableWrap(['Quarter', { text: 'Tax due', cls: 'num' }], h('tbody', null, all.map(function (r, i) {
          var q = started[i], t = (r && r.totals) || {}, curs = Object.keys(t).sort();
          var due = curs.filter(function (c) { return !L.isZero(t[c].tax_due); }).map(function (c) { return L.money(t[c].tax_due, c); });
          return h('tr', { 'data-quarter': 'Q' + q },
            h('td', null, h('a', { href: '#/filing?year=' + year + '&period=Q' + q, text: 'Q' + q + ' ' + year }),
              h('span', { class: 'muted', text: ' ' + QMONTHS[q - 1] })),
            h('td', { class: 'num', text: due.length ? due.join(', ') : 'Nothing due' }));
        })), { id: 'home-quarters-table' }));
        quarters.appendChild(h('p', { class: 'muted', text: 'Open a quarter for the tax due in each region, the invoices behind it and a CSV for your accountant.' }));
      }, function (err) { if (alive) L.clear(quarters).appendChild(L.errorNotice(err)); });

      var from = year + '-01-01', to = L.today();
      L.api('GET', '/v1/reports/filing' + L.qs({ from: from, to: to, frequency: 'month' })).then(function (r) {
        if (alive) L.clear(chart).appendChild(L.filingMonthChart(r, year));
      }, function (err) { if (alive) L.clear(chart).appendChild(L.errorNotice(err)); });
      Promise.all([L.api('GET', '/v1/reports/filing' + L.qs({ from: from, to: to, frequency: 'year' })), L.loadRegions()]).then(function (all) {
        var r = all[0];
        if (!alive) return;
        var rows = ((r && r.data) || []).filter(function (x) { return !L.isZero(x.tax_due); });
        rows.sort(function (a, b) { var c = L.decCmp(b.tax_due, a.tax_due); return c || (a.region < b.region ? -1 : 1); });
        L.clear(regions).appendChild(rows.length ? L.tableWrap(['Region', { text: 'Taxable sales', cls: 'num hide-sm' }, { text: 'Tax due', cls: 'num' }],
          h('tbody', null, rows.map(function (x) {
            return h('tr', null, h('td', null, h('a', { href: '#/filing?year=' + year + '&region=' + encodeURIComponent(x.region || ''), text: L.regionLabel(x.region) })),
              h('td', { class: 'num hide-sm', text: L.money(x.net_taxable_sales, x.currency) }), h('td', { class: 'num', text: L.money(x.tax_due, x.currency) }));
          })), { id: 'home-regions-table' }) : h('p', { class: 'empty', text: 'No tax due yet this year.' }));
      }, function (err) { if (alive) L.clear(regions).appendChild(L.errorNotice(err)); });

      /* what needs attention: each check adds its items; nothing found -> one reassuring line */
      var items = [], pending = 0;
      function add(tone, text, href, linkText) {
        items.push(h('li', { class: 'notice ' + tone }, h('span', { text: text + ' ' }), h('a', { href: href, text: linkText })));
      }
      function done() {
        pending -= 1;
        if (pending > 0 || !alive) return;
        L.clear(attention);
        if (!items.length) attention.appendChild(h('li', { class: 'notice ok', id: 'attention-none', text: 'Nothing needs your attention: connections are healthy and every tax levy calculated is in Rillet.' }));
        items.forEach(function (li) { attention.appendChild(li); });
      }
      function check(p) { pending += 1; p.then(done, function (err) { items.push(h('li', null, L.errorNotice(err))); done(); }); }

      check(L.api('GET', '/v1/connections').then(function (r) {
        ((r && r.data) || []).forEach(function (c) {
          var st = c.health && c.health.state;
          if (st && st !== 'connected') {
            add(st === 'awaiting_webhook' || st === 'setup' ? 'warn' : 'error',
              'Connection ' + ((c.organization && c.organization.trade_name) || c.id) + ': ' + (c.health.sentence || st.replace(/_/g, ' ')), '#/integrations', 'Open Integrations');
          }
        });
      }));
      [['invoices', 'invoice', 'invoices'], ['credit-memos', 'credit memo', 'credit memos']].forEach(function (k) {
        /* plain words (issue 20): what it is and what to do, in a sentence; the link names one or many */
        check(count('/v1/' + k[0], { tax_status: 'failed' }).then(function (c) {
          if (!c.n) return;
          add('error', 'levy could not calculate or write the tax on ' + plural(c.n, k[1], k[2]) + (c.capped ? ' or more' : '') +
            ': open ' + them(c.n) + ' to see why and what to fix.', '#/' + k[0] + '?tax_status=failed', showThem(c.n));
          items[items.length - 1].id = 'attention-failed-' + k[0];
        }));
        check(count('/v1/' + k[0], { tax_status: 'drift' }).then(function (c) {
          if (!c.n) return;
          add('warn', plural(c.n, k[1] + ' has', k[2] + ' have') + ' a different tax in Rillet from the one levy wrote: someone changed it in Rillet afterwards, and levy does not write a paid or closed ' +
            k[1] + ' again. Check the tax in Rillet and correct it there if it is wrong.', '#/' + k[0] + '?tax_status=drift', showThem(c.n));
          items[items.length - 1].id = 'attention-drift-' + k[0];
        }));
        check(count('/v1/' + k[0], { reason: 'manual_tax_kept' }).then(function (c) {
          if (!c.n) return;
          add('warn', plural(c.n, k[1] + ' keeps', k[2] + ' keep') + ' tax typed by hand in Rillet, which levy did not overwrite. Check that the tax on ' +
            (c.n === 1 ? 'it' : 'each') + ' is right.', '#/' + k[0] + '?reason=manual_tax_kept', showThem(c.n));
          items[items.length - 1].id = 'attention-manual-' + k[0];
        }));
        // addresses located at ZIP level only (a ZIP spanning several rates, or a city tax the
        // address could not settle): the list's total, one small request
        check(L.api('GET', '/v1/' + k[0] + L.qs({ precision: 'imprecise', limit: 1 })).then(function (r) {
          var n = (r && r.total) || 0;
          if (n) {
            add('warn', plural(n, k[1] + ' was', k[2] + ' were') + ' taxed at a ZIP-level rate: the address matches more than one rate. Add the ZIP+4 or the street to the customer\'s address in Rillet to be sure.',
              '#/' + k[0] + '?precision=imprecise', showThem(n));
            items[items.length - 1].id = 'attention-precision-' + k[0];
          }
        }));
        /* documents taxed because the customer's exemption certificate for the region had
         * expired (or was not yet valid) on their date: a renewed certificate exempts them */
        check(L.api('GET', '/v1/' + k[0] + L.qs({ certificate: 'expired', limit: 1 })).then(function (r) {
          var n = (r && r.total) || 0;
          if (n) {
            add('warn', plural(n, k[1] + ' was', k[2] + ' were') + ' taxed because the customer\'s exemption certificate had expired on ' +
              (n === 1 ? 'its' : 'their') + ' date. If the customer is still exempt, upload the renewed certificate on the customer\'s page.', '#/' + k[0] + '?certificate=expired', showThem(n));
            items[items.length - 1].id = 'attention-cert-expired-' + k[0];
          }
        }));
      });
      /* exemption certificates expiring within 30 days (the customer's page takes the renewed
       * one); a document dated after expiry is taxed and flagged */
      check(L.api('GET', '/v1/exemption-certificates' + L.qs({ expiring_within_days: 30, limit: 5 })).then(function (r) {
        var list = (r && r.data) || [];
        list.forEach(function (c, i) {
          var days = c.days_until_expiry;
          add('warn', 'Exemption certificate ' + c.number + ' of ' + (c.customer_name || 'a customer') + ' expires on ' + c.expires +
            (typeof days === 'number' ? (days === 0 ? ' (today)' : ' (in ' + plural(days, 'day', 'days') + ')') : '') +
            ': ask the customer for a renewed certificate and upload it, or their later invoices are taxed.',
            '#/customers/' + encodeURIComponent(c.customer_id), 'Open the customer');
          items[items.length - 1].id = 'attention-certificate-' + (i + 1);
        });
        if (r && r.truncated) {
          add('warn', 'More exemption certificates expire within 30 days.', '#/customers', 'Open Customers');
          items[items.length - 1].id = 'attention-certificate-more';
        }
      }));
      /* tax levy calculated this year that Rillet does not hold (paid before levy calculated it,
       * waiting for its write-back, a region not collecting, ...): the liability report's count,
       * summed on the server (its list is a page: limit 1) */
      check(L.api('GET', '/v1/reports/liability' + L.qs({ from: from, to: to, not_collected_limit: 1 })).then(function (r) {
        var n = (r && r.not_collected_count) || 0;
        if (!n) return;
        var why = {}, tot = (r && r.not_collected_totals) || {};
        Object.keys(tot).forEach(function (cur) {
          var by = tot[cur].by_reason || {};
          Object.keys(by).forEach(function (k) { why[k] = (why[k] || 0) + by[k].documents; });
        });
        var parts = Object.keys(why).sort(function (a, b) { return why[b] - why[a]; }).map(function (k) {
          /* only the sentence's first letter lowered: "Rillet" stays a name */
          var w = (L.notCollectedText ? L.notCollectedText(k) : k.replace(/_/g, ' ')).replace(/:.*$/, '');
          return why[k] + ' ' + w.charAt(0).toLowerCase() + w.slice(1);
        });
        add('warn', plural(n, 'document', 'documents') + ' of ' + year + (n === 1 ? ' has' : ' have') + ' tax levy calculated that is not in Rillet' +
          (parts.length ? ' (' + parts.join('; ') + ')' : '') + '.', '#/reports' + L.qs({ from: from, to: to, list: 'not-collected' }), 'See which and why');
        items[items.length - 1].id = 'attention-not-collected';
      }));
      /* the reports' sums kept on write (issue 20): the last check (daily, or an operator's)
       * found them differing from the documents: the Filing report's notice rebuilds them */
      check(L.api('GET', '/v1/reports/filing/sums').then(function (s) {
        var said = L.keptSumsProblems(s);
        if (!said.length) return;
        add('warn', said.join(' ') + ' The reports may be wrong until they are rebuilt.', '#/filing', 'Rebuild on the Filing report');
        items[items.length - 1].id = 'attention-kept-sums';
      }, function () { /* older rillet plugin: nothing to show */ }));
      /* rate data (issue 19): the last `levy rates update` failed, or a rate table serving a
       * subscribed region is past its stale date (tax calculated on rates that may have
       * changed); the Regions page shows each table and its date */
      check(Promise.all([L.api('GET', '/admin/rates'), L.fetchAll('/v1/regions')]).then(function (all) {
        var rt = all[0] || {}, sub = {}, u = rt.update;
        (all[1] || []).forEach(function (x) { if (x.subscribed) sub[x.code] = true; });
        if (u && u.ok === false) {
          add('error', 'The last rate update' + (u.checked_at ? ' (' + L.time(u.checked_at) + ')' : '') + ' failed; levy keeps calculating with the rates it has. Ask your administrator to run levy rates update again.',
            '#/regions', 'See the rate tables');
          items[items.length - 1].id = 'attention-rates-update';
        }
        var codes = [], n = 0;
        (rt.tables || []).forEach(function (t) {
          var mine = (t.regions || []).filter(function (c) { return sub[c]; });
          if (!t.stale || !mine.length) return;
          n += 1;
          mine.forEach(function (c) { if (codes.indexOf(c) < 0) codes.push(c); });
        });
        if (!n) return;
        codes.sort();
        /* "California (US-CA), Maine (US-ME) and New York (US-NY)" (L.listWords) */
        var names = L.listWords(codes.slice(0, 5).map(function (c) { return L.regionLabel(c); }).concat(codes.length > 5 ? [(codes.length - 5) + ' more'] : []));
        add('warn', 'The rates for ' + names + ' come from ' + plural(n, 'table', 'tables') + ' past ' + (n === 1 ? 'its' : 'their') +
          ' stale date: tax may be calculated on rates that have changed since. Ask your administrator to run levy rates update.', '#/regions', 'See the rate tables');
        items[items.length - 1].id = 'attention-rates-stale';
      }, function () { /* rate data not readable here: the Regions page says why */ }));
      /* levy itself (issue 20): the last reload of rules and plugins was rejected (the previous
       * generation keeps serving: a fix is not live), and background jobs that gave up after
       * their retries in the last days; the Rules page shows both with the error of each */
      check(L.api('GET', '/admin/generation').then(function (g) {
        var lr = g && g.last_reload;
        if (lr && lr.status === 'rejected') {
          add('error', 'The last change to the tax rules or plugins (' + L.time(lr.at) + ') was refused' +
            (lr.file ? ' because of an error in ' + lr.file + (lr.line ? ' line ' + lr.line : '') : '') +
            ': levy keeps calculating with the rules it had before, so that change is not in effect. Ask your administrator to fix it and reload.',
            '#/rules', 'See the error');
          items[items.length - 1].id = 'attention-reload-rejected';
        }
        var dj = (g && g.dead_jobs) || {}, n = dj.total || 0;
        if (!n) return;
        var what = [];
        (dj.latest || []).forEach(function (j) { var w = L.jobText(j.kind); if (what.indexOf(w) < 0) what.push(w); });
        add('error', 'levy gave up on ' + plural(n, 'background task', 'background tasks') + ' in the last ' + (dj.days || 7) + ' days after retrying ' +
          them(n) + (what.length ? ' (' + L.listWords(what.slice(0, 3).concat(what.length > 3 ? [(what.length - 3) + ' more'] : [])) + ')' : '') +
          ': what ' + (n === 1 ? 'it was' : 'they were') + ' doing did not happen. See why, and retry once the cause is fixed.', '#/rules', 'See the tasks');
        items[items.length - 1].id = 'attention-dead-jobs';
      }, function () { /* not readable here: the Rules page says why */ }));
      /* the seller address (issue 20): it decides origin sourcing (states that tax where the
       * seller ships from) and whether levy is established in a country (reverse charge); the
       * getting-started checklist says it only until dismissed: same test as its item */
      check(L.api('GET', '/v1/settings').then(function (st) {
        var sa = st && st.seller_address;
        if (sa && sa.country && (sa.country !== 'US' || (sa.state && sa.zip_code))) return;
        add('warn', (sa && sa.country === 'US' ? 'Your seller address has no state or ZIP code' : 'Your seller address is not entered') +
          ': levy needs it to tax sales in states that tax where you ship from, and to know in which countries you are established (cross-border sales reverse charged). Enter it in Settings.',
          '#/settings', 'Enter the seller address');
        items[items.length - 1].id = 'attention-seller-address';
      }));
      check(count('/v1/products').then(function (c) {
        var n = c.rows.filter(function (p) { return !p.tax_code_source || p.tax_code_source === 'default'; }).length;
        if (n) add('warn', plural(n, 'product is', 'products are') + ' on the fallback tax code: check how each is taxed.', '#/products?source=default', 'Review products');
      }));
      /* economic nexus (issue 20): a state over its threshold with the date the threshold was
       * crossed (crossed_on: the first day the test was met, not the day levy noticed it),
       * physical presence where levy does not collect, a state near its threshold; each
       * state by its name, linked to its Exposure drill-down */
      check(Promise.all([L.api('GET', '/v1/reports/exposure'), L.loadRegions()]).then(function (all) {
        var r = all[0];
        ((r && r.data) || []).forEach(function (x) {
          if (x.status === 'registered') return;
          var code = x.region || ('US-' + x.state), link = '#/exposure/' + encodeURIComponent(code);
          if (x.threshold_status === 'exceeded') {
            add('error', L.regionLabel(code) + ' is over its economic-nexus threshold (' + L.money(x.sales, x.currency) + ' of ' + L.money(x.sales_threshold, x.currency) + ')' +
              (x.crossed_on ? ', crossed on ' + x.crossed_on : '') + ': register there and subscribe the region.', link, 'See exposure');
            items[items.length - 1].id = 'attention-nexus-' + code;
          } else if (x.problem && L.exposureProblem) {
            var p = L.exposureProblem(x);
            add('error', p.charAt(0).toUpperCase() + p.slice(1) + '.', link, 'See exposure');
            items[items.length - 1].id = 'attention-nexus-' + code;
          } else if (x.threshold_status === 'approaching') {
            add('warn', L.regionLabel(code) + ' is approaching its economic-nexus threshold (' + x.percent + ' %).', link, 'See exposure');
            items[items.length - 1].id = 'attention-nexus-' + code;
          }
        });
        /* abroad (issues 19/20): a country whose foreign-seller registration threshold was
         * crossed (or whose first sale was made) where levy does not collect */
        ((r && r.international) || []).forEach(function (x) {
          if (x.status !== 'exceeded') return;
          var name = L.regionName(x.country) === x.country ? x.country : L.regionName(x.country) + ' (' + x.country + ')';
          add('error', x.period === 'first_sale'
            ? name + ': a foreign seller registers there from the first sale, made on ' + x.crossed_on + ': register there and subscribe the region.'
            : name + ' is over its registration threshold for foreign sellers (' + L.money(x.sales, x.currency) + ' of ' +
              L.money(x.threshold, x.currency) + ' a year), crossed on ' + x.crossed_on + ': register there and subscribe the region.',
            '#/exposure', 'See exposure');
          items[items.length - 1].id = 'attention-abroad-' + x.country;
        });
      }));
      return 'Home';
    }
  });
})();
