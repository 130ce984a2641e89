// Shared by every inbox page: page data, theme toggle, confirmation dialog.
// Mail content never reaches the DOM through innerHTML here: text only.
"use strict";

var devsmtp = (function () {
  var page = JSON.parse(document.getElementById("page-data").textContent);
  document.documentElement.classList.add("js");
  // Controls marked data-scripted do nothing until their page script has wired
  // them; they stay invisible until then (the page scripts run before
  // DOMContentLoaded), so no click, by a person or a test, lands on a dead button.
  document.addEventListener("DOMContentLoaded", function () {
    document.documentElement.setAttribute("data-ready", "true");
  });

  function t(key, values) {
    var text = page.strings[key] || key;
    if (values) {
      Object.keys(values).forEach(function (name) {
        text = text.split("%(" + name + ")s").join(String(values[name]));
      });
    }
    return text;
  }

  function effectiveTheme() {
    var root = document.documentElement;
    var chosen = root.getAttribute("data-theme");
    if (chosen === "light" || chosen === "dark") return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function labelThemeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var current = effectiveTheme();
    button.textContent = current === "dark"
      ? button.getAttribute("data-label-light")
      : button.getAttribute("data-label-dark");
    button.setAttribute("data-current", current);
  }

  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { window.localStorage.setItem("devsmtp-theme", next); } catch (e) { /* ignore */ }
      labelThemeToggle();
    });
    labelThemeToggle();
  }

  // The language switch keeps whatever the page's address holds now (a search
  // typed after the page loaded lives only in history.replaceState).
  Array.prototype.forEach.call(document.querySelectorAll(".lang-switch a[hreflang]"), function (link) {
    link.addEventListener("click", function (event) {
      var target = new URL(window.location.href);
      target.searchParams.set("lang", link.getAttribute("hreflang"));
      event.preventDefault();
      window.location.assign(target.toString());
    });
  });

  // A <dialog> rather than window.confirm(): styled, translated, and testable.
  // The dialog's "close" event is queued, so it can arrive after the dialog
  // was opened again (Escape, then Delete at once). One pending answer at a
  // time: reopening settles the earlier round with the value it closed with,
  // and a close event that finds the dialog open again is a stale one.
  var confirmDialog = document.getElementById("confirm");
  var settleConfirm = null;
  if (confirmDialog) {
    confirmDialog.addEventListener("close", function () {
      if (confirmDialog.open || !settleConfirm) return;
      var settle = settleConfirm;
      settleConfirm = null;
      settle(confirmDialog.returnValue === "ok");
    });
  }

  function confirmAction(text) {
    if (settleConfirm) {
      var earlier = settleConfirm;
      settleConfirm = null;
      earlier(confirmDialog.returnValue === "ok");
    }
    document.getElementById("confirm-text").textContent = text;
    return new Promise(function (resolve) {
      settleConfirm = resolve;
      confirmDialog.returnValue = "";
      confirmDialog.showModal();
    });
  }

  function api(method, path) {
    return fetch(page.api + path, { method: method, headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(t("request_failed", { status: response.status }));
        return response.status === 204 ? null : response.json();
      });
  }

  // The UI language's medium date and time in Finnish time, with the zone's
  // abbreviation (EET/EEST) as the server-rendered pages show it.
  var dateFormat = new Intl.DateTimeFormat(page.locale || page.lang, {
    dateStyle: "medium", timeStyle: "medium", timeZone: page.timezone
  });
  var zoneFormat = new Intl.DateTimeFormat("en-GB", {
    timeZone: page.timezone, timeZoneName: "short"
  });

  function formatDate(value) {
    var date = new Date(value);
    if (isNaN(date.getTime())) return String(value);
    var zone = zoneFormat.formatToParts(date).filter(function (part) {
      return part.type === "timeZoneName";
    }).map(function (part) { return part.value; }).join("");
    return dateFormat.format(date) + (zone ? " " + zone : "");
  }

  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (time) {
    time.textContent = formatDate(time.getAttribute("datetime"));
  });

  function formatSize(bytes) {
    var units = [["byte", 1], ["kilobyte", 1024], ["megabyte", 1048576]];
    var unit = units[0];
    units.forEach(function (candidate) { if (bytes >= candidate[1]) unit = candidate; });
    return new Intl.NumberFormat(page.lang, {
      style: "unit", unit: unit[0], unitDisplay: "short",
      maximumFractionDigits: unit[1] === 1 ? 0 : 1
    }).format(bytes / unit[1]);
  }

  return { page: page, t: t, confirm: confirmAction, api: api, formatDate: formatDate, formatSize: formatSize };
})();
