// The open case page stays current: a socket says "this case changed", and the changing part
// of the page (status, conversation) is fetched again. The page works without it.
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

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch("/cases/" + caseId + "/live", { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : null; })
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
      clearInterval(checkTimer);
      if (event.code === 4401 || event.code === 4403) return;
      attempt += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2));
    };
  }
  connect();
})();
