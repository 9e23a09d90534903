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
  document.getElementById('signout').addEventListener('click', function () {
    L.endSession().then(function () { L.showSignIn(); });
  });
  var first = L.takeSigninFromFragment();
  if (first) first.then(function (ok) { if (ok) L.route(); }); else L.route();
})();
