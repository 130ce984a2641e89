// The SMTP sessions page: GET /api/sessions as one section per connection.
"use strict";

(function () {
  var t = devsmtp.t;
  var box = document.getElementById("sessions");

  // "12:00:00.123 > MAIL FROM:<a@b>" / "< 550 ..." / a fault or note.
  function kind(line) {
    var text = line.replace(/^\S+ /, "");
    if (text.indexOf("> ") === 0) return "command";
    if (text.indexOf("< ") === 0) return /^< [45]/.test(text) ? "refused" : "reply";
    if (/^(stored as|AUTH )/.test(text)) return "note";
    return "fault";
  }

  function render(sessions) {
    box.textContent = "";
    document.getElementById("empty").hidden = sessions.length > 0;
    sessions.forEach(function (session) {
      var section = document.createElement("section");
      section.className = "session";
      section.setAttribute("data-testid", "session");
      var title = document.createElement("h2");
      title.textContent = t("session_title", {
        id: session.id, peer: session.peer || "?",
        when: devsmtp.formatDate(new Date(session.started_at * 1000).toISOString())
      });
      section.appendChild(title);
      var list = document.createElement("ol");
      list.className = "session-log";
      session.log.forEach(function (line) {
        var item = document.createElement("li");
        var which = kind(line);
        item.className = which;
        item.setAttribute("data-testid", "session-line");
        item.setAttribute("data-kind", which);
        var code = document.createElement("code");
        code.textContent = line;
        item.appendChild(code);
        if (which === "refused" || which === "fault") {
          var tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = t(which);
          item.appendChild(document.createTextNode(" "));
          item.appendChild(tag);
        }
        list.appendChild(item);
      });
      section.appendChild(list);
      box.appendChild(section);
    });
    box.setAttribute("data-state", "loaded");
  }

  devsmtp.api("GET", "/sessions").then(function (answer) {
    render(answer.sessions || []);
  }).catch(function (error) {
    var errorBox = document.getElementById("error");
    errorBox.textContent = t("load_failed") + " " + error.message;
    errorBox.hidden = false;
  });
})();
