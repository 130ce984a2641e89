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
    row.className = message.read ? "read" : "unread";
    row.setAttribute("data-read", message.read ? "true" : "false");
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
    if (!message.read) {
      var unread = document.createElement("span");
      unread.className = "sr";
      unread.textContent = t("unread") + ": ";
      unread.setAttribute("data-testid", "row-unread");
      subject.appendChild(unread);
    }
    subject.appendChild(link);
    if (message.snippet) {
      var snippet = document.createElement("span");
      snippet.className = "snippet";
      snippet.setAttribute("data-testid", "row-snippet");
      snippet.textContent = message.snippet;
      subject.appendChild(snippet);
    }
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
    remove.addEventListener("click", function () { askDelete(row, message); });
    actions.appendChild(remove);
    row.devsmtpMessage = message;
    // The whole row opens the message; its buttons and links keep their own job.
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input")) return;
      if (window.getSelection && String(window.getSelection())) return;  // selecting text
      window.location.assign(link.href);
    });
    return row;
  }

  function askDelete(row, message) {
    var position = Array.prototype.indexOf.call(rows.children, row);
    return devsmtp.confirm(t("confirm_one", { subject: message.subject || t("no_subject") }))
      .then(function (ok) {
        if (!ok) { focusRow(row); return null; }
        return devsmtp.api("DELETE", "/messages/" + encodeURIComponent(String(message.id)))
          .then(function () {
            removeRow(message.id);
            var nextRow = rows.children[Math.min(position, rows.children.length - 1)];
            if (nextRow) select(nextRow, true);
            announce(t("deleted"));
          });
      })
      .catch(showError);
  }

  // Keyboard: j/k move, Enter opens, Delete deletes (after confirming), / searches.
  var announcer = document.getElementById("announce");
  var selected = null;

  function announce(text) {
    // A new text node each time, so screen readers repeat even an equal text.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function focusRow(row) {
    var link = row && row.querySelector("td.subject a");
    if (link) link.focus();
  }

  function select(row, quiet) {
    if (selected) selected.classList.remove("selected");
    selected = row;
    if (!row) return;
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    focusRow(row);
    var message = row.devsmtpMessage;
    if (quiet || !message) return;
    announce(t("selected", {
      position: Array.prototype.indexOf.call(rows.children, row) + 1,
      count: rows.children.length,
      subject: message.subject || t("no_subject"),
      sender: message.from || ""
    }) + (message.read ? "" : " (" + t("unread") + ")"));
  }

  function move(step) {
    var list = rows.children;
    if (!list.length) return;
    var index = selected && selected.parentNode === rows
      ? Array.prototype.indexOf.call(list, selected) + step
      : (step > 0 ? 0 : list.length - 1);
    select(list[Math.max(0, Math.min(list.length - 1, index))]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.getElementById("confirm").open) return;
    var target = event.target;
    var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (selected && selected.parentNode !== rows) selected = null;
    if (event.key === "j" || event.key === "ArrowDown" && target.closest("#rows")) {
      event.preventDefault();
      move(1);
    } else if (event.key === "k" || event.key === "ArrowUp" && target.closest("#rows")) {
      event.preventDefault();
      move(-1);
    } else if (event.key === "Enter" && selected && !target.closest("a, button")) {
      event.preventDefault();
      window.location.assign(selected.querySelector("td.subject a").href);
    } else if (event.key === "Delete" && selected) {
      event.preventDefault();
      askDelete(selected, selected.devsmtpMessage);
    } else if (event.key === "/") {
      event.preventDefault();
      form.elements.namedItem("q").focus();
    }
  });

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
