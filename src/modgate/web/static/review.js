// Review page: reveal (click to toggle, press and hold to peek; every reveal is logged by the
// server first, and only then are clear pixels requested), grayscale, jumping to flagged video moments, keyboard shortcuts, time spent.
// Texts: flagged words start masked; the mask button (M) shows and hides them.
(function () {
  "use strict";
  var task = document.getElementById("task");
  if (!task) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var taskId = task.dataset.task;
  var started = Date.now();
  var player = document.getElementById("player");
  var image = document.getElementById("preview");
  var revealButton = document.getElementById("reveal");
  var status = document.getElementById("reveal-status");
  var logged = false;
  var shown = false;

  function logReveal() {
    if (logged) { return Promise.resolve(true); }
    return fetch("/console/tasks/" + taskId + "/reveal", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { status.textContent = body.error ? body.error.message : "Reveal refused."; return false; }
        logged = true;
        status.textContent = body.revealed_today + (body.cap ? " of " + body.cap : "") + " revealed today";
        return true;
      });
    });
  }

  // Before the reveal every image and the player load blurred renditions from the server;
  // the clear URLs (data-clear) are fetched only once the reveal is logged. Afterwards images
  // switch between the two, and the clear video is hidden again by CSS (its pixels are here).
  var stills = Array.prototype.slice.call(document.querySelectorAll("img[data-clear]"));
  var clearVideo = false;

  function showVideo(visible) {
    if (visible && !clearVideo) {
      clearVideo = true;
      var at = player.currentTime, playing = !player.paused;
      player.addEventListener("loadedmetadata", function restore() {
        player.removeEventListener("loadedmetadata", restore);
        player.currentTime = at;
        if (playing) { player.play(); }
      });
      player.src = player.dataset.clear;
    }
    player.classList.toggle("blurred", !visible);
  }

  function show(visible) {
    shown = visible;
    revealButton.setAttribute("aria-pressed", visible ? "true" : "false");
    revealButton.firstChild.textContent = visible ? "Blur " : "Reveal ";
    if (player) { showVideo(visible); }
    stills.forEach(function (still) {
      still.src = visible ? still.dataset.clear : still.dataset.blurred;
    });
    if (image) {
      image.alt = visible ? "Flagged image (revealed)" : "Flagged image (blurred until revealed)";
    }
    task.dataset.shown = visible ? "true" : "false";
  }

  function toggle() {
    if (!revealButton) { return; }
    if (shown) { show(false); return; }
    logReveal().then(function (ok) { if (ok) { show(true); } });
  }

  // A short click toggles; pressing for longer than 350 ms peeks until released.
  var pressedAt = 0, peeking = false, holdTimer = null;
  if (revealButton) {
  revealButton.addEventListener("pointerdown", function () {
    pressedAt = Date.now();
    holdTimer = setTimeout(function () {
      if (!shown) { peeking = true; logReveal().then(function (ok) { if (ok && peeking) { show(true); } }); }
    }, 350);
  });
  function endPress() {
    clearTimeout(holdTimer);
    if (peeking) { peeking = false; show(false); pressedAt = -1; }
  }
  revealButton.addEventListener("pointerup", endPress);
  revealButton.addEventListener("pointerleave", endPress);
  revealButton.addEventListener("click", function (event) {
    if (pressedAt === -1) { pressedAt = 0; event.preventDefault(); return; }
    toggle();
  });
  }

  var grayButton = document.getElementById("grayscale");
  function toggleGray() {
    if (!grayButton) { return; }
    var on = task.classList.toggle("gray");
    grayButton.setAttribute("aria-pressed", on ? "true" : "false");
  }
  if (grayButton) { grayButton.addEventListener("click", toggleGray); }

  var texts = document.getElementById("texts");
  var maskButton = document.getElementById("mask");
  function toggleMask() {
    if (!texts) { return; }
    var masked = texts.classList.toggle("masked");
    maskButton.setAttribute("aria-pressed", masked ? "true" : "false");
    maskButton.firstChild.textContent = masked ? "Unmask flagged words " : "Mask flagged words ";
  }
  if (maskButton) { maskButton.addEventListener("click", toggleMask); }

  // Confidence bars: widths come as data (the page allows no inline style).
  document.querySelectorAll(".bar [data-width]").forEach(function (fill) {
    fill.style.width = Math.max(0, Math.min(100, Number(fill.dataset.width) || 0)) + "%";
  });

  // Timeline: place markers, jump on click.
  var starts = [];
  function jump(ms) {
    if (!player) { return; }
    player.pause();
    player.currentTime = ms / 1000;
    task.dataset.jumpedTo = String(ms);
  }
  function placeMarkers(duration) {
    document.querySelectorAll(".marker").forEach(function (marker) {
      var start = Number(marker.dataset.start) / 1000, end = Number(marker.dataset.end) / 1000;
      marker.style.left = Math.min(100, 100 * start / duration) + "%";
      marker.style.width = Math.max(0.8, 100 * (end - start) / duration) + "%";
    });
  }
  document.querySelectorAll(".marker, .jump").forEach(function (button) {
    var ms = Number(button.dataset.start);
    if (button.classList.contains("jump")) { starts.push(ms); }
    button.addEventListener("click", function () { jump(ms); });
  });
  starts.sort(function (a, b) { return a - b; });
  if (player) {
    var known = Number(task.dataset.duration);
    if (known > 0) { placeMarkers(known); }
    player.addEventListener("loadedmetadata", function () {
      if (isFinite(player.duration) && player.duration > 0) { placeMarkers(player.duration); }
    });
  }
  function step(direction) {
    if (!player || !starts.length) { return; }
    var now = player.currentTime * 1000, target = null;
    if (direction > 0) { target = starts.find(function (s) { return s > now + 1; }); if (target === undefined) { target = starts[0]; } }
    else { var before = starts.filter(function (s) { return s < now - 1; }); target = before.length ? before[before.length - 1] : starts[starts.length - 1]; }
    jump(target);
  }

  // Verdict buttons and keys.
  var form = document.getElementById("verdict");
  var actionField = document.getElementById("action");
  var seconds = document.getElementById("seconds");
  function submitVerdict(action) {
    actionField.value = action;
    seconds.value = ((Date.now() - started) / 1000).toFixed(1);
    form.submit();
  }
  form.querySelectorAll("button[data-action]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      submitVerdict(button.dataset.action);
    });
  });
  var keys = { a: "allow", n: "annotate", b: "block" };
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" && event.target.type !== "radio" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (keys[key]) { event.preventDefault(); submitVerdict(keys[key]); }
    else if (key === "r") { event.preventDefault(); toggle(); }
    else if (key === "g") { event.preventDefault(); toggleGray(); }
    else if (key === "m") { event.preventDefault(); toggleMask(); }
    else if (key === "j") { event.preventDefault(); step(1); }
    else if (key === "k") { event.preventDefault(); step(-1); }
    else if (key === "s") { event.preventDefault(); document.querySelector('form[action$="/skip"]').submit(); }
  });
})();
