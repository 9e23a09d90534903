/* Boot: trade a #signin= code in the URL fragment for a session, then route on every hash
 * change. */
(function () {
  'use strict';
  var L = window.levy;
  var FRAG = /(?:^#|[#&?])(?:signin|token)=/;
  window.addEventListener('hashchange', function () {
    var p = FRAG.test(location.hash) ? L.takeSigninFromFragment() : null;
    if (p) p.then(function (ok) { if (ok) L.route(); }); else L.route();
  });
  /* The menu at phone widths (issue 20): the nav folds into a panel under a Menu button
   * (app.css, max-width 700px); choosing a page, Escape or a click outside closes it. */
  var toggle = document.getElementById('menu-toggle'), nav = document.getElementById('nav');
  function menu(open) {
    toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    nav.classList.toggle('open', open);
  }
  toggle.addEventListener('click', function () {
    var open = toggle.getAttribute('aria-expanded') !== 'true';
    menu(open);
    /* the panel comes before the button in the page: move focus into it */
    if (open) (nav.querySelector('a[aria-current="page"]') || nav.querySelector('a')).focus();
  });
  nav.addEventListener('click', function (ev) { if (ev.target.closest('a')) menu(false); });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && nav.classList.contains('open')) { menu(false); toggle.focus(); }
  });
  document.addEventListener('click', function (ev) {
    if (nav.classList.contains('open') && !nav.contains(ev.target) && !toggle.contains(ev.target)) menu(false);
  });
  window.addEventListener('hashchange', function () { menu(false); });
  document.getElementById('signout').addEventListener('click', function () {
    L.endSession().then(function () { L.showSignIn(); });
  });
  var first = L.takeSigninFromFragment();
  if (first) first.then(function (ok) { if (ok) L.route(); }); else L.route();
})();
