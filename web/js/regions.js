/* Regions: subscribe, tax calculation, registration number, effective date. */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  L.page('regions', {
    title: 'Regions',
    render: function (main) {
      var alive = true;
      L.onLeave(function () { alive = false; });
      var country = h('select', { name: 'country' }, h('option', { value: '', text: 'All countries' }));
      var search = h('input', { type: 'search', name: 'q', placeholder: 'Code or name' });
      var onlySub = h('input', { type: 'checkbox', name: 'subscribed_only' });
      var tbody = h('tbody', null, L.loadingRow(8));
      var errSlot = h('div');
      var count = h('p', { class: 'muted', role: 'status' });
      main.appendChild(h('h1', { text: 'Regions' }));
      main.appendChild(h('p', { class: 'muted', text: 'levy computes tax only for ship-tos in regions that are subscribed with tax calculation on (from the effective date, when set). Changes save at once.' }));
      main.appendChild(h('div', { class: 'toolbar' },
        L.field({ label: 'Country', input: country }),
        L.field({ label: 'Search', input: search }),
        h('label', { class: 'check', style: 'margin-bottom:.5rem' }, onlySub, 'Subscribed only')));
      main.appendChild(errSlot);
      main.appendChild(count);
      bulk = L.bulkProgress('bulk-progress');
      main.appendChild(bulk.el);
      main.appendChild(L.tableWrap(['Code', 'Region', { text: 'Country', cls: 'hide-sm' }, { text: 'Tax', cls: 'hide-sm' }, 'Subscribed', 'Tax calculation', 'Registration number', 'Effective from', { sr: 'Save status' }], tbody, { id: 'regions-table' }));

      var regions = [];
      function filter() {
        var c = country.value, q = search.value.trim().toLowerCase(), n = 0;
        tbody.querySelectorAll('tr[data-code]').forEach(function (tr) {
          var r = tr._region;
          var show = (!c || r.country === c) && (!q || r.code.toLowerCase().indexOf(q) >= 0 || (r.name || '').toLowerCase().indexOf(q) >= 0) &&
            (!onlySub.checked || tr.querySelector('input[name="subscribed"]').checked);
          tr.hidden = !show;
          if (show) n++;
        });
        count.textContent = n + ' of ' + regions.length + ' regions';
      }
      [country, onlySub].forEach(function (el) { el.addEventListener('change', filter); });
      search.addEventListener('input', filter);

      L.fetchAll('/v1/regions').then(function (data) {
        if (!alive) return;
        regions = data;
        var countries = {};
        data.forEach(function (r) { if (r.country) countries[r.country] = true; });
        Object.keys(countries).sort().forEach(function (c) { country.appendChild(h('option', { value: c, text: c })); });
        L.clear(tbody);
        if (!data.length) tbody.appendChild(h('tr', null, h('td', { colspan: 9, class: 'empty', text: 'No regions: are the rule scripts loaded?' })));
        data.forEach(function (r) { tbody.appendChild(row(r)); });
        filter();
      }, function (err) { if (alive) { L.clear(tbody); L.showError(errSlot, err); } });
      return 'Regions';
    }
  });

  /* A change that re-checks documents answers with `requeue`: its progress (L.bulkProgress). */
  var bulk = null;
  function follow(run) { if (bulk) bulk.follow(run); }

  function row(r) {
    var L_ = L;
    var tr = h('tr', { dataset: { code: r.code } });
    tr._region = r;
    var label = r.name || r.code;
    var sub = h('input', { type: 'checkbox', name: 'subscribed', checked: !!r.subscribed, 'aria-label': 'Subscribed: ' + label });
    var calc = h('input', { type: 'checkbox', name: 'tax_calculation', checked: !!r.tax_calculation, 'aria-label': 'Tax calculation: ' + label });
    var reg = h('input', { type: 'text', name: 'registration_number', value: r.registration_number || '', size: 14, 'aria-label': 'Registration number: ' + label });
    var eff = h('input', { type: 'date', name: 'effective_from', value: r.effective_from || '', 'aria-label': 'Effective from: ' + label });
    var st = h('td', { class: 'status-cell', role: 'status' });
    [sub, calc, reg, eff].forEach(function (el) { el.id = L.uid('rg'); el.dataset.field = el.name; });

    function put(body, el) {
      st.textContent = 'Saving…';
      st.className = 'status-cell muted';
      [sub, calc, reg, eff].forEach(function (x) { x.removeAttribute('aria-invalid'); });
      return L_.api('PUT', '/v1/regions/' + encodeURIComponent(r.code), body).then(function (nr) {
        if (nr && typeof nr === 'object') {
          var run = nr.requeue;
          delete nr.requeue;
          Object.assign(r, nr);
          follow(run);
          sub.checked = !!r.subscribed;
          calc.checked = !!r.tax_calculation;
          if (document.activeElement !== reg) reg.value = r.registration_number || '';
          if (document.activeElement !== eff) eff.value = r.effective_from || '';
        }
        st.textContent = 'Saved';
        st.className = 'status-cell ok';
      }, function (err) {
        if (el && el.type === 'checkbox') el.checked = !el.checked;
        el && el.setAttribute('aria-invalid', 'true');
        st.textContent = '';
        st.className = 'status-cell';
        var d = (err.details || [])[0];
        st.appendChild(h('span', { class: 'field-error', text: d ? d.message : err.message }));
      });
    }
    sub.addEventListener('change', function () { put({ subscribed: sub.checked }, sub); });
    calc.addEventListener('change', function () { put({ tax_calculation: calc.checked }, calc); });
    reg.addEventListener('change', function () { put({ registration_number: reg.value.trim() || null }, reg); });
    eff.addEventListener('change', function () { put({ effective_from: eff.value || null }, eff); });

    tr.appendChild(h('td', null, h('code', { text: r.code })));
    tr.appendChild(h('td', { text: r.name || '' }));
    tr.appendChild(h('td', { class: 'hide-sm', text: r.country || '' }));
    tr.appendChild(h('td', { class: 'hide-sm' }, h('span', { class: 'muted', text: (r.tax_type || '').replace(/_/g, ' ') })));
    tr.appendChild(h('td', null, sub));
    tr.appendChild(h('td', null, calc));
    tr.appendChild(h('td', null, reg));
    tr.appendChild(h('td', null, eff));
    tr.appendChild(st);
    return tr;
  }
})();
