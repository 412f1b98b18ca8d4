// What a host chart shows, as data (no DOM): lo/ifb hidden until asked for, stacked bands,
// and an earlier day or week joined onto the same x axis. host.js draws it.
"use strict";
(function () {
  // The same chart `shift` seconds earlier (`other`, its ts already moved on by `shift`) as
  // faint series beside the view's own: per series, or the stack's top for a stacked chart.
  function compareSeries(chart, view, other, shift, palette) {
    if (!shift || !other || !other.ts.length) return null;
    const tag = shift === 86400 ? " (day before)" : shift === 604800 ? " (week before)" : " (before)";
    if (chart.stacked) {
      // the top of the stack: all bands together, one faint line
      const total = other.ts.map((_, i) => {
        let sum = null;
        for (const col of other.values) if (col[i] !== null) sum = (sum || 0) + col[i];
        return sum;
      });
      return { labels: ["all" + tag], colors: [null], ts: other.ts, values: [total] };
    }
    const byKey = new Map(other.series.map((s, i) => [s.metric + "\u0000" + s.dev, other.values[i]]));
    const out = { labels: [], colors: [], ts: other.ts, values: [] };
    view.series.forEach((s, i) => {
      const col = byKey.get(s.metric + "\u0000" + s.dev);
      if (!col) return;
      out.labels.push(s.label + tag);
      out.colors.push(palette[i % palette.length]);
      out.values.push(col);
    });
    return out.labels.length ? out : null;
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

  // loopback and ifb (the mirrors traffic shaping makes of real interfaces) repeat traffic
  // that the real interfaces already show; hidden until "show lo and ifb" is ticked
  const AUX_IFACE = /^(lo|ifb\d+)$/;
  function visible(chart, showAll) {
    const keep = [];
    chart.series.forEach((s, i) => {
      if (showAll || !(s.metric.startsWith("net_") && AUX_IFACE.test(s.dev))) keep.push(i);
    });
    if (keep.length === chart.series.length) return chart;
    return { ...chart, series: keep.map((i) => chart.series[i]), values: keep.map((i) => chart.values[i]) };
  }

  // The data uPlot draws; entry.raw keeps the unstacked values on the same x for the legend.
  function plotData(entry) {
    const { chart, view, cmp } = entry;
    const own = [chart.ts, ...view.values];
    const drawn = chart.stacked ? [chart.ts, ...stack(view.values)] : own;
    if (!cmp) { entry.raw = own; return drawn; }
    // one x axis for both: uPlot.join marks a stamp only one side has as undefined (joined
    // over); mode 2 (NULL_EXPAND) widens a real gap's null over the other side's stamps in
    // it, else the break would be one 10 s step wide and the line would bridge the outage
    const other = [cmp.ts, ...cmp.values];
    const join = (a, b) => uPlot.join([a, b], [a.map(() => 2), b.map(() => 2)]);
    entry.raw = join(own, other);
    return chart.stacked ? join(drawn, other) : entry.raw;
  }

  window.sshmonChartData = { visible, stack, compareSeries, plotData };
})();
