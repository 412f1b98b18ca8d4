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
  function percent(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return v >= 10 ? v.toFixed(0) + " %" : v.toFixed(1) + " %";
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
  };
  window.fmt = { size, percent, number, si, duration, byUnit,
    rate: (v) => size(v, "/s"), unit: (u) => byUnit[u] || si };
})();
