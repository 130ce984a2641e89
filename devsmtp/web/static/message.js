// The message view: tabs, preview width presets, delete. The mail itself
// stays inside a sandboxed iframe; nothing here reads or runs its content.
"use strict";

(function () {
  var t = devsmtp.t;
  var page = devsmtp.page;
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));

  function select(tab) {
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      var pane = document.getElementById(other.getAttribute("aria-controls"));
      if (pane) pane.classList.toggle("active", selected);
    });
  }
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { select(tab); });
  });
  if (tabs.length) select(tabs[0]);

  var frame = document.querySelector("iframe.preview");
  Array.prototype.forEach.call(document.querySelectorAll("[data-width]"), function (button) {
    button.addEventListener("click", function () {
      var mobile = button.getAttribute("data-width") === "mobile";
      if (frame) frame.classList.toggle("mobile", mobile);
      Array.prototype.forEach.call(document.querySelectorAll("[data-width]"), function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
    });
  });

  var remove = document.getElementById("delete-message");
  if (remove) {
    remove.addEventListener("click", function () {
      devsmtp.confirm(remove.getAttribute("data-confirm")).then(function (ok) {
        if (!ok) return;
        devsmtp.api("DELETE", "/messages/" + encodeURIComponent(String(page.message_id)))
          .then(function () { window.location.assign(page.inbox_url); })
          .catch(function (error) {
            var box = document.getElementById("error");
            box.textContent = t("load_failed") + " " + error.message;
            box.hidden = false;
          });
      });
    });
  }
})();
