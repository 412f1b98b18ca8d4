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
  const LEGEND_MAX = 16;
  const BINARY_UNITS = new Set(["bytes", "bytes_per_second"]);
  const BINARY_INCRS = [];
  for (let p = 1; p < 2 ** 60; p *= 1024) for (const m of [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]) BINARY_INCRS.push(m * p);
  const plots = new Map();   // chart id -> {u, chart, raw}
  let current = null;        // last response
  let zoomStack = [];        // ranges to go back to on double-click
  const ifaceToggle = document.getElementById("show-aux-ifaces");
  const compareSelect = document.getElementById("compare");
  const compared = new Map(); // chart id -> the same chart one day/week earlier, ts shifted on

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
  // the page's own URL also says what is compared and whether lo/ifb show, so a shared link
  // shows the same picture (the charts API is asked with the range alone)
  const COMPARE = { "1d": 86400, "7d": 604800 };
  function pageQuery(r) {
    const p = query(r);
    const shift = compareShift();
    for (const [name, s] of Object.entries(COMPARE)) if (s === shift) p.set("compare", name);
    if (ifaceToggle && ifaceToggle.checked) p.set("ifaces", "all");
    return p;
  }
  function navigate(r, push) {
    const qs = pageQuery(r).toString();
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
    const shift = compareShift();
    if (!shift) compared.clear();
    batches.forEach((ids, i) => {
      chain = chain.then(() => fetchCharts(r, ids, signal)).then((data) => (shift
        ? fetchCharts({ from: String(Math.floor(data.from - shift)), to: String(Math.ceil(data.to - shift)) }, ids, signal)
          .then((before) => { keepCompared(before, shift); return data; })
        : data)).then((data) => {
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

  // --- compare with the day or week before ---------------------------------------------------
  function compareShift() { return compareSelect ? Number(compareSelect.value) || 0 : 0; }
  function keepCompared(before, shift) {
    for (const c of before.charts) compared.set(c.id, { ...c, ts: c.ts.map((ts) => ts + shift) });
  }
  const { visible, compareSeries, plotData } = window.sshmonChartData;

  function draw(chart) {
    const fig = root.querySelector('figure[data-chart="' + chart.id + '"]');
    if (!fig) return;
    const box = fig.querySelector(".plot");
    const old = plots.get(chart.id);
    if (old) { old.u.destroy(); plots.delete(chart.id); }
    box.replaceChildren();
    const view = visible(chart, ifaceToggle && ifaceToggle.checked);
    fig.classList.toggle("nodata", view.series.length === 0);
    if (!view.series.length) {
      const p = document.createElement("p");
      p.className = "nodata";
      p.textContent = chart.series.length ? "only lo/ifb interfaces: tick “show lo and ifb”" : "no data in this range";
      box.appendChild(p);
      return;
    }
    const f = fmt.unit(chart.unit);
    const t = theme();
    const rec = {};
    const limits = chart.thresholds || [];
    const lines = sshmonPlot.thresholdLines(limits, chart.unit);
    const cmp = compareSeries(chart, view, compared.get(chart.id), compareShift(), PALETTE);
    const entry = { chart, view, cmp, rec, raw: null, u: null };
    const own = (si, idx) => {
      const v = idx === null || idx === undefined ? null : entry.raw[si][idx];
      return v === undefined ? null : v;
    };
    const series = [{ value: (u, ts) => (ts === null ? "–" : new Date(ts * 1000).toLocaleString()) }];
    view.series.forEach((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      series.push({
        label: s.label, stroke: color, width: 1.5,
        fill: chart.stacked ? color + "55" : undefined,
        // the legend shows the series' own value, not the stacked sum
        value: (u, v, si, idx) => f(own(si, idx)),
        // a line needs two points: a lone one (one poll in the range) is drawn as a dot
        points: { show: false, size: 6, fill: color, filter: sshmonPlot.lonePoints },
        spanGaps: false,
      });
    });
    if (cmp) {
      cmp.labels.forEach((label, i) => {
        const color = cmp.colors[i] || t.fg;
        series.push({ label, stroke: color + "80", width: 1, dash: [4, 3], value: (u, v, si, idx) => f(own(si, idx)),
          points: { show: false, size: 4, fill: color + "80", filter: sshmonPlot.lonePoints }, spanGaps: false });
      });
    }
    const bands = chart.stacked ? view.series.slice(1).map((_, i) => ({ series: [i + 2, i + 1] })) : undefined;
    const opts = {
      width: Math.max(box.clientWidth, 280), height: 220,
      // crosshair synced across charts, selection not: a synced drag would zoom ten times
      cursor: {
        sync: { key: "host", filters: { pub: (type) => type !== "mousedown" && type !== "mouseup" } },
        drag: { x: true, y: false, setScale: false },
      },
      select: { show: true },
      // past 16 lines (a many-core host's per-core chart) a legend is a wall of names taller
      // than the plot; the lines still draw and the cursor still reads them
      legend: { show: view.series.length <= LEGEND_MAX, live: true },
      scales: {
        // the asked range, not the data's: a new host's 15 minutes must not fill a 30-day chart
        x: { time: true, range: () => [current.from, current.to] },
        y: chart.unit === "percent" && chart.stacked ? { range: [0, 100] } : { range: sshmonPlot.yRange(limits, chart.unit) },
      },
      axes: [
        // x: room for "12:30pm" so neighbouring time labels never touch
        { stroke: t.fg, grid: { stroke: t.grid }, ticks: { stroke: t.grid }, space: 80 },
        sshmonPlot.yAxis(chart.unit, t, BINARY_UNITS.has(chart.unit) ? BINARY_INCRS : undefined, rec),
      ],
      series, bands,
      hooks: {
        setSelect: [onSelect],
        draw: [(u) => {
          if (window.sshmonMarkers) window.sshmonMarkers.draw(u);
          sshmonPlot.drawThresholds(u, lines, rec);
          sshmonPlot.record(fig, u, rec);
        }],
      },
    };
    const u = new uPlot(opts, plotData(entry), box);
    if (!opts.legend.show) {
      // without a legend, say what the lines are so the picture is not a mystery
      const note = document.createElement("p");
      note.className = "legend-note";
      note.textContent = view.series.length + " lines, " + view.series[0].label + " … " +
        view.series[view.series.length - 1].label + " (legend hidden past " + LEGEND_MAX + ")";
      box.appendChild(note);
    }
    entry.u = u;
    plots.set(chart.id, entry);
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
    // first: setData below re-reads the x range (the charts' scales.x.range) from these
    current.to = ev.ts;
    current.from = cutoff;
    const moved = new Set();
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
      if (p) { p.u.setData(plotData(p)); moved.add(p); }
    }
    // charts without a point in this poll (df comes every few polls) slide all the same
    for (const p of plots.values()) if (!moved.has(p)) p.u.setScale("x", { min: cutoff, max: ev.ts });
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
  // pan: the same span, earlier or later by half of it (buttons, ←/→ on a focused chart), or
  // by the distance dragged with Shift held (a plain drag zooms)
  function pan(seconds) {
    if (!current) return;
    const from = Math.round(current.from + seconds), to = Math.round(current.to + seconds);
    navigate({ from: String(from), to: String(to) }, true);
  }
  document.getElementById("pan-earlier").addEventListener("click", () => pan(-(current.to - current.from) / 2));
  document.getElementById("pan-later").addEventListener("click", () => pan((current.to - current.from) / 2));
  document.getElementById("charts").addEventListener("keydown", (e) => {
    if (!current || !e.target.matches("figure.chart")) return;
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    e.preventDefault();
    pan((e.key === "ArrowLeft" ? -1 : 1) * (current.to - current.from) / 2);
  });
  document.getElementById("charts").addEventListener("mousedown", (e) => {
    if (!e.shiftKey || !e.target.classList.contains("u-over")) return;
    // capture phase: uPlot's own mousedown (which starts a zoom selection) never sees it
    e.stopPropagation();
    e.preventDefault();
    const over = e.target, rect = over.getBoundingClientRect(), x0 = e.clientX;
    over.classList.add("panning");
    window.addEventListener("mouseup", (up) => {
      over.classList.remove("panning");
      const dx = up.clientX - x0;
      if (Math.abs(dx) < 3 || !current) return;
      pan(-dx / rect.width * (current.to - current.from));
    }, { once: true });
  }, true);
  function keepInUrl() { history.replaceState(history.state, "", "?" + pageQuery(rangeFromUrl())); }
  if (ifaceToggle) ifaceToggle.addEventListener("change", () => {
    keepInUrl();
    if (current) current.charts.forEach(draw);
  });
  if (compareSelect) compareSelect.addEventListener("change", () => { keepInUrl(); load(rangeFromUrl()); });
  function viewFromUrl() {
    const p = new URLSearchParams(location.search);
    if (compareSelect) compareSelect.value = String(COMPARE[p.get("compare")] || 0);
    if (ifaceToggle) ifaceToggle.checked = p.get("ifaces") === "all";
  }
  document.getElementById("charts").addEventListener("dblclick", () => {
    const back = zoomStack.pop();
    if (back) navigate(back, true);
  });
  window.addEventListener("popstate", () => { const r = rangeFromUrl(); viewFromUrl(); markPreset(r.range); load(r); });
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
  viewFromUrl();
  markPreset(start.range);
  load(start);
  window.sshmonLive.connect(root.dataset.liveUrl, onPoll);
  window.sshmonHost = { plots, current: () => current };
})();
