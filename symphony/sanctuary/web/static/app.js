// The visitors' page: a valence/arousal pad, "take my mood out", and the room's mood.
// Plain WebSocket on the page's own origin; no secure-context APIs (plain http on the LAN).
"use strict";
(function () {
  var SEND_EVERY = 150; // ms: stays well under the server's 10 messages a second
  var TEAL = [95, 168, 160], AMBER = [232, 176, 92], VIOLET = [138, 111, 176];
  var pad = document.getElementById("pad"), dot = document.getElementById("dot");
  var mine = document.getElementById("mine"), leave = document.getElementById("leave");
  var glow = document.getElementById("glow"), roomtext = document.getElementById("roomtext");
  var conn = document.getElementById("conn");
  var ws = null, wait = 1000, pending = null, lastSent = 0, timer = null, inRoom = false;

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var opened = false;
    ws = new WebSocket(scheme + location.host + "/ws");
    ws.onopen = function () { opened = true; conn.textContent = "connected"; wait = 1000; };
    ws.onmessage = function (event) {
      var msg = JSON.parse(event.data);
      if (msg.type === "hello" || msg.type === "room") { showRoom(msg.room); }
      if (msg.type === "left") { mine.textContent = "Your mood is out of the room. Touch the square to share it again."; }
      if (msg.type === "error") { conn.textContent = "not taken: " + msg.error; }
    };
    ws.onclose = function (event) {
      conn.textContent = event.reason ? "disconnected: " + event.reason : "disconnected: reconnecting…";
      var again = function () { setTimeout(connect, wait); wait = Math.min(wait * 2, 30000); };
      if (opened) { again(); return; }
      // refused before opening: perhaps the server forgot this phone's token (it restarted)
      fetch("/token", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 429) { conn.textContent = "the room's page is busy: trying again soon"; }
      }).catch(function () {}).then(again);
    };
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }

  function flush() {
    timer = null;
    if (pending === null) { return; }
    if (send({ type: "mood", valence: pending[0], arousal: pending[1] })) {
      lastSent = Date.now();
      inRoom = true;
      leave.disabled = false;
      mine.textContent = "Your mood is in the room.";
    }
    pending = null;
  }

  function moodAt(event) {
    var r = pad.getBoundingClientRect();
    var x = Math.min(1, Math.max(0, (event.clientX - r.left) / r.width));
    var y = Math.min(1, Math.max(0, (event.clientY - r.top) / r.height));
    dot.hidden = false;
    dot.style.left = (x * 100) + "%";
    dot.style.top = (y * 100) + "%";
    pending = [Math.round((x * 2 - 1) * 1000) / 1000, Math.round((1 - y * 2) * 1000) / 1000];
    var due = SEND_EVERY - (Date.now() - lastSent);
    if (due <= 0) { flush(); } else if (timer === null) { timer = setTimeout(flush, due); }
  }

  var dragging = false;
  pad.addEventListener("pointerdown", function (e) { dragging = true; pad.setPointerCapture(e.pointerId); moodAt(e); });
  pad.addEventListener("pointermove", function (e) { if (dragging) { moodAt(e); } });
  pad.addEventListener("pointerup", function (e) { dragging = false; moodAt(e); });
  pad.addEventListener("pointercancel", function () { dragging = false; });

  leave.addEventListener("click", function () {
    pending = null;
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (send({ type: "leave" })) {
      inRoom = false;
      leave.disabled = true;
      dot.hidden = true;
      mine.textContent = "Taking your mood out…";
    }
  });

  function showRoom(room) {
    if (!room) {
      glow.hidden = true;
      roomtext.textContent = "Waiting for more people: the room's mood shows when three or more share theirs.";
      return;
    }
    // unpleasant: dusky violet; even: soft teal; pleasant: warm amber. Lively is brighter.
    var far = room.valence < 0 ? VIOLET : AMBER, t = Math.abs(room.valence);
    var bright = 0.75 + (room.arousal + 1) * 0.125;
    var rgb = TEAL.map(function (c, i) { return Math.round((c + (far[i] - c) * t) * bright); });
    var size = 6 + (room.valence_spread || 0) * 4;
    glow.hidden = false;
    glow.style.left = ((room.valence + 1) * 50) + "%";
    glow.style.top = ((1 - room.arousal) * 50) + "%";
    glow.style.width = glow.style.height = size + "rem";
    glow.style.margin = (-size / 2) + "rem 0 0 " + (-size / 2) + "rem";
    glow.style.background = "rgba(" + rgb.join(", ") + ", 0.75)";
    roomtext.textContent = room.count + " people share their mood. " + words(room);
  }

  function words(room) {
    var feel = room.valence > 0.25 ? "pleasant" : room.valence < -0.25 ? "uneasy" : "even";
    var pace = room.arousal > 0.25 ? "lively" : room.arousal < -0.25 ? "calm" : "steady";
    return "The room feels " + feel + " and " + pace + ".";
  }

  connect();
})();
