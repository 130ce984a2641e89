// The inbox list: loads pages from the JSON API, follows /api/events live.
"use strict";

(function () {
  var page = devsmtp.page;
  var t = devsmtp.t;
  var form = document.getElementById("filters");
  var rows = document.getElementById("rows");
  var more = document.getElementById("more");
  var live = document.getElementById("live");
  var errorBox = document.getElementById("error");
  var inboxes = document.getElementById("inboxes");
  var next = null;
  var generation = 0;  // drops answers to requests a newer search replaced
  var seenInboxes = {};
  Array.prototype.forEach.call(inboxes.options, function (option) {
    seenInboxes[option.value] = true;
  });

  function filters() {
    var data = new FormData(form);
    return { q: String(data.get("q") || "").trim(), to: String(data.get("to") || "").trim() };
  }

  function query(extra) {
    var params = new URLSearchParams();
    var current = filters();
    if (current.q) params.set("q", current.q);
    if (current.to) params.set("to", current.to);
    params.set("limit", String(page.page_size));
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return "/messages?" + params.toString();
  }

  function showError(error) {
    errorBox.textContent = t("load_failed") + " " + (error && error.message ? error.message : "");
    errorBox.hidden = false;
  }

  function cell(row, className, text) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text !== undefined) td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function hasAttachments(message) {
    if (Array.isArray(message.attachments)) return message.attachments.length > 0;
    return Boolean(message.has_attachments || message.attachment_count);
  }

  function rememberInbox(address) {
    if (!address || seenInboxes[address]) return;
    seenInboxes[address] = true;
    var option = document.createElement("option");
    option.value = address;
    inboxes.appendChild(option);
  }

  function renderRow(message) {
    var row = document.createElement("tr");
    row.setAttribute("data-testid", "inbox-row");
    row.setAttribute("data-id", String(message.id));
    var att = cell(row, "att");
    if (hasAttachments(message)) {
      var clip = document.createElement("span");
      clip.className = "clip";
      clip.setAttribute("role", "img");
      clip.setAttribute("aria-label", t("has_attachments"));
      clip.title = t("has_attachments");
      clip.setAttribute("data-testid", "row-attachment");
      att.appendChild(clip);
    }
    cell(row, "from", message.from || "").setAttribute("data-testid", "row-from");
    var to = cell(row, "to");
    to.setAttribute("data-testid", "row-to");
    (message.to || []).forEach(function (address, index) {
      if (index) to.appendChild(document.createTextNode(", "));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "inbox";
      button.title = t("show_inbox", { address: address });
      button.textContent = address;
      button.addEventListener("click", function () { setInbox(address); });
      to.appendChild(button);
      rememberInbox(address);
    });
    var subject = cell(row, "subject");
    var link = document.createElement("a");
    link.href = page.message_url.replace("__ID__", encodeURIComponent(String(message.id)));
    link.textContent = message.subject || t("no_subject");
    link.setAttribute("data-testid", "row-subject");
    subject.appendChild(link);
    var when = cell(row, "when", devsmtp.formatDate(message.received_at));
    when.setAttribute("data-testid", "row-received");
    when.title = String(message.received_at);
    cell(row, "num", devsmtp.formatSize(message.size || 0)).setAttribute("data-testid", "row-size");
    var actions = cell(row, "row-actions");
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "danger ghost row-delete";
    remove.title = t("delete_one");
    remove.setAttribute("aria-label", t("delete_one"));
    remove.setAttribute("data-testid", "row-delete");
    remove.textContent = "✕";
    remove.addEventListener("click", function () {
      devsmtp.confirm(t("confirm_one", { subject: message.subject || t("no_subject") }))
        .then(function (ok) {
          if (!ok) return null;
          return devsmtp.api("DELETE", "/messages/" + encodeURIComponent(String(message.id)))
            .then(function () { removeRow(message.id); });
        })
        .catch(showError);
    });
    actions.appendChild(remove);
    return row;
  }

  function findRow(id) {
    return rows.querySelector('tr[data-id="' + CSS.escape(String(id)) + '"]');
  }

  function removeRow(id) {
    var row = findRow(id);
    if (row) row.remove();
    updateCount();
  }

  function updateCount() {
    var count = rows.children.length;
    document.getElementById("count").textContent = t("shown", { count: count });
    document.getElementById("empty").hidden = count > 0;
  }

  function append(messages) {
    messages.forEach(function (message) {
      if (!findRow(message.id)) rows.appendChild(renderRow(message));
    });
    updateCount();
  }

  function loadFirst() {
    var mine = ++generation;
    errorBox.hidden = true;
    return devsmtp.api("GET", query()).then(function (answer) {
      if (mine !== generation) return;
      rows.textContent = "";
      next = answer.next;
      more.hidden = !next;
      append(answer.messages);
    }).catch(showError);
  }

  function loadMore() {
    if (!next) return;
    var mine = generation;
    devsmtp.api("GET", query({ before: next })).then(function (answer) {
      if (mine !== generation) return;
      next = answer.next;
      more.hidden = !next;
      append(answer.messages);
    }).catch(showError);
  }

  // New mail: ask the server (it applies the search) and put unseen rows on top.
  function refreshTop() {
    var mine = generation;
    devsmtp.api("GET", query()).then(function (answer) {
      if (mine !== generation) return;
      var anchor = rows.firstChild;
      answer.messages.forEach(function (message) {
        if (findRow(message.id)) return;
        var row = renderRow(message);
        row.classList.add("fresh");
        rows.insertBefore(row, anchor);
      });
      if (!rows.children.length) { next = answer.next; more.hidden = !next; }
      updateCount();
    }).catch(showError);
  }

  function syncUrl() {
    var current = filters();
    var params = new URLSearchParams(window.location.search);
    ["q", "to"].forEach(function (key) {
      if (current[key]) params.set(key, current[key]); else params.delete(key);
    });
    var search = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : ""));
    document.getElementById("delete-inbox").hidden = !current.to;
  }

  function setInbox(address) {
    form.elements.namedItem("to").value = address;
    syncUrl();
    loadFirst();
  }

  function idsOf(data) {
    if (data === null || data === undefined) return [];
    if (Array.isArray(data)) return data;
    if (Array.isArray(data.ids)) return data.ids;
    if (data.id !== undefined) return [data.id];
    return [];
  }

  function onEvent(kind, raw) {
    var data = null;
    try { data = raw ? JSON.parse(raw) : null; } catch (e) { data = null; }
    if (kind === "deleted") {
      var ids = idsOf(data);
      if (ids.length) ids.forEach(removeRow); else loadFirst();
    } else if (kind === "new") {
      refreshTop();
    } else {
      loadFirst();  // "reload": the server dropped events; start over
    }
  }

  function connect() {
    var source = new EventSource(page.api + "/events");
    var missed = false;
    source.onopen = function () {
      live.setAttribute("data-state", "live");
      live.textContent = t("live");
      if (missed) loadFirst();  // events sent while we were away are gone: resync
      missed = false;
    };
    source.onerror = function () {
      // EventSource reconnects by itself; reload the list when it is back.
      live.setAttribute("data-state", "offline");
      live.textContent = t("offline");
      missed = true;
    };
    page.event_types.forEach(function (type) {
      source.addEventListener(type, function (event) { onEvent(type, event.data); });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    syncUrl();
    loadFirst();
  });
  more.addEventListener("click", loadMore);

  document.getElementById("delete-all").addEventListener("click", function () {
    devsmtp.confirm(t("confirm_all")).then(function (ok) {
      if (!ok) return null;
      return devsmtp.api("DELETE", "/messages").then(loadFirst);
    }).catch(showError);
  });
  document.getElementById("delete-inbox").addEventListener("click", function () {
    var to = filters().to;
    if (!to) return;
    devsmtp.confirm(t("confirm_inbox", { address: to })).then(function (ok) {
      if (!ok) return null;
      return devsmtp.api("DELETE", "/messages?to=" + encodeURIComponent(to)).then(loadFirst);
    }).catch(showError);
  });

  loadFirst().then(connect);
})();
