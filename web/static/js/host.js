// Host page charts (uPlot): range picker, drag-zoom, synced crosshair, live points.
// The range lives in the URL (?range=6h or ?from=…&to=… in epoch seconds) so a view can be
// shared; the server chose the resolution for that range, and we redraw on every change.
"use strict";
(function () {
  const root = document.getElementById("host");
  if (!root || !window.uPlot) return;
  // alert markers (markers.js) load beside this file; charts draw without them until then
  const markers = document.createElement("script");
  markers.src = document.currentScript.src.replace(/host\.js([?#].*)?$/, "markers.js");
  document.head.appendChild(markers);
  const status = document.getElementById("chart-status");
  const PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4",
    "#ec4899", "#84cc16", "#f97316", "#6366f1", "#14b8a6", "#a855f7"];
  // byte axes tick at 1, 2, 4 … × powers of 1024 so labels read "4 GiB", not "4.7 GiB"
  const BINARY_UNITS = new Set(["bytes", "bytes_per_second"]);
  const BINARY_INCRS = [];
  for (let p = 1; p < 2 ** 60; p *= 1024) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) BINARY_INCRS.push(m * p);
  const plots = new Map();   // chart id -> {u, chart, raw}
  let current = null;        // last response
  let zoomStack = [];        // ranges to go back to on double-click

  function theme() {
    const css = getComputedStyle(document.body);
    return { fg: css.getPropertyValue("--muted").trim() || "#666",
             grid: css.getPropertyValue("--grid").trim() || "rgba(128,128,128,.15)" };
  }

  // --- the range in the URL -----------------------------------------------------------------
  function rangeFromUrl() {
    const p = new URLSearchParams(location.search);
    if (p.get("from")) return { from: p.get("from"), to: p.get("to") || "now" };
    return { range: p.get("range") || root.dataset.range || "1h" };
  }
  function query(r) {
    const p = new URLSearchParams();
    if (r.range) p.set("range", r.range); else { p.set("from", r.from); p.set("to", r.to); }
    return p;
  }
  function navigate(r, push) {
    const qs = query(r).toString();
    if (push) history.pushState(r, "", "?" + qs); else history.replaceState(r, "", "?" + qs);
    markPreset(r.range);
    load(r);
  }
  function markPreset(range) {
    document.querySelectorAll("#ranges a.range").forEach((a) => {
      const on = a.dataset.range === range;
      a.classList.toggle("on", on);
      if (on) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
    });
  }

  // --- data ---------------------------------------------------------------------------------
  // Two requests per range: the charts on screen first, then the rest, so the top of the
  // page draws while the store still answers for the charts below the fold.
  let inflight = null;
  function fetchCharts(r, ids, signal) {
    const q = query(r);
    q.set("charts", ids.join(","));
    return fetch(root.dataset.chartsUrl + "?" + q, { signal, credentials: "same-origin" })
      .then((res) => res.json().then((body) => {
        if (!res.ok) throw new Error(body.detail || res.status);
        return body;
      }));
  }
  function load(r) {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const signal = inflight.signal;
    status.textContent = "loading…";
    const figs = Array.from(root.querySelectorAll("figure[data-chart]"));
    const onScreen = (f) => f.getBoundingClientRect().top < window.innerHeight;
    const first = figs.filter(onScreen).map((f) => f.dataset.chart);
    const rest = figs.filter((f) => !onScreen(f)).map((f) => f.dataset.chart);
    const batches = [first, rest].filter((ids) => ids.length);
    let chain = Promise.resolve();
    batches.forEach((ids, i) => {
      chain = chain.then(() => fetchCharts(r, ids, signal)).then((data) => {
        if (i === 0) {
          current = data;
          current.live = !!r.range;
          root.dispatchEvent(new CustomEvent("sshmon:range", { detail: { from: data.from, to: data.to } }));
          status.textContent = data.resolution + " data, one point per " + fmt.duration(data.step) +
            " · " + new Date(data.from * 1000).toLocaleString() + " – " + new Date(data.to * 1000).toLocaleString();
          setInputs(data.from, data.to);
        } else {
          current.charts = current.charts.concat(data.charts);
        }
        data.charts.forEach(draw);
      });
    });
    return chain.catch((e) => {
      if (e.name !== "AbortError") status.textContent = "could not load charts: " + e.message;
    });
  }

  function stack(values) {
    // cumulative sums so each band sits on the one below; a missing value stays a gap
    // (drawing it as 0 would show a host that was down as a drop to idle)
    const out = [];
    let acc = null;
    for (const vals of values) {
      const base = acc;
      out.push(vals.map((v, i) => (v === null ? null : v + (base && base[i] !== null ? base[i] : 0))));
      acc = vals.map((v, i) => (base && base[i] !== null ? base[i] : 0) + (v === null ? 0 : v));
    }
    return out;
  }

  function draw(chart) {
    const fig = root.querySelector('figure[data-chart="' + chart.id + '"]');
    if (!fig) return;
    const box = fig.querySelector(".plot");
    const old = plots.get(chart.id);
    if (old) { old.u.destroy(); plots.delete(chart.id); }
    box.replaceChildren();
    fig.classList.toggle("nodata", chart.series.length === 0);
    if (!chart.series.length) {
      const p = document.createElement("p");
      p.className = "nodata";
      p.textContent = "no data in this range";
      box.appendChild(p);
      return;
    }
    const f = fmt.unit(chart.unit);
    const t = theme();
    const values = chart.stacked ? stack(chart.values) : chart.values;
    const series = [{ value: (u, ts) => (ts === null ? "–" : new Date(ts * 1000).toLocaleString()) }];
    chart.series.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      series.push({
        label: s.label, stroke: color, width: 1.5,
        fill: chart.stacked ? color + "55" : undefined,
        // the legend shows the series' own value, not the stacked sum
        value: (u, v, si, idx) => f(idx === null || idx === undefined ? null : chart.values[si - 1][idx]),
        points: { show: false },
        spanGaps: false,
      });
    });
    const bands = chart.stacked ? chart.series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : undefined;
    const opts = {
      width: Math.max(box.clientWidth, 280), height: 220,
      // crosshair synced across charts, selection not: a synced drag would zoom ten times
      cursor: {
        sync: { key: "host", filters: { pub: (type) => type !== "mousedown" && type !== "mouseup" } },
        drag: { x: true, y: false, setScale: false },
      },
      select: { show: true },
      legend: { live: true },
      scales: { x: { time: true }, y: chart.unit === "percent" && chart.stacked ? { range: [0, 100] } : { auto: true } },
      axes: [
        // x: room for "12:30pm" so neighbouring time labels never touch
        { stroke: t.fg, grid: { stroke: t.grid }, ticks: { stroke: t.grid }, space: 80 },
        { stroke: t.fg, grid: { stroke: t.grid }, ticks: { stroke: t.grid }, size: 72,
          incrs: BINARY_UNITS.has(chart.unit) ? BINARY_INCRS : undefined,
          values: (u, splits) => splits.map((v) => f(v)) },
      ],
      series, bands,
      hooks: { setSelect: [onSelect], draw: [(u) => window.sshmonMarkers && window.sshmonMarkers.draw(u)] },
    };
    const u = new uPlot(opts, [chart.ts, ...values], box);
    plots.set(chart.id, { u, chart });
  }

  function onSelect(u) {
    if (u.select.width < 5) return;
    const from = Math.floor(u.posToVal(u.select.left, "x"));
    const to = Math.ceil(u.posToVal(u.select.left + u.select.width, "x"));
    u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
    if (to - from < 10) return;
    zoomStack.push(rangeFromUrl());
    navigate({ from: String(from), to: String(to) }, true);
  }

  // --- live points --------------------------------------------------------------------------
  function onPoll(ev) {
    const lp = document.getElementById("lastpoll");
    // only a poll that answered counts: a host never reached stays "never"
    if (lp && ev.state === "ok") { lp.dataset.ts = ev.ts; lp.textContent = "just now"; }
    if (!current || !current.live || current.resolution !== "raw") return;
    const byKey = new Map(ev.points.map((p) => [p[0] + "\u0000" + p[1], p[3]]));
    const up = byKey.get("uptime_seconds\u0000");
    if (up !== undefined) document.getElementById("uptime").textContent = fmt.duration(up);
    const cutoff = ev.ts - (current.to - current.from);
    for (const chart of current.charts) {
      if (!chart.series.length) continue;
      const vals = chart.series.map((s) => {
        const v = byKey.get(s.metric + "\u0000" + s.dev);
        return v === undefined ? null : v;
      });
      if (vals.every((v) => v === null)) continue;
      if (chart.ts.length && ev.ts <= chart.ts[chart.ts.length - 1]) continue;
      chart.ts.push(ev.ts);
      vals.forEach((v, i) => chart.values[i].push(v));
      while (chart.ts.length && chart.ts[0] < cutoff) {
        chart.ts.shift();
        chart.values.forEach((col) => col.shift());
      }
      const p = plots.get(chart.id);
      if (p) p.u.setData([chart.ts, ...(chart.stacked ? stack(chart.values) : chart.values)]);
    }
    current.to = ev.ts;
    current.from = cutoff;
  }

  // --- controls -----------------------------------------------------------------------------
  function pad(n) { return String(n).padStart(2, "0"); }
  function local(ts) {
    const d = new Date(ts * 1000);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function setInputs(from, to) {
    document.getElementById("from").value = local(from);
    document.getElementById("to").value = local(to);
  }
  document.querySelectorAll("#ranges a.range").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    zoomStack = [];
    navigate({ range: a.dataset.range }, true);
  }));
  document.getElementById("ranges").addEventListener("submit", (e) => {
    e.preventDefault();
    // datetime-local is the viewer's local time; the URL carries epoch seconds
    const from = new Date(document.getElementById("from").value).getTime() / 1000;
    const to = new Date(document.getElementById("to").value).getTime() / 1000;
    if (!(from < to)) { status.textContent = "from must be before to"; return; }
    navigate({ from: String(Math.floor(from)), to: String(Math.ceil(to)) }, true);
  });
  document.getElementById("charts").addEventListener("dblclick", () => {
    const back = zoomStack.pop();
    if (back) navigate(back, true);
  });
  window.addEventListener("popstate", () => { const r = rangeFromUrl(); markPreset(r.range); load(r); });
  let resizeTimer = null;
  new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const { u } of plots.values()) u.setSize({ width: Math.max(u.root.parentElement.clientWidth, 280), height: 220 });
    }, 100);
  }).observe(document.getElementById("charts"));
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    if (current) current.charts.forEach(draw);
  });

  const start = rangeFromUrl();
  markPreset(start.range);
  load(start);
  window.sshmonLive.connect(root.dataset.liveUrl, onPoll);
  window.sshmonHost = { plots, current: () => current };
})();
