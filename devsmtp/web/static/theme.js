// Applies the saved theme before first paint (loaded in <head>, so no flash).
// "auto" leaves the choice to prefers-color-scheme through CSS color-scheme.
(function () {
  "use strict";
  var saved = null;
  try { saved = window.localStorage.getItem("devsmtp-theme"); } catch (e) { /* private mode */ }
  if (saved === "light" || saved === "dark") {
    document.documentElement.setAttribute("data-theme", saved);
  }
})();
