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
    tab.addEventListener("click", function () {
      select(tab);
      if (tab.getAttribute("data-tab") === "checks") runChecks();
    });
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

  // The checks tab: GET /api/messages/{id}/checks once, shown as text only.
  var checksStarted = false;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function names(report, keys) {
    var byKey = {};
    report.scores.forEach(function (score) { byKey[score.client] = score.name; });
    return keys.map(function (key) { return byKey[key] || key; }).join(", ");
  }

  function percent(value) {
    return new Intl.NumberFormat(page.lang, { maximumFractionDigits: 1 }).format(value) + " %";
  }

  function showHtml(pane, report) {
    var body = pane.querySelector('[data-testid="checks-scores"] tbody');
    var list = pane.querySelector('[data-testid="checks-features"]');
    if (!report) {
      list.appendChild(el("li", t("no_html_part")));
      return;
    }
    report.scores.forEach(function (score) {
      var row = el("tr");
      row.setAttribute("data-client", score.client);
      row.appendChild(el("th", score.name)).setAttribute("scope", "row");
      row.appendChild(el("td", percent(score.supported)));
      row.appendChild(el("td", percent(score.partial)));
      row.appendChild(el("td", percent(score.unsupported)));
      body.appendChild(row);
    });
    if (!report.unsupported.length) list.appendChild(el("li", t("all_supported")));
    report.unsupported.forEach(function (feature) {
      var item = el("li");
      item.setAttribute("data-testid", "checks-feature");
      item.setAttribute("data-slug", feature.slug);
      item.appendChild(el("span", t("line", { line: feature.lines.slice(0, 5).join(", ") }),
        "muted"));
      item.appendChild(document.createTextNode(" "));
      var link = el("a", feature.title);
      link.href = feature.url;
      link.rel = "noreferrer";
      item.appendChild(link);
      var parts = [];
      if (feature.unsupported.length) parts.push(t("not_in", { clients: names(report, feature.unsupported) }));
      if (feature.partial.length) parts.push(t("partly_in", { clients: names(report, feature.partial) }));
      item.appendChild(document.createTextNode(" — " + parts.join("; ")));
      list.appendChild(item);
    });
  }

  function showLinks(pane, report) {
    var list = pane.querySelector('[data-testid="checks-links"]');
    if (!report.links.length) list.appendChild(el("li", t("no_links")));
    report.links.forEach(function (link) {
      var item = el("li", undefined, link.problems.length ? "bad" : "");
      item.setAttribute("data-testid", "checks-link");
      if (link.line) item.appendChild(el("span", t("line", { line: link.line }) + " ", "muted"));
      item.appendChild(el("code", link.url));
      var notes = [];
      if (link.fetched && link.ok) notes.push(t("link_answers", { status: link.status }));
      else if (link.ok === false) notes.push(t("link_fails", { reason: link.status || link.note }));
      else if (!link.fetched && /^https?:/i.test(link.url)) notes.push(t("not_fetched"));
      if (link.on_base === false) notes.push(t("not_on_base", { base: report.base_url }));
      if (link.token) notes.push(t("token_state", { state: t("state_" + link.token.state) }));
      item.appendChild(document.createTextNode(" — " + notes.join("; ")));
      list.appendChild(item);
    });
  }

  function showSpam(pane, report) {
    var line = pane.querySelector('[data-testid="checks-spam"]');
    var list = pane.querySelector('[data-testid="checks-spam-rules"]');
    if (!report.available) {
      line.textContent = t("spam_unavailable", { reason: report.reason });
      return;
    }
    var number = new Intl.NumberFormat(page.lang, { minimumFractionDigits: 1 });
    line.textContent = t("spam_score", { score: number.format(report.score),
                                         threshold: number.format(report.threshold) });
    report.rules.forEach(function (rule) {
      var item = el("li");
      item.appendChild(el("code", (rule.points > 0 ? "+" : "") + number.format(rule.points) + " " + rule.name));
      item.appendChild(document.createTextNode(" " + rule.description));
      list.appendChild(item);
    });
  }

  function runChecks() {
    if (checksStarted) return;
    checksStarted = true;
    var pane = document.getElementById("pane-checks");
    var status = document.getElementById("checks-status");
    status.textContent = t("checks_running");
    pane.setAttribute("aria-busy", "true");
    devsmtp.api("GET", "/messages/" + encodeURIComponent(String(page.message_id)) +
                "/checks?lang=" + encodeURIComponent(page.lang))
      .then(function (result) {
        showHtml(pane, result.html);
        showLinks(pane, result.links);
        showSpam(pane, result.spam);
        status.textContent = t("checks_done");
        pane.setAttribute("data-state", "done");
      })
      .catch(function (error) {
        status.textContent = t("load_failed") + " " + error.message;
        checksStarted = false;
      })
      .then(function () { pane.removeAttribute("aria-busy"); });
  }

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
