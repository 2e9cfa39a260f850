// The warning before a session ends for lack of activity (counselors.sessions).
// The page says how many seconds were left when it was drawn (meta[name=session-expiry]).
// Shortly before the end the page asks the server again (another tab may have kept the session
// alive; asking does not count as activity), and if it is still ending, says so with a button
// to stay signed in (a request the person makes, so it counts). At the end, it goes to sign-in.
(function () {
  "use strict";
  // Signing out forgets the case pages' drafts kept in this browser (static/console/workspace.js):
  // the next person at this desk does not inherit them.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.action || !/\/accounts\/logout\/$/.test(new URL(form.action, location.href).pathname)) return;
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var key = localStorage.key(i);
        if (key && key.indexOf("console.draft.") === 0) localStorage.removeItem(key);
      }
    } catch (err) { /* storage refused: nothing was kept */ }
  });

  var meta = document.querySelector("meta[name=session-expiry]");
  if (!meta) return;
  var warnSeconds = parseInt(meta.getAttribute("data-warn"), 10) || 120;
  var statusUrl = meta.getAttribute("data-status-url");
  var keepUrl = meta.getAttribute("data-keep-url");
  var loginUrl = meta.getAttribute("data-login-url");
  var deadline = Date.now() + (parseInt(meta.getAttribute("content"), 10) || 0) * 1000;
  var nextCheck = 0;
  var box = null;
  var asking = false;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function signedOut() {
    var here = location.pathname + location.search;
    location.href = loginUrl + "?next=" + encodeURIComponent(here) + "&ended=idle";
  }

  function heard(answer) {
    if (!answer || !answer.signed_in) { signedOut(); return; }
    deadline = Date.now() + answer.seconds_left * 1000;
    if (answer.seconds_left > warnSeconds) hide();
  }

  function ask(url, method) {
    if (asking) return;
    asking = true;
    var options = { credentials: "same-origin", method: method, headers: { "Accept": "application/json" } };
    if (method === "POST") options.headers["X-CSRFToken"] = csrfToken();
    fetch(url, options)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(heard, function () { /* offline: try again at the next check */ })
      .finally(function () { asking = false; });
  }

  function show(seconds) {
    if (!box) {
      box = document.createElement("div");
      box.className = "session-warning";
      box.setAttribute("role", "alert");
      box.setAttribute("data-testid", "session-warning");
      var text = document.createElement("span");
      text.className = "session-warning-text";
      box.appendChild(text);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "primary";
      button.textContent = "Stay signed in";
      button.addEventListener("click", function () { ask(keepUrl, "POST"); });
      box.appendChild(button);
      document.body.appendChild(box);
    }
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    box.firstChild.textContent = "You will be signed out in " + minutes + ":" +
      (rest < 10 ? "0" : "") + rest + " because nothing has been done on the console.";
  }

  function hide() {
    if (box) { box.remove(); box = null; }
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left > warnSeconds) return;
    // Near the end: ask whether another tab kept the session alive, every 15 s at most.
    if (Date.now() >= nextCheck) {
      nextCheck = Date.now() + 15000;
      ask(statusUrl, "GET");
    }
    if (left === 0) { ask(statusUrl, "GET"); return; }
    show(left);
  }

  setInterval(tick, 1000);
})();
