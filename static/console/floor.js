// The supervisors' floor: each push is the whole floor, rendered once on the server, so a
// redraw is a swap. A reconnect, and a resync now and then, ask for the whole floor again, so a
// lost push heals on its own. A new help request sounds and stays in the title until looked at.
(function () {
  "use strict";

  var floorEl = document.getElementById("floor");
  if (!floorEl) return;
  var connEl = document.getElementById("connection");
  var sound = document.getElementById("alert-sound");
  var script = document.currentScript;
  var baseTitle = document.title;
  var RESYNC = { type: "resync" };
  var RESYNC_MS = 20000;
  var socket = null;
  var pending = null; // a redraw held back while a supervisor is typing in a reassign form
  var seenHelp = null; // help request ids already drawn (null until the first snapshot)
  var unseenHelp = {};
  var clockOffset = 0;

  function setConnection(state, text) {
    connEl.setAttribute("data-state", state);
    connEl.textContent = text;
  }

  function lookingNow() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  function updateTitle() {
    if (lookingNow()) unseenHelp = {};
    var n = Object.keys(unseenHelp).length;
    if (n === 0) {
      document.title = baseTitle;
      document.body.classList.remove("alerting");
      return;
    }
    document.title = "(" + n + ") HELP requested · " + baseTitle;
    document.body.classList.add("alerting");
  }

  function ring() {
    window.consoleRing(sound);
  }

  function typing() {
    var active = document.activeElement;
    return !!active && floorEl.contains(active) && !!active.closest("form");
  }

  function draw(msg) {
    if (typing()) { pending = msg; return; }
    pending = null;
    floorEl.innerHTML = msg.html;
    if (window.htmx) window.htmx.process(floorEl);
    if (msg.server_now) clockOffset = Date.parse(msg.server_now) - Date.now();
    var ids = msg.help_ids || [];
    var fresh = [];
    if (seenHelp !== null) {
      fresh = ids.filter(function (id) { return !seenHelp[id]; });
    }
    seenHelp = {};
    ids.forEach(function (id) { seenHelp[id] = true; });
    // Answered requests leave the title.
    Object.keys(unseenHelp).forEach(function (id) { if (!seenHelp[id]) delete unseenHelp[id]; });
    if (fresh.length) {
      fresh.forEach(function (id) { unseenHelp[id] = true; });
      if (!lookingNow()) ring();
    }
    updateTitle();
    tick();
  }

  // Times in the lists, kept current between redraws.
  function words(seconds) {
    if (seconds < 60) return Math.max(0, Math.floor(seconds)) + "\u00a0s";
    if (seconds < 3600) return Math.floor(seconds / 60) + "\u00a0min";
    return Math.floor(seconds / 3600) + "\u00a0h " + Math.floor((seconds % 3600) / 60) + "\u00a0min";
  }

  function tick() {
    var now = Date.now() + clockOffset;
    floorEl.querySelectorAll(".wait[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = words((now - since) / 1000);
    });
  }

  floorEl.addEventListener("focusout", function () {
    // Focus may move to another field of the same form: wait until it has settled.
    setTimeout(function () { if (pending && !typing()) draw(pending); }, 0);
  });
  // A reassign that went through is followed by a redraw; one that did not keeps the form.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form.reassign");
    if (form && event.detail.successful && event.detail.xhr.status === 200) {
      if (document.activeElement) document.activeElement.blur();
    }
  });

  function onMessage(msg) {
    switch (msg.type) {
      case "floor.snapshot":
        setConnection("live", "Live");
        draw(msg);
        break;
      case "updates.delayed":
        setConnection("delayed", "Updates delayed — reconnecting. The floor below may be out of date.");
        break;
      default: break;
    }
  }

  ["focus", "visibilitychange", "pointerdown", "keydown"].forEach(function (name) {
    (name === "visibilitychange" ? document : window).addEventListener(name, updateTitle);
  });
  setInterval(tick, 1000);

  socket = window.consoleSocket({
    url: script.getAttribute("data-socket-url"),
    ping: { every: RESYNC_MS, message: RESYNC },
    onConnecting: function (attempt) {
      setConnection("connecting", attempt ? "Reconnecting…" : "Connecting…");
    },
    onMessage: onMessage,
    onRefused: function () {
      setConnection("signed-out", "Signed out: sign in again to see the floor.");
    },
    onClose: function (delay) {
      setConnection("offline", "Connection lost — reconnecting in " + Math.round(delay / 1000) + " s. The floor below may be out of date.");
    },
  });
})();
