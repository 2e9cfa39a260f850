// The open case page stays current: a socket says "this case changed", and the changing part
// of the page (status, claim button, conversation) is fetched again. The page works without it.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  // Where the case's socket and its changing part are: data- attributes of this script's tag.
  var script = document.currentScript;
  var socketUrl = script.getAttribute("data-socket-url");
  var liveUrl = script.getAttribute("data-live-url");
  var fetching = false;
  var again = false;

  var CHECK_MS = 30000;
  var LIVE_PARTS = ["live", "live-transcript"];

  function currentVersion() {
    var el = document.getElementById("live");
    return el ? el.getAttribute("data-version") : null;
  }

  // A form of this page was sent: the server's answer replaces the page, and must not be
  // cut short by a refresh (a claim refused because a colleague was quicker says who).
  var leaving = false;
  // On the window, after the page's own handlers: a submit they stopped (a confirmation
  // declined) leaves nothing, and the page keeps following its case.
  window.addEventListener("submit", function (e) { if (!e.defaultPrevented) leaving = true; });
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
    // A plain fetch: the live part is its own URL, answered the same to any request.
    fetch(liveUrl, { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 403) { if (!leaving) noLongerYours(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var tpl = document.createElement("template");
        tpl.innerHTML = html.trim();
        // The case's state (beside the person) and the conversation: each swapped by its id. The
        // conversation keeps its place, and follows new messages if it was at the newest.
        LIVE_PARTS.forEach(function (id) {
          var fresh = tpl.content.getElementById(id);
          var current = document.getElementById(id);
          if (!fresh || !current) return;
          var atEnd = current.scrollHeight - current.scrollTop - current.clientHeight < 8;
          var top = current.scrollTop;
          var focused = current === document.activeElement;
          current.replaceWith(fresh);
          fresh.scrollTop = atEnd ? fresh.scrollHeight : top;
          if (focused) fresh.focus();
        });
        document.dispatchEvent(new CustomEvent("case:refreshed"));
      })
      .finally(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  window.consoleSocket({
    url: socketUrl,
    ping: { every: CHECK_MS, message: { type: "check" } },
    onOpen: function (reconnected) {
      // Says the page is following its case (and lets a test wait for it instead of guessing).
      document.body.setAttribute("data-case-socket", "open");
      if (reconnected) refresh(); // anything missed while disconnected
    },
    onMessage: function (msg) {
      if (msg.type === "case.changed") refresh();
      // The answer to a check: a push lost on the way shows as a newer version.
      if (msg.type === "case.version" && String(msg.version) !== currentVersion()) refresh();
    },
    onClose: closed,
    onRefused: closed,
  });

  function closed() {
    document.body.setAttribute("data-case-socket", "closed");
  }
})();
