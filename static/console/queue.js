// The live queue: a websocket pushes snapshots and updates; actions are htmx POSTs.
// PostgreSQL is the truth and a push is a hint: a gap in the sequence, a missing row or a
// reconnect asks the server for a fresh snapshot.
(function () {
  "use strict";

  var rowsEl = document.getElementById("queue-rows");
  if (!rowsEl) return;
  var table = rowsEl.closest("table");
  var countsEl = document.getElementById("counts");
  var mineEl = document.getElementById("mine");
  var presenceEl = document.getElementById("presence");
  var emptyEl = document.getElementById("queue-empty");
  var moreEl = document.getElementById("queue-more");
  var connEl = document.getElementById("connection");
  var flashEl = document.getElementById("flash");
  var alertsEl = document.getElementById("alerts");
  var sound = document.getElementById("alert-sound");

  var script = document.currentScript; // its data- attributes say where the socket is
  var limit = parseInt(table.getAttribute("data-limit"), 10) || 50;
  var lastSeq = null;
  var waiting = 0;
  var clockOffset = 0; // server time minus browser time, ms
  var socket = null; // consoleSocket (socket.js)
  var resyncPending = false;
  var known = {}; // case id -> version, for every row drawn
  var removed = {}; // case id -> version at which it left the queue, since the last snapshot
  var unseenUrgent = {}; // urgent case ids not yet looked at
  // The tiers that sound an alert, most urgent first: the top two of handoff.models.Tier
  // (tests/handoff/test_tiers.py keeps them in step). Rows are placed by their data-rank, the
  // database's tier_rank, so no other tier order lives here.
  var URGENT_TIERS = ["imminent", "high"];
  var baseTitle = document.title;
  var HEARTBEAT = { type: "heartbeat" };
  var HEARTBEAT_MS = 20000;
  // An update already numbered may still be on its way when a heartbeat is answered.
  var SEQ_GRACE_MS = 3000;

  var DELAYED = "Updates delayed — reconnecting. The queue below may be out of date.";
  var delayed = false; // the server said pushes are being lost; a snapshot ends it

  // "Live" only once a snapshot has been drawn and while the server says its pushes get
  // through: an open socket alone proves nothing (with Redis down it stays open, silent).
  function setConnection(state, text) {
    connEl.setAttribute("data-state", state);
    connEl.textContent = text;
    // Without a live socket an empty queue means "nothing known", not "nobody waiting".
    var stale = state === "offline" || state === "signed-out" || state === "delayed" ||
      (state === "connecting" && socket !== null && socket.attempt() > 0);
    document.body.classList.toggle("queue-stale", stale);
  }

  function parseRows(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return Array.prototype.slice.call(tpl.content.querySelectorAll("tr.case"));
  }

  function sortKey(tr) {
    return [-parseInt(tr.getAttribute("data-rank"), 10), Date.parse(tr.getAttribute("data-queued-at")), tr.getAttribute("data-id")];
  }

  function before(a, b) {
    var ka = sortKey(a), kb = sortKey(b);
    for (var i = 0; i < ka.length; i++) {
      if (ka[i] < kb[i]) return true;
      if (ka[i] > kb[i]) return false;
    }
    return false;
  }

  function insertSorted(tr) {
    var rows = rowsEl.querySelectorAll("tr.case");
    for (var i = 0; i < rows.length; i++) {
      if (before(tr, rows[i])) { rowsEl.insertBefore(tr, rows[i]); return; }
    }
    rowsEl.appendChild(tr);
  }

  function noteUrgent(tr, fresh) {
    var tier = tr.getAttribute("data-tier");
    var id = tr.getAttribute("data-id");
    if (URGENT_TIERS.indexOf(tier) !== -1 && fresh && !unseenUrgent[id]) {
      unseenUrgent[id] = tier;
      if (!lookingNow()) {
        window.consoleRing(sound);
      }
    }
    updateTitle();
  }

  function lookingNow() {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  function updateTitle() {
    var ids = Object.keys(unseenUrgent).filter(function (id) { return known[id] !== undefined; });
    unseenUrgent = ids.reduce(function (acc, id) { acc[id] = unseenUrgent[id]; return acc; }, {});
    if (ids.length === 0 || lookingNow()) {
      if (lookingNow()) unseenUrgent = {};
      document.title = baseTitle;
      document.body.classList.remove("alerting");
      return;
    }
    var top = ids.some(function (id) { return unseenUrgent[id] === URGENT_TIERS[0]; });
    document.title = "(" + ids.length + ") " + (top ? URGENT_TIERS[0] : URGENT_TIERS[1]).toUpperCase() + " case waiting · " + baseTitle;
    document.body.classList.add("alerting");
  }

  function afterChange() {
    var rows = rowsEl.querySelectorAll("tr.case");
    for (var i = limit; i < rows.length; i++) {
      delete known[rows[i].getAttribute("data-id")];
      rows[i].remove();
    }
    var drawn = Math.min(rows.length, limit);
    emptyEl.hidden = drawn > 0;
    var more = Math.max(0, waiting - drawn);
    moreEl.hidden = more === 0;
    moreEl.querySelector(".n").textContent = String(more);
    // A row left the top and we do not know the next one: ask for the truth.
    if (drawn < Math.min(limit, waiting)) requestResync();
    tick();
    updateTitle();
  }

  function applySnapshot(msg) {
    lastSeq = msg.seq;
    waiting = msg.waiting;
    limit = msg.limit || limit;
    clockOffset = Date.parse(msg.server_now) - Date.now();
    countsEl.innerHTML = msg.counts_html;
    var fresh = parseRows(msg.rows_html);
    var previous = known;
    known = {};
    removed = {};
    rowsEl.innerHTML = "";
    fresh.forEach(function (tr) {
      known[tr.getAttribute("data-id")] = parseInt(tr.getAttribute("data-version"), 10);
      rowsEl.appendChild(tr);
      noteUrgent(tr, previous[tr.getAttribute("data-id")] === undefined);
    });
    resyncPending = false;
    delayed = false;
    setConnection("live", "Live");
    restoreSelection();
    afterChange();
    if (window.htmx) window.htmx.process(rowsEl);
  }

  function applyUpdate(msg) {
    if (lastSeq !== null && msg.seq <= lastSeq) return; // older than what is drawn
    var gap = lastSeq !== null && msg.seq > lastSeq + 1;
    lastSeq = msg.seq;
    waiting = msg.waiting;
    clockOffset = Date.parse(msg.server_now) - Date.now();
    countsEl.innerHTML = msg.counts_html;
    var current = known[msg.id];
    // A case that left the queue stays gone unless a newer version brings it back: an update
    // that took longer on the way must not redraw a claimed case.
    var newest = current !== undefined ? current : removed[msg.id];
    if (newest === undefined || msg.version > newest) {
      var old = document.getElementById("case-" + msg.id);
      if (msg.op === "remove") {
        if (old) old.remove();
        delete known[msg.id];
        removed[msg.id] = msg.version;
        delete unseenUrgent[msg.id];
      } else {
        delete removed[msg.id];
        var tr = parseRows(msg.html)[0];
        var wasSelected = old && old.classList.contains("selected");
        if (old) old.remove();
        known[msg.id] = msg.version;
        insertSorted(tr);
        if (wasSelected) tr.classList.add("selected");
        if (window.htmx) window.htmx.process(tr);
        noteUrgent(tr, current === undefined);
      }
    }
    afterChange();
    if (gap) requestResync();
  }

  function requestResync() {
    if (resyncPending || !socket || !socket.isOpen()) return;
    resyncPending = true;
    socket.send({ type: "resync" });
  }

  // The server answers each heartbeat with the newest sequence number. Behind it for longer
  // than an update takes to arrive means a push was lost; ahead of it, that the sequence
  // restarted (a Redis restart). Either way the snapshot is the truth.
  function checkSeq(seq) {
    if (typeof seq !== "number") return;
    // Redis answers again: the snapshot the server sends then may have been missed.
    if (delayed) { requestResync(); return; }
    if (lastSeq === null) return;
    if (seq < lastSeq) { requestResync(); return; }
    if (seq === lastSeq) return;
    setTimeout(function () {
      if (lastSeq !== null && lastSeq < seq) requestResync();
    }, SEQ_GRACE_MS);
  }

  function showAlert(text) {
    var div = document.createElement("div");
    div.className = "alert";
    div.setAttribute("role", "alert");
    div.textContent = text;
    alertsEl.prepend(div);
    while (alertsEl.children.length > 5) alertsEl.lastChild.remove();
  }

  function onMessage(msg) {
    switch (msg.type) {
      case "queue.snapshot": applySnapshot(msg); break;
      case "queue.update": applyUpdate(msg); break;
      case "queue.mine":
        mineEl.innerHTML = msg.html;
        if (msg.notice) showAlert(msg.notice);
        tick();
        break;
      case "queue.presence": presenceEl.innerHTML = msg.html; break;
      case "queue.alert": showAlert(msg.text); break;
      case "heartbeat.ack": checkSeq(msg.seq); break;
      case "updates.delayed":
        delayed = true;
        resyncPending = false; // a resync asked for now is answered with this instead
        setConnection("delayed", DELAYED);
        break;
      default: break;
    }
  }

  function beat() {
    if (socket) socket.send(HEARTBEAT);
  }

  // Back at the tab (a browser may slow timers in a hidden one): check at once.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") beat();
  });

  function connect() {
    socket = window.consoleSocket({
      url: script.getAttribute("data-socket-url"),
      ping: { every: HEARTBEAT_MS, message: HEARTBEAT },
      onConnecting: function (attempt) {
        setConnection("connecting", attempt ? "Reconnecting…" : "Connecting…");
      },
      onMessage: onMessage, // "Live" comes with the snapshot, not with the open socket
      onRefused: function () {
        resyncPending = false;
        setConnection("signed-out", "Signed out: sign in again to see the queue.");
      },
      onClose: function (delay) {
        resyncPending = false;
        var seconds = Math.round(delay / 1000);
        if (delayed) setConnection("delayed", "Updates delayed — reconnecting in " + seconds + " s. The queue below may be out of date.");
        else setConnection("offline", "Connection lost: reconnecting in " + seconds + " s. The queue below may be out of date.");
      },
    });
  }

  // --- ticking timers ---------------------------------------------------------------------
  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  function tick() {
    var now = Date.now() + clockOffset;
    var cells = document.querySelectorAll("[data-since]");
    for (var i = 0; i < cells.length; i++) {
      var since = Date.parse(cells[i].getAttribute("data-since"));
      if (!isNaN(since)) cells[i].textContent = fmt((now - since) / 1000);
    }
  }

  // --- keyboard ---------------------------------------------------------------------------
  var selectedId = null;

  function rowsList() { return Array.prototype.slice.call(rowsEl.querySelectorAll("tr.case")); }

  function select(tr) {
    rowsList().forEach(function (r) { r.classList.remove("selected"); r.removeAttribute("aria-selected"); });
    if (!tr) { selectedId = null; return; }
    tr.classList.add("selected");
    tr.setAttribute("aria-selected", "true");
    selectedId = tr.getAttribute("data-id");
    tr.scrollIntoView({ block: "nearest" });
  }

  function restoreSelection() {
    if (!selectedId) return;
    select(document.getElementById("case-" + selectedId));
  }

  function move(step) {
    var rows = rowsList();
    if (!rows.length) return;
    var i = rows.findIndex(function (r) { return r.getAttribute("data-id") === selectedId; });
    i = i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step));
    select(rows[i]);
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var current = selectedId && document.getElementById("case-" + selectedId);
    if (e.key === "j" || e.key === "ArrowDown") { move(1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { move(-1); e.preventDefault(); }
    else if (e.key === "c" && current) { current.querySelector("button.claim").click(); e.preventDefault(); }
    else if ((e.key === "o" || e.key === "Enter") && current) { location.href = current.querySelector("a.open").getAttribute("href"); e.preventDefault(); }
  });

  rowsEl.addEventListener("click", function (e) {
    var tr = e.target.closest("tr.case");
    if (tr) select(tr);
  });

  ["focus", "visibilitychange", "pointerdown", "keydown"].forEach(function (name) {
    (name === "visibilitychange" ? document : window).addEventListener(name, updateTitle);
  });

  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (e.detail.target === flashEl) setTimeout(function () { flashEl.innerHTML = ""; }, 8000);
  });

  rowsList().forEach(function (tr) { known[tr.getAttribute("data-id")] = parseInt(tr.getAttribute("data-version"), 10); });
  setInterval(tick, 1000);
  tick();
  connect();
})();
