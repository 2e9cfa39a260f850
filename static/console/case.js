// The open case page stays current: a socket says "this case changed", and the changing part
// of the page (status, claim button, conversation) is fetched again. The page works without it.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var match = location.pathname.match(/^\/cases\/([0-9a-f-]{36})\//);
  if (!match) return;
  var caseId = match[1];
  var attempt = 0;
  var fetching = false;
  var again = false;

  var CHECK_MS = 30000;

  function currentVersion() {
    var el = document.getElementById("live");
    return el ? el.getAttribute("data-version") : null;
  }

  // A form of this page was sent: the server's answer replaces the page, and must not be
  // cut short by a refresh (a claim refused because a colleague was quicker says who).
  var leaving = false;
  document.addEventListener("submit", function () { leaving = true; }, true);
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { leaving = false; refresh(); } // back from the browser's page cache
  });

  // Something typed into a form of this page and not sent yet.
  function typedSomething() {
    var fields = document.querySelectorAll("form input, form textarea, form select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden" || f.type === "submit") continue;
      if (f.tagName === "SELECT") {
        // With no option marked selected in the page, a single select starts at its first.
        var marked = Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
        for (var j = 0; j < f.options.length; j++) {
          var start = marked ? f.options[j].defaultSelected : (j === 0 && !f.multiple);
          if (f.options[j].selected !== start) return true;
        }
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  // Claimed by a colleague, or transferred or reassigned away: no longer this viewer's to
  // read. Loading the page again replaces the conversation with who holds the case now;
  // unless something typed here would be lost with it, which stays, with a warning.
  function noLongerYours() {
    if (!typedSomething()) { location.reload(); return; }
    if (document.querySelector(".taken")) return;
    var p = document.createElement("p");
    // Fixed to the window: the counselor may be scrolled down to what they were typing.
    p.className = "flash error taken";
    p.setAttribute("role", "alert");
    p.textContent = "This case is no longer yours: it was claimed, transferred or reassigned. " +
      "What you typed is still here but cannot be saved; copy it if you need it, then go back to the queue.";
    document.body.appendChild(p);
  }

  function refresh() {
    if (leaving) return;
    if (fetching) { again = true; return; }
    fetching = true;
    fetch("/cases/" + caseId + "/live", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) {
        if (r.status === 403) { if (!leaving) noLongerYours(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        var fresh = tpl.content.getElementById("live");
        var current = document.getElementById("live");
        if (fresh && current) current.replaceWith(fresh);
      })
      .finally(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + "/ws/cases/" + caseId + "/");
    var checkTimer = null;
    socket.onopen = function () {
      // Says the page is following its case (and lets a test wait for it instead of guessing).
      document.body.setAttribute("data-case-socket", "open");
      if (attempt > 0) refresh(); // anything missed while disconnected
      attempt = 0;
      checkTimer = setInterval(function () {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "check" }));
      }, CHECK_MS);
    };
    socket.onmessage = function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "case.changed") refresh();
      // The answer to a check: a push lost on the way shows as a newer version.
      if (msg.type === "case.version" && String(msg.version) !== currentVersion()) refresh();
    };
    socket.onclose = function (event) {
      document.body.setAttribute("data-case-socket", "closed");
      clearInterval(checkTimer);
      if (event.code === 4401 || event.code === 4403) return;
      attempt += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2));
    };
  }
  connect();
})();
