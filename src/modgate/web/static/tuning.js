// The dashboard's tuning curves: per category, precision and recall by threshold with their
// lower bounds and the share of decisions, from /console/metrics/tuning, drawn with uPlot.
// The caption of each chart says its thresholds now and what the targets propose; vertical
// lines mark them.
(function () {
  "use strict";
  var root = document.getElementById("tuning-charts");
  if (!root || typeof uPlot === "undefined") { return; }
  var tenant = root.getAttribute("data-tenant") || "default";
  var form = document.getElementById("tuning-form");
  var status = document.getElementById("tuning-status");
  var plots = [];
  var COLOURS = { precision: "#0b4f9c", recall: "#a10e0e", share: "#0a6b2d" };

  function width() { return Math.max(320, Math.min(560, root.clientWidth / 2 - 24)); }

  function line(label, colour, dash, thin) {
    return { label: label, stroke: colour, width: thin ? 1 : 2, dash: dash || undefined, spanGaps: false };
  }

  function bands(b) {
    if (!b) { return "no rule of its own"; }
    var parts = [];
    if (b.block !== null) { parts.push("block " + b.block); }
    if (b.review !== null) { parts.push("review " + b.review); }
    return parts.join(", ") || "annotate only";
  }

  function caption(name, item) {
    var text = name + ": " + bands(item.current);
    if (item.status === "tuned") { text += " → " + bands(item.proposed); }
    return text + " (" + item.status.replace(/_/g, " ") + ", " + item.examples + " checked)";
  }

  // Vertical lines at the thresholds: now in grey, proposed in green; block solid, review dashed.
  function markers(item) {
    var found = [];
    [[item.current, "#6b6b6b"], [item.status === "tuned" ? item.proposed : null, "#0a6b2d"]]
      .forEach(function (pair) {
        var b = pair[0];
        if (!b) { return; }
        if (b.block !== null) { found.push({ value: b.block, colour: pair[1], dash: [] }); }
        if (b.review !== null) { found.push({ value: b.review, colour: pair[1], dash: [5, 4] }); }
      });
    return function (u) {
      var ctx = u.ctx;
      found.forEach(function (m) {
        var x = Math.round(u.valToPos(m.value, "x", true));
        ctx.save();
        ctx.strokeStyle = m.colour;
        ctx.lineWidth = 2;
        ctx.setLineDash(m.dash);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.restore();
      });
    };
  }

  function chart(name, curve, item) {
    var figure = document.createElement("figure");
    figure.setAttribute("data-category", name);
    figure.setAttribute("data-status", item.status);
    var title = document.createElement("figcaption");
    title.textContent = caption(name, item);
    var target = document.createElement("div");
    figure.appendChild(title);
    figure.appendChild(target);
    root.appendChild(figure);
    var percent = { values: function (_u, ticks) { return ticks.map(function (t) { return Math.round(t * 100) + " %"; }); } };
    var options = {
      width: width(),
      height: 220,
      hooks: { draw: [markers(item)] },
      scales: { x: { time: false, range: [0, 100] }, y: { range: [0, 1] } },
      axes: [{ label: "threshold (confidence)" }, percent],
      series: [
        { label: "threshold" },
        line("Precision", COLOURS.precision),
        line("Precision, lower bound", COLOURS.precision, [6, 4], true),
        line("Recall", COLOURS.recall),
        line("Recall, lower bound", COLOURS.recall, [6, 4], true),
        line("Share of decisions", COLOURS.share, [2, 3], true),
      ],
    };
    var data = [curve.thresholds, curve.precision, curve.precision_low, curve.recall,
      curve.recall_low, curve.share];
    plots.push(new uPlot(options, data, target));
  }

  function draw(payload) {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    root.textContent = "";
    var names = Object.keys(payload.curves).filter(function (name) {
      return payload.curves[name].examples > 0;
    });
    names.forEach(function (name) { chart(name, payload.curves[name], payload.categories[name]); });
    var tuned = payload.tuned.length ? "proposed changes: " + payload.tuned.join(", ") : "no threshold to change";
    status.textContent = names.length
      ? payload.examples + " checked decisions of policy " + payload.policy + "; " + tuned + "."
      : "No checked decisions in this period.";
    root.setAttribute("data-drawn", String(names.length));
  }

  function load() {
    status.textContent = "Loading…";
    root.removeAttribute("data-drawn");
    var params = new URLSearchParams({ tenant: tenant });
    ["target-precision", "target-recall"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input && input.value !== "") { params.set(input.name, input.value); }
    });
    fetch("/console/metrics/tuning?" + params.toString(),
      { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(draw)
      .catch(function (e) { status.textContent = "The curves could not be loaded (" + e.message + ")."; });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();
