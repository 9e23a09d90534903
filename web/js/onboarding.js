/* Onboarding checklist (issue 20): what a new levy still needs before it taxes correctly, each
 * item computed from levy's own state every time it is drawn (never ticked by hand):
 *   connect      a Rillet connection that is connected        GET /v1/connections
 *   seller       the seller address (it decides origin sourcing) GET /v1/settings
 *   regions      regions subscribed, suggested from the exposure report
 *                                                              GET /v1/regions, /v1/reports/exposure
 *   products     products still on the general (fallback) tax code GET /v1/products
 *   exemptions   where customers' exemptions come from          GET /v1/settings, /v1/customers
 * Shown until every item is done or the user dismisses it (this browser: localStorage). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;
  var KEY = 'levy.onboarding.dismissed';
  var PAGE = 500, MAX_PAGES = 20; /* products/customers read at most 10,000 of each */

  function dismissed() { try { return localStorage.getItem(KEY) === '1'; } catch (e) { return false; } }
  function setDismissed(v) { try { if (v) localStorage.setItem(KEY, '1'); else localStorage.removeItem(KEY); } catch (e) { /* private mode */ } }

  /* every page of a list endpoint (or MAX_PAGES of them): {rows, more} */
  function all(path) {
    var rows = [];
    function page(cursor, n) {
      return L.api('GET', path + L.qs({ limit: PAGE, cursor: cursor })).then(function (r) {
        rows = rows.concat((r && r.data) || []);
        if (r && r.next_cursor && n + 1 < MAX_PAGES) return page(r.next_cursor, n + 1);
        return { rows: rows, more: !!(r && r.next_cursor) };
      });
    }
    return page(null, 0);
  }
  function soft(p, dflt) { return p.then(null, function () { return dflt; }); }
  function plural(n, one, many) { return n.toLocaleString('en-US') + ' ' + (n === 1 ? one : many); }

  /* The state → the items. Exported for the page and for tests (L.onboardingItems). */
  function compute() {
    return Promise.all([
      L.api('GET', '/v1/connections'),
      L.api('GET', '/v1/settings'),
      L.api('GET', '/v1/regions'),
      soft(L.api('GET', '/v1/reports/exposure'), { data: [] }),
      soft(all('/v1/products'), null),
      soft(all('/v1/customers'), null)
    ]).then(function (r) {
      var conns = ((r[0] && r[0].data) || []).filter(function (c) { return c.status === 'connected' || c.status === 'error'; });
      var settings = r[1] || {}, regions = (r[2] && r[2].data) || [], expo = (r[3] && r[3].data) || [];
      var products = r[4], customers = r[5];
      var items = [];

      var live = conns.filter(function (c) { return c.status === 'connected'; });
      items.push({ id: 'connect', done: live.length > 0, title: 'Connect Rillet', href: '#/integrations', link: 'Connect',
        text: live.length ? 'Connected to ' + live.map(function (c) { return (c.subsidiary && c.subsidiary.trade_name) || (c.organization && c.organization.trade_name) || c.id; }).join(', ').replace(/\.?$/, '.')
          : conns.length ? 'A connection needs attention: see its card.' : 'levy imports your invoices from Rillet and writes the tax back.' });

      var sa = settings.seller_address;
      var hasSeller = !!(sa && sa.country && (sa.country !== 'US' || (sa.state && sa.zip_code)));
      items.push({ id: 'seller', done: hasSeller, title: 'Enter your seller address', href: '#/settings', link: 'Settings',
        text: hasSeller ? 'Seller address: ' + [sa.city, sa.state, sa.country].filter(Boolean).join(', ') + '.'
          : 'It decides origin sourcing (states that tax where you ship from) and whether cross-border sales are reverse charged.' });

      var subscribed = regions.filter(function (g) { return g.subscribed && g.tax_calculation !== false; });
      var subCodes = {};
      subscribed.forEach(function (g) { subCodes[g.code] = true; });
      var suggest = expo.filter(function (x) {
        return (x.status === 'exceeded' || x.status === 'approaching' || x.status === 'registered') && x.region && !subCodes[x.region];
      }).map(function (x) { return x.region + (x.status === 'exceeded' ? ' (over the threshold)' : x.status === 'approaching' ? ' (approaching)' : ' (registered)'); });
      var regionsDone = subscribed.length > 0 && !expo.some(function (x) { return (x.status === 'exceeded' || x.status === 'registered') && x.region && !subCodes[x.region]; });
      items.push({ id: 'regions', done: regionsDone, title: 'Subscribe the regions where you collect tax', href: '#/regions', link: 'Regions',
        text: (subscribed.length ? plural(subscribed.length, 'region', 'regions') + ' subscribed. ' : 'levy taxes only ship-tos in subscribed regions. ') +
          (suggest.length ? 'Your sales suggest: ' + suggest.join(', ') + '.' : expo.length ? '' : 'The exposure report suggests regions once invoices are imported.') });

      if (products) {
        var fallback = products.rows.filter(function (p) { return p.tax_code_source === 'default'; }).length;
        items.push({ id: 'products', done: products.rows.length > 0 && fallback === 0, title: 'Review product tax codes', href: '#/products', link: 'Products',
          text: !products.rows.length ? 'No products imported yet.'
            : fallback ? plural(fallback, 'product is', 'products are') + (products.more ? ' (at least)' : '') + ' on the general tax code levy falls back to: a SaaS or digital product may be taxed differently.'
              : 'Every product has a tax code chosen for it.' });
      }

      if (customers) {
        var cd = settings.customer_data || {};
        var configured = (cd.exempt_fields || []).length > 0;
        /* marked exempt, or exempt by a certificate on file that covers today (audit20: a
         * customer with only a certificate was not counted, "No customer is marked exempt") */
        var marked = 0, byCert = 0;
        customers.rows.forEach(function (c) {
          var s = c.exemption_certificates;
          if (s && s.on_file) { if ((s.valid || 0) + (s.expiring || 0) > 0) byCert += 1; }
          else if (c.exempt || (c.exempt_regions || []).length) marked += 1;
        });
        var exempt = marked + byCert;
        var exemptText = !byCert ? plural(marked, 'customer is', 'customers are') + ' marked exempt.'
          : !marked ? plural(byCert, 'customer is', 'customers are') + ' exempt by a certificate on file.'
            : plural(exempt, 'customer is', 'customers are') + ' exempt (' + marked + ' marked, ' + byCert + ' by a certificate on file).';
        items.push({ id: 'exemptions', done: configured || exempt > 0, title: 'Tell levy which customers are exempt', href: '#/customers', link: 'Customers',
          text: exempt ? exemptText
            : configured ? 'levy reads exemptions from the Rillet field' + (cd.exempt_fields.length > 1 ? 's ' : ' ') + cd.exempt_fields.join(', ') + '; no customer is exempt yet.'
              : 'No customer is marked exempt. If some are, mark them on their page, or name the Rillet custom field that says so (Settings → Customer data).' });
      }
      return items;
    });
  }
  L.onboardingItems = compute;

  /* Draws the checklist into `slot` (the landing page), unless dismissed or all done. */
  L.onboarding = function (slot) {
    if (dismissed()) return;
    compute().then(function (items) {
      if (!document.contains(slot)) return;
      L.clear(slot);
      var open = items.filter(function (i) { return !i.done; }).length;
      if (!open) return;
      var hide = h('button', { type: 'button', class: 'link onboarding-dismiss', text: 'Dismiss' });
      hide.addEventListener('click', function () { setDismissed(true); L.clear(slot); L.announce('Checklist dismissed'); });
      slot.appendChild(h('section', { class: 'card onboarding', id: 'onboarding', 'aria-labelledby': 'onboarding-title' },
        h('div', { class: 'row', style: 'justify-content:space-between;align-items:center' },
          h('h2', { id: 'onboarding-title', style: 'margin:0', text: 'Getting started' }), hide),
        h('p', { class: 'muted onboarding-count', text: (items.length - open) + ' of ' + items.length + ' done' }),
        h('ol', { class: 'checklist' }, items.map(function (i) {
          return h('li', { class: i.done ? 'done' : '', dataset: { item: i.id, done: i.done ? 'true' : 'false' } },
            h('span', { class: 'check-mark', 'aria-hidden': 'true', text: i.done ? '\u2713' : '' }),
            h('div', null, h('strong', null, i.title), i.done ? h('span', { class: 'sr-only', text: ' (done)' }) : null,
              h('div', { class: 'muted onboarding-text', text: i.text })),
            i.done ? null : h('a', { href: i.href, class: 'button secondary', text: i.link }));
        }))));
    }, function () { /* the page itself shows what failed */ });
  };
})();
