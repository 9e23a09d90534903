/* Settings → People and tokens (issue 20, tokens22, tokens23): a named API token per person or
 * system, so the Activity page says who made each change ("Alice's token"). Create (the token is
 * shown once, with a Copy button; its access: full, admin — may also create and revoke tokens —
 * or read-only: GET only), list (name, access, created, last used, created by) and revoke (the
 * answer names the tokens the revoked one made, to review, and the secrets it set that are
 * still in use — the Sphere key, a connection's Rillet API key or signing token — to replace). Only an admin may create or
 * revoke: anyone else is told so (403 admin_required). The API token from levy's configuration
 * is not listed here and keeps working. Routes: GET / POST /v1/tokens, DELETE
 * /v1/tokens/{name} (core/host/routes.c). */
(function () {
  'use strict';
  var L = window.levy, h = L.h;

  var ACCESS = { admin: 'Admin', full: 'Full', read_only: 'Read-only' };

  /* the revocation's answer: the tokens the revoked one made, for the admin to review */
  function madeNotice(who, r) {
    var made = (r && r.created_tokens) || [];
    var live = made.filter(function (t) { return !t.revoked_at; });
    var withIt = (r && r.revoked_with_it) || [];
    var box = h('div', { class: 'notice ok', role: 'status', id: 'token-revoked' },
      h('p', { text: who + '’s token is revoked.' + (made.length ? '' : ' It made no other token.') }));
    /* issue 20: the live tokens it made, revoked in the same act when the dialog's box was ticked */
    if (withIt.length) box.appendChild(h('p', { id: 'token-revoked-with', text: 'Revoked with it: ' + withIt.join(', ') + '.' }));
    if (made.length) {
      box.appendChild(h('p', { text: live.length
        ? who + '’s token made these tokens. Review them: revoke any that should not stay.'
        : who + '’s token made these tokens; all are revoked already.' }));
      box.appendChild(h('ul', { id: 'token-made' }, made.map(function (t) {
        return h('li', { 'data-token': t.name, text: t.name + ' — ' + (ACCESS[t.role] || t.role) + ', created ' +
          L.time(t.created_at) + (t.revoked_at ? ', revoked' : ', still working') });
      })));
    }
    /* ro23: the secrets it set that are still in use, to replace (they outlive the token) */
    var secrets = (r && r.secrets_set) || [];
    if (secrets.length) {
      box.appendChild(h('p', { text: who + '’s token set these secrets, still in use: replace them, as whoever held the token may still know them.' }));
      box.appendChild(h('ul', { id: 'token-secrets' }, secrets.map(function (x) {
        var what = SECRET_WORDS[x.secret] ? SECRET_WORDS[x.secret] + (x.object_id ? ' of Rillet connection ' + x.object_id : '') : (x.label || x.secret);
        /* a link to where it is replaced: levy never rotates an external secret by itself */
        return h('li', { 'data-secret': x.secret }, what + ' — set ' + L.time(x.set_at) + ' (',
          h('a', { href: SECRET_LINK[x.secret] || '#/settings', text: SECRET_WHERE[x.secret] || 'replace it' }), ')');
      })));
    }
    return box;
  }
  var SECRET_WORDS = { sphere_api_key: 'The Sphere API key', rillet_api_key: 'The Rillet API key',
    rillet_signing_token: 'The webhook signing token' };
  var SECRET_WHERE = { sphere_api_key: 'Settings → Sphere API key: Replace key',
    rillet_api_key: 'Integrations: re-enter the API key', rillet_signing_token: 'Integrations: re-enter the signing token' };
  var SECRET_LINK = { sphere_api_key: '#/settings', rillet_api_key: '#/integrations', rillet_signing_token: '#/integrations' };

  /* meP: a promise of GET /v1/me's answer (admin23): a session that is not an admin is not
   * offered Create nor Revoke (the API would answer 403 admin_required), and is told why. */
  L.tokensSection = function (meP) {
    var admin = true, tokenList = [];
    var status = h('div', { id: 'tokens-status' });
    var tbody = h('tbody', null, h('tr', null, h('td', { colspan: '6', class: 'loading', text: 'Loading…' })));
    var name = h('input', { type: 'text', name: 'token_name', id: 'token-name', autocomplete: 'off', maxlength: '64',
      placeholder: 'e.g. Alice, or ci-deploy' });
    var role = h('select', { name: 'token_role', id: 'token-role' },
      h('option', { value: 'full', text: 'Full: changes everything but tokens' }),
      h('option', { value: 'admin', text: 'Admin: also creates and revokes tokens' }),
      h('option', { value: 'read_only', text: 'Read-only: looks, changes nothing (an auditor, a report script)' }));
    var create = h('button', { type: 'submit', id: 'token-create', text: 'Create token' });
    var form = h('form', { class: 'token-form', novalidate: true },
      L.field({ label: 'Who the token is for', input: name, field: 'name',
        hint: 'A person or a system (up to 64 characters). The Activity page shows its changes as “Name’s token”.' }),
      L.field({ label: 'Access', input: role, field: 'role',
        hint: 'Only an admin can create and revoke tokens, so a full token that leaks cannot make others that outlive it.' }),
      h('div', { class: 'actions' }, create));
    var card = h('section', { class: 'card', id: 'tokens', 'aria-labelledby': 'tokens-h' },
      h('h2', { id: 'tokens-h', text: 'People and tokens' }),
      h('p', { class: 'muted', text: 'Give each person or system a token of its own: it opens levy like the API token, ' +
        'and the Activity page then names who made each change. Revoke a token when someone leaves: it, and every ' +
        'browser session opened with it, stops working at once. The API token from levy’s configuration is not listed ' +
        'here and keeps working.' }),
      L.tableWrap(['Name', 'Access', 'Created', 'Last used', 'Created by', { sr: 'Actions' }], tbody, { id: 'tokens-table' }),
      form, status);

    function load() {
      L.api('GET', '/v1/tokens').then(function (r) {
        L.clear(tbody);
        var list = (r && r.tokens) || [];
        tokenList = list;
        if (!list.length) {
          tbody.appendChild(h('tr', null, h('td', { colspan: '6', class: 'muted', text: 'No named tokens yet.' })));
          return;
        }
        list.forEach(function (t) {
          var revoke = h('button', { type: 'button', class: 'secondary', text: 'Revoke', 'aria-label': 'Revoke ' + t.name + '’s token' });
          revoke.addEventListener('click', function () { doRevoke(t.name, revoke); });
          revoke.hidden = !admin;
          tbody.appendChild(h('tr', { 'data-token': t.name },
            h('td', { 'data-label': 'Name', class: 'token-name', text: t.name }),
            h('td', { 'data-label': 'Access', text: ACCESS[t.role] || (t.read_only ? 'Read-only' : 'Full') }),
            h('td', { 'data-label': 'Created', text: L.time(t.created_at) }),
            h('td', { 'data-label': 'Last used', text: t.last_used_at ? L.time(t.last_used_at) : 'Never' }),
            h('td', { 'data-label': 'Created by', text: t.created_by }),
            h('td', { class: 'num' }, revoke)));
        });
      }, function (err) { L.clear(tbody); L.showError(status, err); });
    }

    /* the live tokens who's token made, by their "Created by" (its own label or one of its
     * UI sessions'); the server revokes by the token's id, and its answer says what it did */
    function madeBy(who) {
      return tokenList.filter(function (t) {
        return t.created_by === who + "'s token" || (t.created_by || '').indexOf('UI session of ' + who + ' ') === 0;
      });
    }

    function doRevoke(who, btn) {
      var kids = madeBy(who), box = null, extra = null;
      if (kids.length) {
        /* issue 20: offer to revoke them in the same act (DELETE ?cascade=tokens) */
        box = h('input', { type: 'checkbox', id: 'revoke-created' });
        extra = h('p', { class: 'field' }, h('label', { for: 'revoke-created' }, box,
          ' Also revoke the ' + (kids.length === 1 ? 'token' : kids.length + ' tokens') + ' ' + who + '’s token made, still working: ' +
          kids.map(function (t) { return t.name; }).join(', ')));
      }
      L.confirm('Revoke ' + who + '’s token?', who + '’s token, and every browser session opened with it, will stop ' +
        'working at once. This cannot be undone: a new token can be created for ' + who + ' afterwards.', 'Revoke', extra).then(function (ok) {
        if (!ok) return;
        var cascade = box && box.checked;
        L.clear(status);
        L.busy(btn, true);
        L.api('DELETE', '/v1/tokens/' + encodeURIComponent(who) + (cascade ? '?cascade=tokens' : '')).then(function (r) {
          status.appendChild(madeNotice(who, r));
          load();
        }, function (err) { L.busy(btn, false); L.showError(status, err); });
      });
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      L.clear(status);
      L.clearFieldErrors(form);
      var v = name.value.trim();
      if (!v) {
        name.setAttribute('aria-invalid', 'true');
        document.getElementById(name.id + '-err').textContent = 'Give the name of the person or system the token is for.';
        name.focus();
        return;
      }
      L.busy(create, true);
      L.api('POST', '/v1/tokens', { name: v, role: role.value }).then(function (r) {
        var out = h('input', { type: 'text', readOnly: true, value: r.token, id: 'token-value', spellcheck: 'false' });
        var copied = h('span', { class: 'muted', role: 'status', id: 'token-copied' });
        var copy = h('button', { type: 'button', class: 'secondary', id: 'token-copy', text: 'Copy' });
        copy.addEventListener('click', function () {
          var done = function () { copied.textContent = 'Copied'; };
          if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(out.value).then(done, function () { out.select(); copied.textContent = 'Press Ctrl+C'; });
          } else {
            out.select();
            try { document.execCommand('copy'); done(); } catch (e) { copied.textContent = 'Press Ctrl+C'; }
          }
        });
        status.appendChild(h('div', { class: 'notice ok', role: 'status', id: 'token-created' },
          h('p', { text: (r.role === 'admin' ? 'Admin token' : r.read_only ? 'Read-only token' : 'Token') + ' for ' + r.name + ' created. Copy it now and hand it to ' + r.name +
            ': levy keeps only its hash and will not show it again.' }),
          h('div', { class: 'field' }, h('label', { for: 'token-value', text: r.name + '’s token' }),
            h('div', { class: 'copy' }, out, copy), copied)));
        name.value = '';
        role.value = 'full';
        out.select();
        load();
      }, function (err) {
        L.showError(status, err, form);
        if (name.getAttribute('aria-invalid') === 'true') name.focus();
      }).then(function () { L.busy(create, false); });
    });
    var note = h('p', { class: 'muted', id: 'tokens-admin-only', hidden: true,
      text: 'Only an admin can create or revoke tokens: the API token, a browser session opened with it or a sign-in ' +
        'link, or a token created as admin. Ask an admin for a new token or to revoke one.' });
    card.insertBefore(note, form);
    (meP || Promise.resolve(null)).then(function (m) {
      admin = !m || m.may.manage_tokens;
      form.hidden = !admin;
      note.hidden = admin;
      load();
    });
    return card;
  };
})();
