// Numbers for people; mirrors api/format.py so server- and client-rendered cells agree.
"use strict";
(function () {
  const BIN = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  function size(v, suffix) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    let n = Number(v);
    for (let i = 0; i < BIN.length; i++) {
      if (Math.abs(n) < 1024 || i === BIN.length - 1) {
        const digits = i === 0 || Math.abs(n) >= 100 ? 0 : 1;
        return n.toFixed(digits) + " " + BIN[i] + (suffix || "");
      }
      n /= 1024;
    }
    return "–";
  }
  function significant(v, digits) {
    // `digits` significant digits in plain decimals, never 0 for a value that is not 0
    // (api/format.py significant; toPrecision would switch to 1e-7 notation)
    if (v === 0 || !Number.isFinite(v)) return String(v);
    const places = Math.max(0, (digits || 3) - 1 - Math.floor(Math.log10(Math.abs(v))));
    const text = v.toFixed(Math.min(places, 100));
    return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
  }
  function percent(v) {
    // under 0.1 % by significant digits: one decimal showed a real 0.04 % as "0.0 %"
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (v === 0) return "0 %";
    const a = Math.abs(v);
    if (a >= 10) return v.toFixed(0) + " %";
    if (a >= 0.1) return v.toFixed(1) + " %";
    return significant(v, 2) + " %";
  }
  function number(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return Number(v).toFixed(digits === undefined ? 2 : digits);
  }
  function si(v) {
    // counts and per-second rates: 1.2k, 3.4M
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    const a = Math.abs(v);
    if (Number.isInteger(v) && a < 1e3) return String(v);
    if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
    return a >= 100 || a === 0 ? v.toFixed(0) : v.toFixed(a >= 10 ? 1 : 2);
  }
  function duration(s) {
    if (s === null || s === undefined || Number.isNaN(s)) return "–";
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return d + " d " + h + " h";
    if (h) return h + " h " + m + " m";
    if (m) return m + " m " + sec + " s";
    return sec + " s";
  }
  // one formatter per catalog unit (poller/catalog.py Unit)
  const byUnit = {
    percent: percent,
    bytes: (v) => size(v),
    bytes_per_second: (v) => size(v, "/s"),
    per_second: (v) => (v === null || v === undefined ? "–" : si(v) + "/s"),
    // short durations keep 3 significant digits (a 40 µs await must not print as 0.0 ms)
    seconds: (v) => (v === null || v === undefined ? "–" : v === 0 ? "0 s"
      : v < 1e-3 ? Number((v * 1e6).toPrecision(3)) + " µs"
      : v < 1 ? Number((v * 1e3).toPrecision(3)) + " ms" : duration(v)),
    timestamp: (v) => (v === null || v === undefined ? "–"
      : new Date(v * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC"),
    count: si,
    ratio: (v) => number(v, 2),
    load: (v) => number(v, 2),
    celsius: (v) => (v === null || v === undefined ? "–" : number(v, 1) + " °C"),
  };
  // --- axis tick labels ---------------------------------------------------------------------
  // A tick label must read as the value it sits at: the legend formatters round (12.5 % reads
  // "13 %", 1.0625 MiB "1.1 MiB"), which on an axis puts a number at the wrong height. Here
  // every label of one axis gets as many decimals as its ticks need to be exact (at most 6).
  const SI = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
  function scaleOf(unit, a) {
    // [divisor, suffix] of the display unit for a tick of magnitude a
    if (unit === "bytes" || unit === "bytes_per_second") {
      const tail = unit === "bytes" ? "" : "/s";
      let i = 0;
      while (i < BIN.length - 1 && a >= 1024 ** (i + 1)) i++;
      return [1024 ** i, " " + BIN[i] + tail];
    }
    if (unit === "percent") return [1, " %"];
    if (unit === "seconds") return a >= 1 || a === 0 ? [1, " s"] : a >= 1e-3 ? [1e-3, " ms"] : [1e-6, " µs"];
    if (unit === "ratio" || unit === "load") return [1, ""];
    if (unit === "celsius") return [1, " °C"];
    const tail = unit === "per_second" ? "/s" : "";
    for (const [d, s] of SI) if (a >= d) return [d, s + tail];
    return [1, tail];
  }
  function exactDecimals(x) {
    for (let d = 0; d < 6; d++) {
      const r = Number(x.toFixed(d));
      if (Math.abs(r - x) <= 1e-9 * Math.max(1, Math.abs(x))) return d;
    }
    return 6;
  }
  function axis(unit, splits) {
    const scaled = splits.map((v) => {
      if (v === null || v === undefined) return null;
      const [div, suffix] = scaleOf(unit, Math.abs(v));
      return { x: v / div, suffix };
    });
    // one number of decimals per display unit, so "1.5 MiB/s" and "2.0 MiB/s" line up
    const places = new Map();
    for (const s of scaled) {
      if (s) places.set(s.suffix, Math.max(places.get(s.suffix) || 0, exactDecimals(s.x)));
    }
    return scaled.map((s) => (s === null ? "" : s.x.toFixed(s.x === 0 ? 0 : places.get(s.suffix)) + s.suffix));
  }

  window.fmt = { size, percent, significant, number, si, duration, byUnit, axis,
    rate: (v) => size(v, "/s"), unit: (u) => byUnit[u] || si };
})();
