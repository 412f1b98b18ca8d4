// Alert markers on the host charts: a dashed line at every stored alert transition of this
// host and a shaded span while an alert fired, from /api/v1/alerts/history. host.js loads
// this file, announces each new range with a "sshmon:range" event on #host, and calls
// sshmonMarkers.draw(u) from every chart's draw hook.
"use strict";
(function () {
  const root = document.getElementById("host");
  if (!root) return;
  const COLORS = { critical: "#ef4444", warning: "#f59e0b", resolved: "#10b981", other: "#9ca3af" };
  const LOOKBACK_S = 7 * 86400; // a span that began before the range still shades it
  let spans = [];  // {from, to, severity}
  let lines = [];  // {ts, color}
  let inflight = null;

  function historyUrl() {
    // the host page names no alerts URL; the API sits beside the charts endpoint
    return root.dataset.alertsUrl ||
      root.dataset.chartsUrl.replace(/\/api\/v1\/hosts\/.*$/, "/api/v1/alerts/history");
  }
  function color(e) {
    if (e.state === "resolved") return COLORS.resolved;
    return COLORS[e.severity] || COLORS.other;
  }
  function build(events, from, to) {
    // newest first from the API: walk oldest first, pairing a firing with the next resolve
    // of the same alert (rule and device); one still firing shades to the end of the range
    const open = new Map();
    spans = [];
    lines = [];
    for (const e of events.slice().reverse()) {
      const key = e.rule + "\u0000" + ((e.labels && e.labels.dev) || "");
      if (e.state === "firing") {
        const o = open.get(key);
        if (o) o.severity = e.severity; else open.set(key, { from: e.ts, severity: e.severity });
      } else if (e.state === "resolved" || e.state === "inactive") {
        const o = open.get(key);
        if (o) { spans.push({ from: o.from, to: e.ts, severity: o.severity }); open.delete(key); }
      }
      // a pending that never fired (and its cancel, "inactive") is not worth a line
      if (e.state !== "pending" && e.state !== "inactive" && e.ts >= from && e.ts <= to) {
        lines.push({ ts: e.ts, color: color(e) });
      }
    }
    for (const o of open.values()) spans.push({ from: o.from, to: to, severity: o.severity });
    spans = spans.filter((s) => s.to >= from && s.from <= to);
  }
  function note(text) {
    let p = document.getElementById("alert-markers");
    if (!p) {
      p = document.createElement("p");
      p.id = "alert-markers";
      p.className = "status";
      document.getElementById("chart-status").after(p);
    }
    p.textContent = text;
  }
  function redraw() {
    if (!window.sshmonHost) return;
    for (const { u } of window.sshmonHost.plots.values()) u.redraw(false, false);
  }
  function load(from, to) {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const q = new URLSearchParams({ host: root.dataset.host, from: String(Math.floor(from - LOOKBACK_S)),
      to: String(Math.ceil(to) + 1), limit: "2000" });
    fetch(historyUrl() + "?" + q, { signal: inflight.signal, credentials: "same-origin" })
      .then((res) => res.json().then((body) => {
        if (!res.ok) throw new Error(body.detail || res.status);
        return body;
      }))
      .then((events) => {
        build(events, from, to);
        root.dataset.alertMarkers = String(lines.length);
        note(lines.length ? lines.length + " alert event" + (lines.length === 1 ? "" : "s") +
          " in this range: dashed lines, shaded while firing" : "");
        redraw();
      })
      .catch((e) => { if (e.name !== "AbortError") note("alert markers unavailable: " + e.message); });
  }
  function draw(u) {
    if (!spans.length && !lines.length) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const s of spans) {
      const x0 = u.valToPos(s.from, "x", true);
      const x1 = u.valToPos(s.to, "x", true);
      ctx.fillStyle = (COLORS[s.severity] || COLORS.other) + "22";
      ctx.fillRect(x0, top, Math.max(x1 - x0, dpr), height);
    }
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    for (const l of lines) {
      const x = Math.round(u.valToPos(l.ts, "x", true)) + 0.5;
      ctx.strokeStyle = l.color;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }

  root.addEventListener("sshmon:range", (e) => load(e.detail.from, e.detail.to));
  window.sshmonMarkers = { draw, load, spans: () => spans, lines: () => lines };
  // host.js may have announced its first range before this file arrived
  const current = window.sshmonHost && window.sshmonHost.current();
  if (current) load(current.from, current.to);
})();
