// The console's websockets: connect, reconnect with backoff, and say when to resync.
// A push is a hint and PostgreSQL is the truth: after a reconnect the page asks for the state it
// may have missed (the queue gets a snapshot from the server; the case page fetches its part).
//
// consoleSocket({url, onConnecting, onOpen, onMessage, onClose, onRefused, ping}) opens `url`
// (a path, from a data- attribute of the page) and returns {send, isOpen, attempt}:
// - onConnecting(attempt): a connection is being opened (attempt 0 the first time)
// - onOpen(reconnected): the socket is open; `reconnected` after a lost connection
// - onMessage(msg): each message, parsed as JSON (others are ignored)
// - onClose(delayMs): the connection was lost; it is opened again in delayMs
// - onRefused(code): the server refused this page for good (signed out, not allowed): no retry
// - ping: {every: ms, message: object} sent while open (a heartbeat the server answers)
(function () {
  "use strict";

  // The server's close codes (handoff.realtime.consumers): 4401 signed out, 4403 not allowed,
  // both final; 4503 the channel layer is down, which passes: try again.
  var REFUSED = [4401, 4403];
  var MAX_DELAY_MS = 30000;

  window.consoleSocket = function (options) {
    var socket = null;
    var attempt = 0;
    var pingTimer = null;

    function send(message) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(message));
      return true;
    }

    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + options.url);
      if (options.onConnecting) options.onConnecting(attempt);
      socket.onopen = function () {
        var reconnected = attempt > 0;
        attempt = 0;
        if (options.ping) {
          pingTimer = setInterval(function () { send(options.ping.message); }, options.ping.every);
        }
        if (options.onOpen) options.onOpen(reconnected);
      };
      socket.onmessage = function (event) {
        var msg;
        try { msg = JSON.parse(event.data); } catch (e) { return; }
        options.onMessage(msg);
      };
      socket.onclose = function (event) {
        clearInterval(pingTimer);
        if (REFUSED.indexOf(event.code) !== -1) {
          if (options.onRefused) options.onRefused(event.code);
          return;
        }
        attempt += 1;
        // Exponential backoff with jitter, so a restarted server is not stampeded.
        var delay = Math.min(MAX_DELAY_MS, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
        if (options.onClose) options.onClose(delay);
        setTimeout(connect, delay);
      };
    }

    connect();
    return {
      send: send,
      isOpen: function () { return !!socket && socket.readyState === WebSocket.OPEN; },
      attempt: function () { return attempt; },
    };
  };
})();

// The alert sound, as the person chose on their account page (data-sound on the <audio>): on,
// quiet (a quarter of the volume) or muted (never played). The pages that alert change their
// title and banner whatever the choice; only the sound is the person's to turn down.
(function () {
  "use strict";
  var QUIET = 0.25;
  window.consoleRing = function (audio) {
    if (!audio) return;
    var choice = audio.getAttribute("data-sound") || "on";
    if (choice === "muted") return;
    audio.volume = choice === "quiet" ? QUIET : 1;
    try { audio.currentTime = 0; var p = audio.play(); if (p && p.catch) p.catch(function () {}); } catch (e) { /* autoplay refused */ }
  };
})();
