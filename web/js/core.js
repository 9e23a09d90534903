/* levy web UI core: DOM helpers, API client, token, router, money formatting.
 * Plain browser JavaScript, no build step. Every page talks only to the public API
 * (/v1, /admin) with a browser session token as a Bearer header. Amounts stay decimal strings:
 * they are formatted as text and compared digit by digit (BigInt), never as floats. */
(function () {
  'use strict';
  var L = window.levy = {};
  var TOKEN_KEY = 'levy.session';

  /* ---------- DOM ---------- */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k === 'dataset') Object.keys(v).forEach(function (d) { el.dataset[d] = v[d]; });
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'value') el.value = v;
        /* through the CSSOM: the page's Content-Security-Policy refuses style attributes */
        else if (k === 'style') el.style.cssText = v;
        else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden' || k === 'required' || k === 'readOnly') el[k] = !!v;
        else el.setAttribute(k, v === true ? '' : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  L.h = h; L.clear = clear;

  var uid = 0;
  L.uid = function (p) { uid += 1; return (p || 'f') + '-' + uid; };

  /* A labelled form field. opts: {label, input (element), hint, field (API field path)} */
  L.field = function (opts) {
    var id = opts.input.id || L.uid('in');
    opts.input.id = id;
    var err = h('div', { class: 'field-error', id: id + '-err', role: 'alert' });
    var hint = opts.hint ? h('div', { class: 'hint', id: id + '-hint', text: opts.hint }) : null;
    opts.input.setAttribute('aria-describedby', (hint ? id + '-hint ' : '') + id + '-err');
    if (opts.field) opts.input.dataset.field = opts.field;
    return h('div', { class: 'field' + (opts.cls ? ' ' + opts.cls : '') },
      h('label', { for: id, text: opts.label }), opts.input, hint, err);
  };

  L.announce = function (msg) {
    var live = document.getElementById('live');
    live.textContent = '';
    setTimeout(function () { live.textContent = msg; }, 30);
  };

  /* ---------- session ----------
   * The page never keeps the long-lived API token. It trades a one-time sign-in code
   * (#signin=… from `levy demo`, the first start or `levy signin`; or typed into the form)
   * or a pasted API token for a browser session at POST /v1/session, and keeps only that
   * session token, in sessionStorage (this tab only), sent as a Bearer header: no cookie
   * carries authority, so a cross-site page cannot make requests with it (no CSRF). */
  L.token = function () { try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; } };
  L.setToken = function (t) {
    try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* private mode */ }
  };
  try { sessionStorage.removeItem('levy.api_token'); } catch (e) { /* older pages kept the API token */ }
  /* POST /v1/session with {code} or {api_token}; resolves with the session token. */
  L.startSession = function (body) {
    return L.api('POST', '/v1/session', body, { noAuthRedirect: true, noToken: true }).then(function (r) {
      L.setToken(r.session_token);
      return r;
    });
  };
  L.endSession = function () {
    var had = L.token();
    var done = function () { L.setToken(null); };
    if (!had) return Promise.resolve(done());
    return L.api('DELETE', '/v1/session', undefined, { noAuthRedirect: true }).then(done, done);
  };
  /* #signin=<code> (and, for old links, #token=<api token>) is removed from the address
   * at once, before anything else runs, then exchanged for a session. Returns a promise, or
   * null when the fragment has neither. */
  L.takeSigninFromFragment = function () {
    var m = /(?:^#|[#&?])(signin|token)=([^&]+)/.exec(location.hash);
    if (!m) return null;
    history.replaceState(null, '', location.pathname + location.search + '#/integrations');
    var v = decodeURIComponent(m[2]);
    return L.startSession(m[1] === 'signin' ? { code: v } : { api_token: v }).then(function () {
      L.navigated = false;
      return true;
    }, function (err) {
      L.setToken(null);
      L.showSignIn(err.status === 401
        ? (m[1] === 'signin' ? 'That sign-in link was already used or has expired. Run `levy signin` for a new one.'
          : 'The API token in that link was not accepted.')
        : err.message);
      return false;
    });
  };

  /* ---------- API ---------- */
  function ApiError(status, code, message, details, body) {
    this.status = status; this.code = code; this.message = message;
    this.details = details || []; this.body = body;
  }
  ApiError.prototype = Object.create(Error.prototype);
  L.ApiError = ApiError;

  L.qs = function (params) {
    var parts = [];
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== '') parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    });
    return parts.length ? '?' + parts.join('&') : '';
  };

  /* Returns the decoded JSON body (or text when opts.text). Throws ApiError. */
  L.api = function (method, path, body, opts) {
    opts = opts || {};
    var headers = { 'Accept': opts.text ? 'text/csv, */*' : 'application/json' };
    var tok = opts.noToken ? null : L.token();
    if (tok) headers['Authorization'] = 'Bearer ' + tok;
    var init = { method: method, headers: headers, cache: 'no-store' };
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function (res) {
      return (opts.blob && res.ok ? res.blob() : res.text()).then(function (text) {
        /* opts.headers: {blob, headers} (e.g. a CSV page's X-Levy-Next-Cursor) */
        if (opts.blob && res.ok) return opts.headers ? { blob: text, headers: res.headers } : text;
        var data = null;
        if (text && !(opts.text && res.ok)) {
          try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (res.status === 401 && !opts.noAuthRedirect) {
          L.setToken(null);
          L.showSignIn('Your session has ended. Sign in again.');
        }
        if (!res.ok) {
          var e = data && data.error ? data.error : {};
          throw new ApiError(res.status, e.code || (data && data.status) || 'http_' + res.status,
            e.message || ('HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '')), e.details, data);
        }
        return opts.text ? text : data;
      });
    }, function (err) {
      throw new ApiError(0, 'network', 'Cannot reach levy (' + (err && err.message || 'network error') + ').');
    });
  };

  /* Error display in place: a notice with the message and per-field details. Details
   * whose field matches an input's data-field inside `scope` are shown next to it. */
  /* Plain words (issue 20): a validation error names the field as a person would (the label
   * of the input it belongs to, else the API field path spelled out: "ship_to.zip_code" ->
   * "Ship-to ZIP code", "lines[1].amount" -> "Line 2 amount") and never shows an API path;
   * the error code and the raw field paths stay behind "Technical details". */
  var WORDS = { api_key: 'API key', zip_code: 'ZIP code', ship_to: 'ship-to', ship_from: 'ship-from', id: 'ID',
    tax_id: 'tax ID', subsidiary_id: 'subsidiary', customer_id: 'customer', product_id: 'product', url: 'URL',
    vies_url: 'VIES URL', signing_token: 'webhook signing token', line1: 'address line 1', line2: 'address line 2',
    tax_documents_from: 'tax documents dated from', lines: 'line', iso: 'ISO' };
  function fieldLabel(input) {
    var lab = input && input.labels && input.labels[0];
    return lab ? lab.textContent.replace(/\s+/g, ' ').replace(/[\s:*]+$/, '').trim() : null;
  }
  L.fieldWords = function (path, scope) {
    if (!path) return '';
    var input = scope ? findField(scope, String(path)) : null;
    var own = input && input.dataset.field === String(path) ? fieldLabel(input) : null;
    if (own) return own;
    var out = String(path).replace(/\[(\d+)\]/g, function (m, n) { return ' ' + (Number(n) + 1); }).split('.').map(function (part) {
      var m = /^(\S+)( \d+)?$/.exec(part);
      var name = m ? m[1] : part;
      return (WORDS[name] || name.replace(/_/g, ' ')) + (m && m[2] ? m[2] : '');
    }).join(' ');
    return out.charAt(0).toUpperCase() + out.slice(1);
  };
  var PHRASES = { 'required string': 'is required', 'required': 'is required', 'unknown field': 'is not something levy accepts here',
    'must be a string': 'must be text', 'must be an integer': 'must be a whole number', 'must be a boolean': 'must be yes or no' };
  function plainDetail(m) { return PHRASES[m] || m || ''; }
  /* an API path or endpoint in a message ("no route GET /v1/x") is left out */
  function noPaths(msg) {
    var t = String(msg).replace(/\b(GET|POST|PUT|PATCH|DELETE)\s+(?=\/)/g, '').replace(/\/(v1|admin|webhooks|_sim)\/[^\s,;)]*/g, 'levy').trim();
    return t || 'levy could not do that.';
  }
  L.errorNotice = function (err, scope) {
    var box = h('div', { class: 'notice error', role: 'alert' });
    L.clearFieldErrors(scope);
    if (!err) return box;
    var msg = err instanceof ApiError ? err.message : String(err && err.message || err);
    var details = err.details || [];
    var tech = [];
    var named = details.filter(function (d) { return d.field; });
    if (err.code === 'validation_failed' && named.length) {
      tech.push(msg);
      /* "field: message" (one detail) or a summary: say it with the field's words */
      msg = details.length === 1
        ? L.fieldWords(details[0].field, scope) + ' ' + plainDetail(details[0].message)
        : 'Check ' + named.map(function (d) { return L.fieldWords(d.field, scope); }).join(', ') + '.';
    } else if (noPaths(msg) !== msg) { tech.push(msg); msg = noPaths(msg); }
    box.appendChild(h('strong', { text: msg }));
    if (err.code && err instanceof ApiError && err.status) tech.unshift('HTTP ' + err.status + ' ' + err.code);
    var rest = [];
    details.forEach(function (d) {
      if (d.field) tech.push(d.field + ': ' + (d.message || ''));
      var input = scope && d.field ? findField(scope, d.field) : null;
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        var slot = document.getElementById(input.id + '-err');
        if (slot) { var t = plainDetail(d.message); slot.textContent = /^(is|must)\b/.test(t) ? 'This ' + t + '.' : t; return; }
      }
      rest.push(d);
    });
    if (rest.length && !(details.length === 1 && named.length === 1)) {
      box.appendChild(h('ul', null, rest.map(function (d) {
        return h('li', null, d.field ? L.fieldWords(d.field, scope) + ' ' : '', plainDetail(d.message));
      })));
    }
    if (tech.length) {
      box.appendChild(h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }),
        h('ul', null, tech.map(function (t) { return h('li', null, h('code', { text: t })); }))));
    }
    return box;
  };
  function findField(scope, field) {
    var all = scope.querySelectorAll('[data-field]');
    var best = null;
    for (var i = 0; i < all.length; i++) {
      var f = all[i].dataset.field;
      if (f === field) return all[i];
      /* exempt_regions[1] -> exempt_regions; ship_to -> first ship_to.* input */
      if (!best && (field.indexOf(f + '[') === 0 || field.indexOf(f + '.') === 0 || f.indexOf(field + '.') === 0)) best = all[i];
    }
    return best;
  }
  L.clearFieldErrors = function (scope) {
    if (!scope) return;
    scope.querySelectorAll('[aria-invalid="true"]').forEach(function (el) { el.removeAttribute('aria-invalid'); });
    scope.querySelectorAll('.field-error').forEach(function (el) { el.textContent = ''; });
  };
  /* Put an error (or nothing) into a slot element. */
  L.showError = function (slot, err, scope) {
    clear(slot);
    if (err) slot.appendChild(L.errorNotice(err, scope));
  };
  L.busy = function (btn, on) {
    if (!btn) return;
    btn.disabled = !!on;
    if (on) btn.setAttribute('aria-busy', 'true'); else btn.removeAttribute('aria-busy');
  };

  /* ---------- money and decimals (strings only) ---------- */
  var DEC = /^(-)?(\d+)(?:\.(\d+))?$/;
  function moneyParts(v) {
    if (v && typeof v === 'object') return { amount: v.amount, currency: v.currency };
    return { amount: v, currency: null };
  }
  L.moneyAmount = function (v) { return moneyParts(v).amount; };
  /* Group the integer digits of a decimal string: "1234567.80" -> "1,234,567.80". */
  L.groupDigits = function (s) {
    if (typeof s !== 'string') return s === null || s === undefined ? '' : String(s);
    var m = DEC.exec(s);
    if (!m) return s;
    return (m[1] || '') + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (m[3] !== undefined ? '.' + m[3] : '');
  };
  L.money = function (v, currency) {
    var p = moneyParts(v);
    if (p.amount === null || p.amount === undefined || p.amount === '') return '—';
    var cur = p.currency || currency;
    return L.groupDigits(String(p.amount)) + (cur ? ' ' + cur : '');
  };
  /* A background job's kind in words (Home's and the Rules page's jobs that gave up): what it
   * was doing; an unknown kind is said as it is. */
  var JOB_WORDS = {
    'rillet.import': 'importing documents from Rillet', 'rillet.sweep': 'checking Rillet for changed documents',
    'rillet.process_inbox': 'processing Rillet\'s notifications', 'rillet.calculate': 'calculating the tax of a document',
    'rillet.writeback': 'writing the tax to Rillet', 'rillet.backfill': 'recalculating past documents',
    'rillet.backfill_preview': 'previewing a recalculation of past documents', 'rillet.bulk': 're-checking documents after a settings change',
    'rillet.customers_remap': 're-reading customers after a settings change', 'rillet.filing_sums': 'keeping the reports\' totals',
    'rillet.reconcile': 'comparing levy\'s tax with Rillet\'s', 'reports.export': 'exporting documents for a report',
    'reports.fx_check': 'checking imported exchange rates', 'admin.demo_connect': 'connecting the demo',
    'reports.marketplace_sums': 'counting the marketplace customers\' sales for the exposure report'
  };
  L.jobText = function (kind) { return JOB_WORDS[kind] || kind; };
  /* A list in a sentence (issue 20): ['Texas'] -> "Texas", ['Texas', 'Utah'] -> "Texas and
   * Utah", ['A', 'B', 'C'] -> "A, B and C" (no comma before "and"); empty parts are left out. */
  L.listWords = function (items) {
    var a = (items || []).filter(function (x) { return x !== null && x !== undefined && x !== ''; }).map(String);
    return a.length > 1 ? a.slice(0, -1).join(', ') + ' and ' + a[a.length - 1] : (a[0] || '');
  };
  /* Why a document paid (or refunded) in Rillet keeps the tax it has, as one sentence (issue 20:
   * the reason's words and the rillet plugin's detail, scope.lua status_policy, said the same
   * thing twice: "...levy does not add tax to paid invoices" and "paid in full in Rillet").
   * before: say "before levy calculated the tax" (the lists of tax not collected; a document's
   * page says it in its status already). null for a detail of another shape. */
  L.paidWhy = function (detail, before) {
    var m = /^(paid in full|refunded|partially paid) in Rillet(?: \((.*)\))?$/.exec(String(detail || ''));
    if (!m) return null;
    var head = m[1].charAt(0).toUpperCase() + m[1].slice(1) + ' in Rillet' + (before ? ' before levy calculated the tax' : '');
    if (m[1] === 'partially paid') {
      /* '"Also tax partially paid invoices" is off: Integrations, Which documents levy writes' */
      var p = String(m[2] || '').split(': ');
      return p[0] ? head + ', and ' + p[0] + (p.length > 1 ? ' (' + p.slice(1).join(': ') + ')' : '') : head;
    }
    return head + ': levy does not change the tax of ' + (m[1] === 'refunded' ? 'a refunded credit memo' : 'a settled invoice');
  };
  /* A tax type in words (issue 20 plain words): 'SALES_TAX' -> 'Sales tax'; the acronyms stay. */
  var TAX_TYPES = { SALES_TAX: 'Sales tax', USE_TAX: 'Use tax', LEASE_TRANSACTION_TAX: 'Lease transaction tax',
    AMUSEMENT_TAX: 'Amusement tax', VAT: 'VAT', GST: 'GST', HST: 'HST', PST: 'PST', QST: 'QST' };
  L.taxTypeText = function (t) {
    if (t === null || t === undefined || t === '') return '—';
    if (TAX_TYPES[t]) return TAX_TYPES[t];
    var w = String(t).replace(/_/g, ' ').toLowerCase();
    return w.charAt(0).toUpperCase() + w.slice(1);
  };
  /* Exact compare of two decimal strings: -1, 0, 1 (null when either is not a decimal). */
  L.decCmp = function (a, b) {
    var x = L.decScaled(a, 12), y = L.decScaled(b, 12);
    if (x === null || y === null) return null;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  /* Decimal string -> BigInt scaled by 10^scale (extra digits truncated). */
  L.decScaled = function (s, scale) {
    s = moneyParts(s).amount;
    if (typeof s === 'number' && Number.isInteger(s)) s = String(s);
    if (typeof s !== 'string') return null;
    var m = DEC.exec(s.trim());
    if (!m) return null;
    var frac = (m[3] || '').slice(0, scale);
    while (frac.length < scale) frac += '0';
    var v = BigInt(m[2] + frac);
    return m[1] ? -v : v;
  };
  L.isZero = function (s) { var v = L.decScaled(s, 12); return v !== null && v === BigInt(0); };
  L.percent = function (p) {
    if (p === null || p === undefined) return '—';
    return String(p) + ' %';
  };

  /* ---------- time ---------- */
  L.time = function (iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
  };
  L.today = function () { return new Date().toISOString().slice(0, 10); };

  /* ---------- badges ---------- */
  var TONE = {
    connected: 'ok', done: 'ok', written: 'ok', calculated: 'info', running: 'info', pending: 'warn',
    needs_subsidiary: 'warn', needs_webhook_secret: 'warn', failed: 'bad', drift: 'bad', error: 'bad', deleted: '',
    not_collecting: '', out_of_scope: '', registered: 'ok', below: '', approaching: 'warn', exceeded: 'bad', user: 'info',
    mapping: 'info', 'default': ''
  };
  L.badge = function (value) {
    var v = value === null || value === undefined ? '—' : String(value);
    return h('span', { class: 'badge ' + (TONE[v] || ''), text: v.replace(/_/g, ' ') });
  };

  /* ---------- address precision (issue 19) ---------- */
  var RESOLUTION = {
    address: 'street address (SST address record)', zip4: 'ZIP+4 (SST boundary file)',
    zip5_city: 'ZIP code and city', zip5: 'ZIP code only'
  };
  /* How precisely an answer located the ship-to (result.resolution) and, when its ZIP5 spans
   * several rates (result.ambiguous_zip), a notice asking for the fuller address with the
   * candidates. Returns {text: element for a <dd>, notice: element or null}. */
  L.precision = function (resolution, amb, idp) {
    idp = idp || 'calc';
    var text = resolution ? h('span', { id: idp + '-resolution', dataset: { resolution: resolution } },
      RESOLUTION[resolution] || String(resolution).replace(/_/g, ' ')) : h('span', { text: '—' });
    var notice = null;
    if (amb && amb.candidates && amb.candidates.length) {
      // California (no ZIP+4 data): a candidate is picked by the city (c.city), the ZIP table's
      // answer is the default; elsewhere by its ZIP+4 ranges
      // a special district covering only part of the ZIP (c.district: the candidate inside it;
      // the one outside is the default, charged)
      var byDistrict = amb.candidates.some(function (c) { return !!c.district; });
      // a city covering only part of the ZIP (c.area, c.area_kind: city, police_jurisdiction,
      // outside_cities; the ZIP table's answer is the default, charged)
      var byArea = !byDistrict && amb.candidates.some(function (c) { return !!c.area_kind; });
      // a region the ZIP table prices at two special rates (c.area_kind higher_special, the
      // ZIP table's answer, charged; lower_special, the region's other rate; _wide: more than
      // 2 points apart, a tax of another kind on part of the region, e.g. a tribal nation's)
      var wide = byArea && amb.candidates.some(function (c) { return c.area_kind === 'higher_special_wide'; });
      var bySpecial = byArea && (wide || amb.candidates.some(function (c) { return c.area_kind === 'higher_special'; }));
      // a county-rate state's ZIP the table names after another county's region (c.area_kind
      // zip_county, the ZIP's own county, charged; zip_table_region, the table's)
      var byCounty = byArea && amb.candidates.some(function (c) { return c.area_kind === 'zip_county'; });
      var AREA = { city: 'inside the city ', police_jurisdiction: 'police jurisdiction ', outside_cities: 'outside any city: ',
        higher_special: 'inside the special district: ', lower_special: 'outside it: ',
        higher_special_wide: 'inside the area of the higher special tax: ', lower_special_wide: 'outside it: ',
        zip_county: 'the county the ZIP lies in: ', zip_table_region: 'the ZIP code table\'s region: ' };
      var byCity = !byDistrict && !byArea && amb.candidates.some(function (c) { return !c['default'] && !(c.zip4_ranges || []).length; });
      var rows = amb.candidates.map(function (c) {
        var where = byArea ? (AREA[c.area_kind] || '') + (c.area || '') + (c['default'] ? ' (charged)' : '') :
          byDistrict ? (c.district ? 'inside ' + c.district : 'outside the district' + (c['default'] ? ' (charged)' : '')) :
          byCity ? (c['default'] ? 'charged (default)' + (c.city ? ': city ' + c.city : '') : c.city ? 'city ' + c.city : 'outside any city') :
          c['default'] ? 'the rest of the ZIP' : (c.zip4_ranges || []).join(', ') +
          (c.zip4_ranges_total > (c.zip4_ranges || []).length ? ' and ' + (c.zip4_ranges_total - c.zip4_ranges.length) + ' more' : '');
        return h('tr', null, h('td', { class: 'num', text: L.percent(c.rate) }),
          h('td', { text: (c.jurisdictions || []).join(', ') }), h('td', { text: where || '—' }));
      });
      notice = h('div', { class: 'notice warn', role: 'status', id: idp + '-ambiguous' },
        h('strong', { text: 'ZIP ' + amb.zip + ' spans several rates.' }),
        wide ? ' The ZIP code table prices ' + (amb.candidates[0].area || 'this place') + ' at two rates more than 2 points apart: a tax of part of it (such as a tribal nation\'s on its reservation) applies to this ZIP\'s row, and the table cannot say whether this address is inside; this answer charges the ZIP table\'s rate for this ZIP (the first row). If the address is in a town of the county, give its name; or the ZIP+4 / street address with the state\'s boundary file imported.'
          : byCounty ? ' The ZIP code table names this ZIP after a region of another county; the rates here are set by county, and this answer charges the rate of the county the ZIP lies in (the first row). If the address is in the other county, give its ZIP+4 / street address with the state\'s boundary file imported.'
          : bySpecial ? ' The ZIP code table prices ' + (amb.candidates[0].area || 'this place') + ' at two special rates: a special district covers part of it, and the table cannot say whether this address is inside; this answer charges the ZIP table\'s rate for this ZIP (the first row). Give the ZIP+4 or street address with the state\'s boundary file imported to get the exact rate.'
          : byArea ? ' A city covers only part of this ZIP; this answer charges the ZIP table\'s rate (the first row). If the address is outside the city limits, give the name of the place it is in (another town of the county decides) or the ZIP+4 / street address with the state\'s boundary file imported.'
          : byDistrict ? ' A special district covers only part of this ZIP; this answer charges the rate outside it. Give the ZIP+4 (or the street address) of an address inside the district to get its rate.'
          : byCity ? ' This answer charged the default candidate; give the city of the address to get its rate.'
          : ' This answer used the ZIP code table; give the ZIP+4 (or the street address) to get the exact rate.',
        h('table', { class: 'inner' },
          h('thead', null, h('tr', null, ['Rate', 'Jurisdictions', byCity || byDistrict || byArea ? 'Where' : 'Where (ZIP+4)'].map(function (t, i) {
            return h('th', { scope: 'col', class: i === 0 ? 'num' : null, text: t });
          }))), h('tbody', null, rows)));
    }
    return { text: text, notice: notice };
  };

  /* ---------- dialogs ---------- */
  /* extra (optional): an element shown under the text while the dialog is open (issue 20: the
   * token revocation's "also revoke the tokens it made" checkbox), removed when it closes; the
   * caller reads it after the promise resolves */
  L.confirm = function (title, text, okLabel, extra) {
    var dlg = document.getElementById('confirm');
    var opener = document.activeElement;
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel || 'Confirm';
    var actions = dlg.querySelector('.actions');
    if (extra) actions.parentNode.insertBefore(extra, actions);
    dlg.returnValue = '';
    return new Promise(function (resolve) {
      dlg.addEventListener('close', function once() {
        dlg.removeEventListener('close', once);
        if (extra && extra.parentNode) extra.parentNode.removeChild(extra);
        if (opener && opener.focus && document.contains(opener)) opener.focus();
        resolve(dlg.returnValue === 'ok');
      });
      dlg.showModal();
    });
  };

  /* ---------- lists with cursor pagination ---------- */
  /* Renders rows into tbody with a "Load more" button while next_cursor is set.
   * opts: {path, params, tbody, row(item) -> tr, more (container), empty (text), cols, onPage(items)} */
  L.pagedList = function (opts) {
    var cursor = null, loaded = 0, moreBtn, alive = true;
    var errSlot = h('div');
    clear(opts.more);
    opts.more.appendChild(errSlot);
    moreBtn = h('button', { type: 'button', class: 'secondary', hidden: true, text: 'Load more', onclick: function () { page(); } });
    opts.more.appendChild(h('div', { class: 'more' }, moreBtn));
    function page() {
      L.busy(moreBtn, true);
      var params = Object.assign({}, opts.params || {}, { limit: opts.limit || 50, cursor: cursor });
      return L.api('GET', opts.path + L.qs(params)).then(function (res) {
        if (!alive) return;
        if (!cursor) clear(opts.tbody);
        var items = (res && res.data) || [];
        items.forEach(function (it) { opts.tbody.appendChild(opts.row(it)); });
        loaded += items.length;
        if (!loaded) opts.tbody.appendChild(h('tr', null, h('td', { colspan: opts.cols, class: 'empty', text: opts.empty || 'Nothing here yet.' })));
        cursor = res && res.next_cursor || null;
        moreBtn.hidden = !cursor;
        L.showError(errSlot, null);
        if (opts.onPage) opts.onPage(items, res);
      }, function (err) {
        if (!alive) return;
        if (!cursor) clear(opts.tbody);
        L.showError(errSlot, err);
      }).then(function () { L.busy(moreBtn, false); });
    }
    page();
    return { stop: function () { alive = false; }, reload: function () { cursor = null; loaded = 0; return page(); } };
  };
  /* Issue 20: a list's count and CSV. L.listBar({path, params: fn -> {…}, name}) returns
   * {el, total(n)}: "N found" and a "Download CSV" button that downloads exactly what the
   * filters select (the list endpoint with format=csv). */
  L.listBar = function (opts) {
    var count = h('span', { class: 'muted list-count', role: 'status', text: '' });
    var btn = h('button', { type: 'button', class: 'secondary list-csv', text: 'Download CSV' });
    var err = h('div');
    btn.addEventListener('click', function () {
      L.busy(btn, true);
      L.api('GET', opts.path + L.qs(Object.assign({}, opts.params(), { format: 'csv' })), undefined, { blob: true }).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = h('a', { href: url, download: opts.name + '.csv', hidden: true });
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
        L.showError(err, null);
      }, function (e) { L.showError(err, e); }).then(function () { L.busy(btn, false); });
    });
    return {
      el: h('div', { class: 'toolbar list-bar' }, count, btn, err),
      total: function (n) { count.textContent = n === undefined || n === null ? '' : (Number(n).toLocaleString('en-US') + ' found'); }
    };
  };
  /* Fetch every page of a list (for small lists such as regions and tax codes). */
  L.fetchAll = function (path, params) {
    var all = [];
    function next(cursor) {
      return L.api('GET', path + L.qs(Object.assign({}, params || {}, { limit: 500, cursor: cursor }))).then(function (res) {
        all = all.concat((res && res.data) || []);
        if (res && res.next_cursor && all.length < 10000) return next(res.next_cursor);
        return all;
      });
    }
    return next(null);
  };
  /* Issue 20, plain words: regions by name ("California (US-CA)", not "US-CA"): one cached
   * read of /v1/regions a minute. L.loadRegions() -> the rows (an empty list when levy cannot
   * answer: the labels fall back to the codes); L.regionName(code) -> "California" (the code
   * when unknown); L.regionLabel(code) -> "California (US-CA)", as the Reports page's picker. */
  var regionNames = {}, regionRows = null, regionsLoaded = null;
  L.loadRegions = function () {
    if (!regionsLoaded) {
      regionsLoaded = L.fetchAll('/v1/regions').then(function (list) {
        regionRows = list;
        list.forEach(function (r) { if (r.name) regionNames[r.code] = r.name; });
        return list;
      }, function () { return regionRows || []; });
      setTimeout(function () { regionsLoaded = null; }, 60000);
    }
    return regionsLoaded;
  };
  /* A country by its name (issue 20): "United States" for "US", "European Union" for "EU";
   * the code when the browser cannot name it. */
  var countryNames = null;
  try { countryNames = new Intl.DisplayNames(['en'], { type: 'region' }); } catch (e) { countryNames = null; }
  L.countryName = function (code) {
    if (!code) return '';
    try { return (countryNames && countryNames.of(String(code).toUpperCase())) || code; } catch (e) { return code; }
  };
  /* A country picker (issue 20: a picker, not an ISO code typed as free text): every ISO
   * 3166 code the browser can name, by name ("Germany (DE)"); its value is the code. `empty`:
   * the text of a first, empty choice (none: a country must be picked). A value the list
   * lacks is kept as its own choice; a browser without Intl.DisplayNames gets a text field. */
  var NOT_COUNTRIES = { EU: 1, EZ: 1, UN: 1, QO: 1, XA: 1, XB: 1, ZZ: 1 }, countryList = null;
  /* Whether c is the current code of its country: the browser also names withdrawn codes
   * (UK, DD, SU, FX, YU, HV, DY, ...: "United Kingdom (UK)" beside "United Kingdom (GB)"), which
   * a seller address or a calculation must not carry; Intl.Locale maps them to today's code. */
  function canonicalRegion(c) {
    try { return new Intl.Locale('und-' + c).region === c; } catch (e) { return true; }
  }
  L.countries = function () {
    if (countryList) return countryList;
    var dn = null, out = [];
    try { dn = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }); } catch (e) { dn = null; }
    for (var i = 0; dn && i < 26; i++) {
      for (var j = 0; j < 26; j++) {
        var c = String.fromCharCode(65 + i, 65 + j), n;
        if (NOT_COUNTRIES[c] || !canonicalRegion(c)) continue;
        try { n = dn.of(c); } catch (e) { n = undefined; }
        if (n && n !== c) out.push({ code: c, name: n });
      }
    }
    out.sort(function (a, b) { return a.name.localeCompare(b.name, 'en'); });
    countryList = out;
    return out;
  };
  L.countrySelect = function (name, value, empty) {
    var v = String(value || '').toUpperCase(), list = L.countries(), found = false;
    if (!list.length) return h('input', { type: 'text', name: name, value: v, maxlength: 2, size: 4, autocomplete: 'off', style: 'text-transform:uppercase' });
    var sel = h('select', { name: name });
    if (empty) sel.appendChild(h('option', { value: '', text: empty }));
    list.forEach(function (c) {
      if (c.code === v) found = true;
      sel.appendChild(h('option', { value: c.code, text: c.name + ' (' + c.code + ')' }));
    });
    if (v && !found) sel.appendChild(h('option', { value: v, text: v }));
    sel.value = v;
    return sel;
  };
  /* A whole country's region is named as every country is (L.countryName, the one source of
   * country names here): a rule script's plain name ("Turkey") gave way to the browser's
   * ("Türkiye") on the Regions page's country column and filter but not in the Invoices region
   * picker. A name that says more than the country ("Canada — GST/HST", "European Union — OSS")
   * is kept. */
  function regionOwnName(code, n) {
    if (!n || !/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES[code] || /[—(]/.test(n)) return n;
    var c = L.countryName(code);
    return c && c !== code ? c : n;
  }
  L.regionName = function (code) { return code ? (regionOwnName(code, regionNames[code]) || code) : ''; };
  /* The code is always the one bracket at the end (issue 20): levy's own names carry none
   * ("Canada — GST/HST" -> "Canada — GST/HST (CA)"); a plugin's name that ends in brackets
   * ("Canada (GST/HST)") reads the same, not "Canada (GST/HST) (CA)". */
  L.regionLabel = function (code, name) {
    if (!code) return '—';
    var n = regionOwnName(code, name || regionNames[code]);
    if (!n || n === code) return code;
    var m = /^(.*\S)\s*\(([^()]+)\)\s*$/.exec(n);
    return (m ? m[1] + ' \u2014 ' + m[2] : n) + ' (' + code + ')';
  };
  /* The same label as nodes for a narrow column: the code in its own span, kept whole when
   * the name wraps ("Quebec (CA-QC)", not "Quebec (CA-" / "QC)"). */
  L.regionLabelParts = function (code, name) {
    var label = L.regionLabel(code, name), at = label.lastIndexOf(' (');
    return code && label !== code && at > 0 ? [label.slice(0, at + 1), h('span', { class: 'region-code', text: label.slice(at + 1) })] : [label];
  };
  /* A rate table in words (issue 20), not its source key and vintage id: "avalara-zip5"
   * "2025-12" -> "ZIP rate table of December 2025 (Avalara)". Keys as core/tax/rates.c names
   * them (kind_source, per-state keys "avalara-zip5-CA", "sst-OH") and the update's kinds
   * ("avalara", "wa-rates"); an unknown key stays as it is. */
  var MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  var RATE_TABLES = [
    [/^avalara(-zip5.*)?$/, 'ZIP rate table', 'Avalara'],
    [/^cdtfa$/, 'California district rate table', 'CDTFA'],
    [/^sst-boundary(-.*)?$/, 'Streamlined Sales Tax boundary file', 'SST'],
    [/^sst(-.*)?$/, 'Streamlined Sales Tax rate file', 'SST'],
    [/^ibericode(-vat)?$/, 'EU VAT rate table', 'ibericode'],
    [/^ca(-rates)?$/, 'Canadian rate table', 'levy'],
    [/^national$/, 'national rate table', 'levy'],
    [/^(us-)?overlays?$/, 'US local rate overlays', 'levy'],
    [/^wa-(dor-)?rates$/, 'Washington rate table', 'Washington DOR'],
    [/^wa-(dor-)?zip4$/, 'Washington ZIP+4 table', 'Washington DOR']
  ];
  L.vintageWords = function (v) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v || '');
    if (m && +m[2] >= 1 && +m[2] <= 12) return +m[3] + ' ' + MONTHS[+m[2] - 1] + ' ' + m[1];
    m = /^(\d{4})-(\d{2})$/.exec(v || '');
    if (m && +m[2] >= 1 && +m[2] <= 12) return MONTHS[+m[2] - 1] + ' ' + m[1];
    m = /^(\d{4})[Qq]([1-4])$/.exec(v || '');
    if (m) return 'the ' + ['first', 'second', 'third', 'fourth'][+m[2] - 1] + ' quarter of ' + m[1];
    return v || '';
  };
  L.rateTableWords = function (source, vintage) {
    var s = String(source || '');
    for (var i = 0; i < RATE_TABLES.length; i++) {
      if (RATE_TABLES[i][0].test(s)) {
        var v = vintage && vintage !== 'unknown' ? ' of ' + L.vintageWords(vintage) : '';
        return RATE_TABLES[i][1] + v + ' (' + RATE_TABLES[i][2] + ')';
      }
    }
    return [s, vintage].filter(Boolean).join(' ');
  };
  /* A rates_stale answer (issue 19) as a notice: its message with the table in words, the raw
   * source and vintage behind "Technical details". */
  L.staleNotice = function (rs, id) {
    var raw = rs.source + ' ' + rs.vintage;
    var msg = String(rs.message || '').split(raw).join('the ' + L.rateTableWords(rs.source, rs.vintage));
    return h('div', { class: 'notice warn', id: id, role: 'status' },
      h('strong', { text: 'Rates may be out of date: ' }), msg,
      h('details', { class: 'tech-details' }, h('summary', { text: 'Technical details' }),
        h('span', { class: 'mono', text: 'source ' + rs.source + ', vintage ' + rs.vintage + ', stale_after ' + rs.stale_after })));
  };
  /* The sums levy keeps on write for the reports (issue 20, docs/reports.md "Check and
   * rebuild": the filing summary's, the liability report's collected totals, the list of
   * documents not collected) and what the last check of them found, in plain words: one
   * sentence per kind that differs, [] when nothing does. s: GET /v1/reports/filing/sums. */
  var KEPT = [['liability', 'liability totals'], ['filing', 'filing-report totals'], ['not_collected', 'list of documents not collected']];
  function monthWords(m) {
    var d = /^(\d{4})-(\d{2})$/.exec(m || '');
    if (!d) return m;
    return new Date(Date.UTC(+d[1], +d[2] - 1, 1)).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  }
  L.keptSumsProblems = function (s) {
    var c = s && s.check;
    if (!c || c.state !== 'mismatch') return [];
    var kinds = c.kinds || { filing: { mismatches: c.mismatches, periods: 0, months: [] } };
    var out = [];
    KEPT.forEach(function (k) {
      var x = kinds[k[0]];
      if (!x || !x.mismatches) return;
      if (k[0] === 'not_collected') {
        out.push('The kept ' + k[1] + ' differs from the documents for ' + x.mismatches + ' document' + (x.mismatches === 1 ? '' : 's') + '.');
        return;
      }
      var months = x.months || [];
      var n = x.periods || months.length;
      out.push('The kept ' + k[1] + ' differ from the documents ' + (n ? 'for ' + n + ' period' + (n === 1 ? '' : 's') +
        ' (' + months.slice(0, 3).map(monthWords).join(', ') + (months.length > 3 ? ', …' : '') + ')' : 'in ' + x.mismatches + ' place' + (x.mismatches === 1 ? '' : 's')) + '.');
    });
    return out;
  };
  /* The notice of those problems with the Rebuild button (null when nothing differs); id names
   * the notice, id + '-rebuild' its button. */
  L.keptSumsNotice = function (s, id) {
    var said = L.keptSumsProblems(s);
    if (!said.length) return null;
    var btn = h('button', { type: 'button', class: 'secondary', id: id + '-rebuild', text: 'Rebuild' });
    var box = h('div', { class: 'notice warn', role: 'status', id: id },
      said.map(function (t) { return h('p', { text: t }); }),
      h('p', { text: 'Found by the check of ' + (s.check.finished_at ? L.time(s.check.finished_at) : 'recently') +
        '. The figures may be wrong until the kept sums are rebuilt from the documents.' }), btn);
    L.readOnlyOff(btn);
    btn.addEventListener('click', function () {
      btn.disabled = true;
      L.api('POST', '/v1/reports/filing/sums/rebuild').then(function () {
        clear(box).appendChild(h('p', { text: 'Rebuilding the kept sums from the documents; the reports read the documents meanwhile, and a check runs when the rebuild is done. Reload in a minute.' }));
      }, function (err) { btn.disabled = false; box.appendChild(L.errorNotice(err)); });
    });
    return box;
  };
  /* A jurisdiction as a name (issue 20): the rate tables name them in capitals ("LOS ANGELES",
   * level county) -> "Los Angeles County"; a name already in mixed case stays as it is. */
  var SMALL_WORDS = { of: 1, and: 1, the: 1, in: 1, on: 1, at: 1 };
  L.jurisdictionName = function (name, level) {
    if (name === null || name === undefined || name === '') return '—';
    var s = String(name);
    if (/[a-z]/.test(s) || !/[A-Z]/.test(s)) return s;
    var first = true;
    var out = s.toLowerCase().replace(/[a-z0-9']+/g, function (w) {
      var keep = !first && SMALL_WORDS[w] === 1;
      first = false;
      if (keep) return w;
      if (/^mc[a-z]/.test(w)) return 'Mc' + w.charAt(2).toUpperCase() + w.slice(3);
      return w.charAt(0).toUpperCase() + w.slice(1);
    });
    if (level === 'county' && !/\b(county|parish|borough)\b/i.test(out)) out += ' County';
    return out;
  };
  /* Legal entities (issue 17): each Rillet connection (one subsidiary) may have its own regions
     and settings. With two or more connections a page shows this picker of whose values it
     shows; onPick(entity) gets null (the default: every entity without a value of its own) or
     {id, label}. The returned element stays empty with fewer than two connections; onList
     (optional) gets the entities ([{id, label}]) when the picker is shown. */
  L.entityLabel = function (c) {
    var s = c.subsidiary || {};
    return (s.trade_name || c.id) + (s.currency ? ' (' + s.currency + ')' : '');
  };
  L.entityPicker = function (onPick, onList) {
    var slot = h('div', { class: 'entity-picker' });
    L.api('GET', '/v1/connections').then(function (res) {
      var list = ((res && res.data) || []).filter(function (c) { return c.subsidiary; });
      if (list.length < 2) return;
      var sel = h('select', { name: 'entity', id: 'entity-picker' },
        h('option', { value: '', text: 'Default (every entity)' }));
      list.forEach(function (c) { sel.appendChild(h('option', { value: c.id, text: L.entityLabel(c) })); });
      slot.appendChild(L.field({ label: 'Entity', input: sel,
        hint: 'Whose values you see and change. The default applies to every entity (connection) without a value of its own.' }));
      sel.addEventListener('change', function () {
        var c = list.filter(function (x) { return x.id === sel.value; })[0];
        onPick(c ? { id: c.id, label: L.entityLabel(c) } : null);
      });
      if (onList) onList(list.map(function (c) { return { id: c.id, label: L.entityLabel(c) }; }));
    }, function () { /* no picker: the page shows the default values */ });
    return slot;
  };
  L.tableWrap = function (heads, tbody, extra) {
    return h('div', { class: 'table-wrap' }, h('table', extra || null,
      h('thead', null, h('tr', null, heads.map(function (x) {
        if (typeof x === 'string') return h('th', { scope: 'col', text: x });
        return h('th', { scope: 'col', class: x.cls }, x.sr ? h('span', { class: 'sr-only', text: x.sr }) : x.text);
      }))), tbody));
  };
  /* ---------- progress of a bulk re-check ---------- */
  /* A change that re-checks many documents (a region, a product's tax code, a customer's
   * exemption) answers with `requeue` ({id, documents, state}); the rillet.bulk job's progress
   * is at GET /v1/bulk/{id}. L.bulkProgress(id) returns {el, follow(run)}: el is a status line
   * ("Re-checking 2,914 documents… 1,200 done", then "Re-checked 2,914 documents."), hidden
   * until follow() is given a run; it stops polling once el leaves the page. */
  L.bulkProgress = function (id) {
    var line = h('p', { class: 'muted bulk-progress', role: 'status', id: id || null });
    line.hidden = true;
    var timer = null, gen = 0;
    function n(v) { return (v || 0).toLocaleString('en-US'); }
    function follow(run) {
      if (timer) { clearTimeout(timer); timer = null; }
      gen += 1;
      if (!run || typeof run !== 'object') return;
      var mine = gen, total = run.documents || 0;
      line.hidden = false;
      if (!run.id) { line.textContent = 'No open documents to re-check.'; return; }
      function show(done, finished) {
        var docs = n(total) + (total === 1 ? ' document' : ' documents'); /* "1 document", not "1 documents" */
        line.textContent = finished ? 'Re-checked ' + docs + '.' :
          'Re-checking ' + docs + '… ' + n(done) + ' done';
      }
      show(0, false);
      function poll() {
        timer = null;
        if (mine !== gen || !document.body.contains(line)) return;
        L.api('GET', '/v1/bulk/' + encodeURIComponent(run.id)).then(function (b) {
          if (mine !== gen) return;
          if (b && b.state === 'done') { show(b.done, true); return; }
          show(b && b.done, false);
          timer = setTimeout(poll, 1000);
        }, function () { if (mine === gen) timer = setTimeout(poll, 3000); });
      }
      timer = setTimeout(poll, 500);
    }
    return { el: line, follow: follow };
  };
  L.loadingRow = function (cols) { return h('tr', null, h('td', { colspan: cols, class: 'loading', text: 'Loading…' })); };

  /* ---------- router ---------- */
  var pages = {};
  var cleanup = null;
  L.page = function (name, def) { pages[name] = def; };
  L.onLeave = function (fn) { var prev = cleanup; cleanup = function () { if (prev) prev(); fn(); }; };

  L.route = function () {
    if (cleanup) { try { cleanup(); } catch (e) { /* ignore */ } cleanup = null; }
    var main = document.getElementById('main');
    var dlg = document.getElementById('modal');
    if (dlg.open) dlg.close();
    if (!L.token()) { L.showSignIn(); return; }
    document.getElementById('signout').hidden = false;
    var hash = location.hash.replace(/^#\/?/, '');
    var parts = hash.split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
    var name = parts[0] || 'integrations';
    var def = pages[name];
    if (!def) { name = 'integrations'; def = pages[name]; parts = [name]; }
    document.querySelectorAll('#nav a').forEach(function (a) {
      if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    clear(main);
    var title = def.render(main, parts.slice(1)) || def.title;
    readOnlyNotice(main);
    document.title = title + ' · levy';
    var h1 = main.querySelector('h1');
    if (h1 && L.navigated) { h1.tabIndex = -1; h1.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
    L.navigated = true;
  };
  /* GET /v1/me (admin23): who this tab's session is — kind, role, read_only, may{change,
   * secrets, manage_tokens} — asked once per session token; resolves null when it cannot be
   * read (the pages then offer everything and the API's 403 says why). */
  var me = null, meFor = null;
  L.me = function () {
    var t = L.token();
    if (!me || meFor !== t) {
      meFor = t;
      me = L.api('GET', '/v1/me').then(function (r) { return r || null; }, function () { return null; });
    }
    return me;
  };
  L.READ_ONLY_SENTENCE = 'This session is read-only: you can look at everything, export the documents and use the ' +
    'calculator, but not change anything. ' +
    'Sign in with a full or admin token to make changes.';
  /* Every page of a read-only session says so at the top (admin23). */
  function readOnlyNotice(main) {
    L.me().then(function (m) {
      if (!m || !m.read_only || !document.body.contains(main) || main.querySelector('#read-only-notice')) return;
      main.insertBefore(h('p', { class: 'notice', role: 'note', id: 'read-only-notice', text: L.READ_ONLY_SENTENCE }),
        main.firstChild);
    });
  }
  /* A read-only session's page whose every control writes (Settings): each control added to
   * root, but those inside keep (a selector: the entity picker), is disabled while the page is
   * shown, so nothing offers a change the API would refuse (403 read_only). */
  L.lockWrites = function (root, keep) {
    function lock() {
      root.querySelectorAll('button, input, select, textarea').forEach(function (el) {
        if (keep && el.closest(keep)) return;
        if (el.closest('details.tech') && el.tagName === 'SUMMARY') return;
        el.disabled = true;
      });
    }
    lock();
    var mo = new MutationObserver(lock);
    mo.observe(root, { childList: true, subtree: true });
    L.onLeave(function () { mo.disconnect(); });
  };
  /* A read-only session (GET /v1/me): these controls, each a change the API answers 403
   * read_only, are disabled, titled with the page's notice sentence (ro23). */
  L.readOnlyOff = function () {
    var els = Array.prototype.slice.call(arguments);
    L.me().then(function (m) {
      if (!m || !m.read_only) return;
      els.forEach(function (el) { if (el) { el.disabled = true; el.title = L.READ_ONLY_SENTENCE; } });
    });
  };
  /* What GET /v1/me's `may` says a session may not do (may[what] false: 'export', 'calculate'):
   * these controls disabled, titled with the read-only sentence. The documents export and the
   * calculator are open to a read-only session (roexport24: the routes say read_only_ok), so
   * they follow `may`, not read_only. */
  L.mayOff = function (what) {
    var els = Array.prototype.slice.call(arguments, 1);
    L.me().then(function (m) {
      if (!m || !m.may || m.may[what] !== false) return;
      els.forEach(function (el) { if (el) { el.disabled = true; el.title = L.READ_ONLY_SENTENCE; } });
    });
  };
  L.go = function (hash) { if (location.hash === hash) L.route(); else location.hash = hash; };

  /* ---------- sign-in ---------- */
  L.showSignIn = function (message) {
    if (cleanup) { try { cleanup(); } catch (e) { /* ignore */ } cleanup = null; }
    var dlg = document.getElementById('modal');
    if (dlg.open) dlg.close();
    document.getElementById('signout').hidden = true;
    document.querySelectorAll('#nav a').forEach(function (a) { a.removeAttribute('aria-current'); });
    var main = clear(document.getElementById('main'));
    document.title = 'Sign in · levy';
    var input = h('input', { type: 'password', name: 'signin', autocomplete: 'off', required: true, spellcheck: 'false' });
    var status = h('div');
    var btn = h('button', { type: 'submit', text: 'Sign in' });
    var form = h('form', { class: 'card signin', novalidate: true },
      h('h1', { text: 'Sign in to levy' }),
      h('p', { class: 'muted', text: 'Enter a one-time sign-in code (run `levy signin --data-dir DIR` on the server for one), your own API token (Settings → People and tokens, or `levy token create`) or the API token (DATA_DIR/api-token). This tab keeps only a session, never the token.' }),
      message ? h('div', { class: 'notice error', role: 'alert', text: message }) : null,
      L.field({ label: 'Sign-in code or API token', input: input }),
      status,
      h('div', { class: 'actions' }, btn));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var v = input.value.trim();
      if (!v) { L.showError(status, { message: 'Enter a sign-in code or the API token.' }); input.focus(); return; }
      L.busy(btn, true);
      L.setToken(null);
      /* a code first; what is not a valid code may be the API token */
      L.startSession({ code: v }).catch(function (err) {
        if (err.status !== 401) throw err;
        return L.startSession({ api_token: v });
      }).then(function () {
        input.value = '';
        L.navigated = false;
        if (!/^#\/[a-z]/.test(location.hash)) location.hash = '#/integrations';
        L.route();
        L.announce('Signed in');
      }, function (err) {
        L.setToken(null);
        L.busy(btn, false);
        if (err.status === 401) err = { message: 'That sign-in code or API token was not accepted.' };
        L.showError(status, err);
        input.focus();
      });
    });
    main.appendChild(form);
    input.focus();
  };
})();
