// The metrics dashboard's charts: the figures bucket by bucket from /console/metrics/series,
// drawn with uPlot (vendored under /console/static/vendor/uplot). No inline script: the
// console's Content-Security-Policy allows only its own files.
(function () {
  "use strict";
  var root = document.getElementById("charts");
  if (!root || typeof uPlot === "undefined") { return; }
  var tenant = root.getAttribute("data-tenant") || "default";
  var status = document.getElementById("chart-status");
  var plots = [];
  var COLOURS = { allow: "#0a6b2d", block: "#a10e0e", review: "#0b4f9c", other: "#7a4d00" };

  function width() { return Math.max(320, Math.min(560, root.clientWidth - 16)); }

  function line(label, colour, dash) {
    return { label: label, stroke: colour, width: 2, dash: dash || undefined, spanGaps: false };
  }

  function chart(id, series, data, percent) {
    var target = document.getElementById(id);
    target.textContent = "";
    var axis = percent
      ? { values: function (_u, ticks) { return ticks.map(function (t) { return Math.round(t * 100) + " %"; }); } }
      : {};
    var options = {
      width: width(),
      height: 220,
      series: [{}].concat(series),
      axes: [{}, axis],
      scales: percent ? { y: { range: [0, 1] } } : {},
    };
    plots.push(new uPlot(options, data, target));
  }

  function column(buckets, key) {
    return buckets.map(function (b) { return b[key] === null ? null : b[key]; });
  }

  function draw(payload) {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    var buckets = payload.buckets;
    var times = buckets.map(function (b) { return Date.parse(b.since) / 1000; });
    chart("chart-volume", [line("Items", COLOURS.review)], [times, column(buckets, "total")], false);
    chart("chart-shares", [
      line("Allowed", COLOURS.allow),
      line("Blocked", COLOURS.block),
      line("Review", COLOURS.review),
    ], [times, column(buckets, "auto_allowed_ratio"), column(buckets, "auto_blocked_ratio"),
        column(buckets, "review_ratio")], true);
    chart("chart-review", [
      line("Average", COLOURS.review),
      line("90th percentile", COLOURS.other, [6, 4]),
    ], [times, column(buckets, "average_review_seconds"), column(buckets, "p90_review_seconds")], false);
    chart("chart-quality", [
      line("Disagreement", COLOURS.other),
      line("Appeals overturned", COLOURS.block, [6, 4]),
    ], [times, column(buckets, "disagreement_rate"), column(buckets, "appeal_overturn_rate")], true);
    status.textContent = buckets.length + " buckets by " + payload.step + ".";
    root.setAttribute("data-drawn", payload.step);
  }

  function load(step) {
    status.textContent = "Loading…";
    var url = "/console/metrics/series?step=" + encodeURIComponent(step) +
      "&tenant=" + encodeURIComponent(tenant);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function (e) { status.textContent = "The figures could not be loaded (" + e.message + ")."; });
  }

  document.querySelectorAll("button[data-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      document.querySelectorAll("button[data-step]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      load(button.getAttribute("data-step"));
    });
  });
  load("day");
})();
