/* Boot: take the token from the URL fragment, then route on every hash change. */
(function () {
  'use strict';
  var L = window.levy;
  L.takeTokenFromFragment();
  window.addEventListener('hashchange', function () {
    if (/(?:^#|[#&?])token=/.test(location.hash)) { L.takeTokenFromFragment(); }
    L.route();
  });
  document.getElementById('signout').addEventListener('click', function () {
    L.setToken(null);
    L.showSignIn();
  });
  L.route();
})();
