/* Regions: subscribe, tax calculation, registration number, effective date; with two or more
 * connections, per legal entity (an entity picker: the default or one connection's own). */
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
      var tbody = null;
      var tableSlot = h('div');
      var errSlot = h('div');
      var count = h('p', { class: 'muted', role: 'status' });
      /* Several legal entities (issue 17): whose regions the table shows (null = the default). */
      var entity = null;
      var entityNote = h('p', { class: 'muted', id: 'entity-note', role: 'status' });
      entityNote.hidden = true;
      /* In the default view, a row notes the entities that have their own value of it (a
         change to the default does not reach them). */
      var entities = [];
      var picker = L.entityPicker(function (e) { entity = e; load(); }, function (list) { entities = list; markOwn(); });
      var loadedSeq = -1, markedSeq = -1;
      function markOwn() {
        /* once per loaded default table: both the rows and the entity list must be there */
        if (entity || loadedSeq !== seq || markedSeq === seq || !entities.length) return;
        var mine = markedSeq = seq;
        entities.forEach(function (e) {
          L.fetchAll('/v1/connections/' + encodeURIComponent(e.id) + '/regions').then(function (data) {
            if (!alive || mine !== seq || entity) return;
            data.forEach(function (r) {
              if (r.source !== 'connection') return;
              var tr = tbody.querySelector('tr[data-code="' + r.code + '"]');
              var slot = tr && tr.querySelector('.own-values');
              if (!slot) return;
              slot.hidden = false;
              slot.textContent = (slot.textContent ? slot.textContent + ', ' : 'Own value: ') + e.label;
            });
          }, function () { /* the note is a hint only */ });
        });
      }
      main.appendChild(h('h1', { text: 'Regions' }));
      main.appendChild(h('p', { class: 'muted', text: 'levy computes tax only for ship-tos in regions that are subscribed with tax calculation on (from the effective date, when set). Changes save at once.' }));
      main.appendChild(h('div', { class: 'toolbar' },
        picker,
        L.field({ label: 'Country', input: country }),
        L.field({ label: 'Search', input: search }),
        h('label', { class: 'check', style: 'margin-bottom:.5rem' }, onlySub, 'Subscribed only')));
      main.appendChild(entityNote);
      /* Rate data (issue 19): the vintage each region's rates come from, when it goes stale,
         and the last `levy rates update` (GET /admin/rates). A failed update is an alert. */
      var ratesNote = h('div', { id: 'rates-update' });
      main.appendChild(ratesNote);
      L.api('GET', '/admin/rates').then(function (rt) {
        if (!alive) return;
        rateByRegion = {};
        (rt.tables || []).forEach(function (t) { (t.regions || []).forEach(function (c) { (rateByRegion[c] = rateByRegion[c] || []).push(t); }); });
        var u = rt.update;
        var stale = (rt.tables || []).filter(function (t) { return t.stale; }).length;
        L.clear(ratesNote);
        if (u && !u.ok) {
          var why = u.error || (u.sources || []).filter(function (x) { return x.status === 'failed'; })
            .map(function (x) { return x.source + ': ' + x.error; }).join('; ');
          ratesNote.appendChild(h('div', { class: 'notice error', role: 'alert' },
            h('strong', { text: 'The last rate update (' + u.checked_at + ') failed; the rates in use stay. ' }), why));
        } else if (u) {
          ratesNote.appendChild(h('p', { class: 'muted', role: 'status', text: 'Last rate update ' + u.checked_at + ': ' +
            (u.sources || []).map(function (x) {
              return L.rateTableWords(x.key || x.source, x.vintage) + ': ' + String(x.status || '').replace(/_/g, ' ');
            }).join(', ') }));
        }
        if (stale) ratesNote.appendChild(h('p', { class: 'notice warn', role: 'status', text: stale + (stale === 1 ? ' rate table is past its' : ' rate tables are past their') + ' stale date: run levy rates update (docs/operations.md).' }));
        fillRates();
      }, function () { /* rate data is a hint on this page */ });
      main.appendChild(errSlot);
      main.appendChild(count);
      bulk = L.bulkProgress('bulk-progress');
      main.appendChild(bulk.el);
      main.appendChild(tableSlot);

      var regions = [];
      function filter() {
        if (!tbody) return;
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

      var countriesDone = false, seq = 0;
      function load() {
        var mine = ++seq;
        /* the region by its name first, its code after it (issue 20); on a phone each row is a
         * block of labelled controls (app.css #regions-table), not a table scrolled sideways */
        var heads = ['Region', { text: 'Country', cls: 'hide-sm' }, { text: 'Tax', cls: 'hide-sm' }, { text: 'Rate data', cls: 'hide-sm' }, 'Subscribed', 'Tax calculation', 'Registration number', 'Effective from'];
        if (entity) heads.push('Applies');
        heads.push({ sr: 'Save status' });
        tbody = h('tbody', null, L.loadingRow(heads.length));
        L.clear(tableSlot).appendChild(L.tableWrap(heads, tbody, { id: 'regions-table' }));
        L.clear(errSlot);
        entityNote.hidden = !entity;
        entityNote.textContent = entity ? 'Regions of ' + entity.label + ': a change here applies to this entity only. "Default" rows follow the default regions until you change them.' : '';
        var path = entity ? '/v1/connections/' + encodeURIComponent(entity.id) + '/regions' : '/v1/regions';
        L.fetchAll(path).then(function (data) {
          if (!alive || mine !== seq) return;
          regions = data;
          if (!countriesDone) {
            countriesDone = true;
            var countries = {};
            data.forEach(function (r) { if (r.country) countries[r.country] = true; });
            /* by name: "United States (US)" (issue 20) */
            Object.keys(countries).map(function (c) { return { code: c, name: L.countryName(c) }; })
              .sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; })
              .forEach(function (c) { country.appendChild(h('option', { value: c.code, text: c.name !== c.code ? c.name + ' (' + c.code + ')' : c.code })); });
          }
          L.clear(tbody);
          if (!data.length) tbody.appendChild(h('tr', null, h('td', { colspan: heads.length, class: 'empty', text: 'No regions: are the rule scripts loaded?' })));
          data.forEach(function (r) { tbody.appendChild(row(r, entity)); });
          fillRates();
          filter();
          loadedSeq = mine;
          markOwn();
        }, function (err) { if (alive && mine === seq) { L.clear(tbody); L.showError(errSlot, err); } });
      }
      function fillRates() {
        if (!tbody || !rateByRegion) return;
        tbody.querySelectorAll('tr[data-code]').forEach(function (tr) {
          var cell = tr.querySelector('td.rate-data'), ts = rateByRegion[tr.dataset.code];
          if (!cell || !ts) return;
          L.clear(cell);
          ts.forEach(function (t) {
            /* in words (issue 20); the source key and vintage id behind "Technical details" */
            cell.appendChild(h('div', { class: 'rate-table', text: L.rateTableWords(t.source, t.vintage) + (t.imported ? ', imported' : '') }));
            cell.appendChild(h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }),
              h('span', { class: 'mono', text: t.source + ' ' + t.vintage })));
            if (t.stale_after) {
              cell.appendChild(h('div', { class: t.stale ? 'badge warn' : 'muted', text: (t.stale ? 'stale since ' : 'stale from ') + t.stale_after }));
            }
          });
        });
      }
      load();
      /* a read-only session (admin23): the rows' controls change regions; the filters stay */
      L.me().then(function (m) { if (alive && m && m.read_only) L.lockWrites(tableSlot); });
      return 'Regions';
    }
  });

  /* A change that re-checks documents answers with `requeue`: its progress (L.bulkProgress). */
  var bulk = null;
  var rateByRegion = null; /* region code -> its rate tables (GET /admin/rates) */
  function follow(run) { if (bulk) bulk.follow(run); }

  /* entity: null (the default regions) or {id, label} (that connection's own view). */
  function row(r, entity) {
    var L_ = L;
    var base = entity ? '/v1/connections/' + encodeURIComponent(entity.id) + '/regions/' : '/v1/regions/';
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
      return L_.api(body ? 'PUT' : 'DELETE', base + encodeURIComponent(r.code), body || undefined).then(function (nr) {
        if (nr && typeof nr === 'object') {
          var run = nr.requeue;
          delete nr.requeue;
          Object.assign(r, nr);
          follow(run);
          sub.checked = !!r.subscribed;
          calc.checked = !!r.tax_calculation;
          if (document.activeElement !== reg) reg.value = r.registration_number || '';
          if (document.activeElement !== eff) eff.value = r.effective_from || '';
          showSource();
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

    /* An entity's view: whether the row is its own or the default, and a way back. */
    var applies = null, srcText = null, reset = null;
    function showSource() {
      if (!applies) return;
      var own = r.source === 'connection';
      srcText.textContent = own ? 'This entity' : 'Default';
      srcText.className = own ? 'badge' : 'muted';
      reset.hidden = !own;
    }
    if (entity) {
      srcText = h('span');
      reset = h('button', { type: 'button', class: 'secondary', text: 'Use default', 'aria-label': 'Use the default for ' + label });
      reset.addEventListener('click', function () { put(null, null); });
      applies = h('td', { class: 'applies' }, srcText, ' ', reset);
      showSource();
    }

    var own = entity ? null : h('div', { class: 'muted own-values' });
    if (own) own.hidden = true;
    tr.appendChild(h('th', { scope: 'row', class: 'region-name' }, L.regionLabelParts(r.code, r.name), own,
      entity ? null : h('div', { style: 'font-size:.8rem;font-weight:normal' }, L.historyLink('region', r.code, label))));
    tr.appendChild(h('td', { class: 'hide-sm', title: r.country || '', text: L.countryName(r.country) }));
    tr.appendChild(h('td', { class: 'hide-sm' }, h('span', { class: 'muted', text: r.tax_type ? L.taxTypeText(r.tax_type) : '' })));
    tr.appendChild(h('td', { class: 'hide-sm rate-data' }));
    /* each control's column name as its label, shown only on a phone (no header row there) */
    function cellLabel(el, text) { return h('label', { class: 'cell-label', for: el.id, text: text }); }
    tr.appendChild(h('td', { class: 'check-cell' }, cellLabel(sub, 'Subscribed'), sub));
    tr.appendChild(h('td', { class: 'check-cell' }, cellLabel(calc, 'Tax calculation'), calc));
    tr.appendChild(h('td', null, cellLabel(reg, 'Registration number'), reg));
    tr.appendChild(h('td', null, cellLabel(eff, 'Effective from'), eff));
    if (applies) tr.appendChild(applies);
    tr.appendChild(st);
    return tr;
  }
})();
