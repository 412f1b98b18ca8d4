// Pieces of a host chart that must read right: y axes as wide as their labels, tick labels
// that are the value they sit at, an x axis that spans the asked range, lone points drawn,
// and the alert rules' thresholds as labelled lines. host.js builds the uPlot options with
// these; each chart's <figure> records what was drawn (data-yaxis, data-thresholds) so the
// browser tests can compare the picture with the numbers.
"use strict";
(function () {
  const COLORS = { warning: "#f59e0b", critical: "#ef4444" };

  function dpr() { return window.devicePixelRatio || 1; }

  // width in CSS pixels of `text` in the axis's own canvas font (uPlot keeps the font scaled
  // by the device pixel ratio in axis.font[0])
  function textWidth(u, axis, text) {
    const ctx = u.ctx;
    ctx.save();
    ctx.font = axis.font[0];
    const w = ctx.measureText(text).width / dpr();
    ctx.restore();
    return w;
  }

  // A y axis: labels exact to their tick (fmt.axis) and the axis as wide as its widest label
  // plus tick and gap. A fixed width (72 px before) cut "48.0 MiB/s" to "-8.0 MiB/s".
  function yAxis(unit, theme, incrs, rec) {
    return {
      stroke: theme.fg, grid: { stroke: theme.grid }, ticks: { stroke: theme.grid },
      incrs,
      values: (u, splits) => {
        const labels = fmt.axis(unit, splits);
        rec.ticks = splits.map((v, i) => [v, labels[i]]);
        return labels;
      },
      size: (u, values, axisIdx, cycleNum) => {
        const axis = u.axes[axisIdx];
        if (!values) return axis._size || 50;  // first layout pass, before any ticks
        let widest = 0;
        for (const v of values) if (v) widest = Math.max(widest, textWidth(u, axis, v));
        // + 2: measureText and the drawn glyphs may differ by a subpixel after rounding
        const size = Math.ceil(widest + axis.ticks.size + axis.gap + 2);
        // uPlot re-runs the layout while sizes change; never shrink after the first cycles,
        // so it converges and a label from an earlier cycle is never cut
        rec.size = cycleNum > 1 ? Math.max(size, rec.size || 0) : size;
        return rec.size;
      },
    };
  }

  // The y range: the data's, widened to take in the thresholds (a line off the chart tells
  // nobody how close the value is), padded to nice numbers by uPlot's own rangeNum. Only on
  // percent charts (0-100 is their natural frame) or when the line is within FAR times the
  // data's peak: a 500 ms latency limit over 3 ms of data would flatten the data into the
  // axis; such a line is named at the chart's edge instead (drawThresholds).
  const FAR = 4;
  function yRange(limits, unit) {
    return (u, min, max) => {
      const data = max !== null && max !== undefined;
      let lo = min, hi = max;
      for (const t of limits) {
        if (data && unit !== "percent" && Math.abs(t.value) > FAR * Math.abs(max)) continue;
        lo = lo === null || lo === undefined ? t.value : Math.min(lo, t.value);
        hi = hi === null || hi === undefined ? t.value : Math.max(hi, t.value);
      }
      if (lo === null || lo === undefined) return [0, 1];
      return uPlot.rangeNum(Math.min(lo, 0), hi, 0.1, true);
    };
  }

  // Points of a series with no neighbour on either side (a range holding one poll, a lone
  // value between gaps): a line needs two points, so these would not show at all. An
  // undefined value is another series' stamp (compare overlays share the x axis): look past it.
  function lonePoints(u, seriesIdx) {
    const ys = u.data[seriesIdx];
    const near = (i, dir) => {
      for (let j = i + dir; j >= 0 && j < ys.length; j += dir) if (ys[j] !== undefined) return ys[j];
      return null;
    };
    const out = [];
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === null || ys[i] === undefined) continue;
      if (near(i, -1) === null && near(i, 1) === null) out.push(i);
    }
    return out.length ? out : null;
  }

  // distinct lines: two rules (or two devices' rules) at one value draw one line
  function thresholdLines(limits, unit) {
    const seen = new Map();
    for (const t of limits) {
      const key = t.severity + "\u0000" + t.value;
      const prev = seen.get(key);
      if (prev) { if (!prev.rules.includes(t.rule)) prev.rules.push(t.rule); continue; }
      seen.set(key, { severity: t.severity, value: t.value, rules: [t.rule] });
    }
    return Array.from(seen.values()).map((l) => ({
      ...l, label: l.rules.join(", ") + " " + l.severity + " " + fmt.axis(unit, [l.value])[0],
    }));
  }

  // Where each in-range line's label goes (text baselines, canvas pixels): above its line,
  // or below it when the line runs along the top edge or the label above would overlap the
  // one placed before; a label that still overlaps is pushed down past it. Lines are taken
  // top to bottom. Two rules' lines 8 points apart on a 0-100 % chart (cpu_busy's 90 and
  // 98) lie closer than a line of text, and their labels were printed over each other.
  function labelBaselines(ys, top, r) {
    const h = 13 * r;  // one line of the 12 px axis font and a pixel to spare
    const order = ys.map((y, i) => i).sort((a, b) => ys[a] - ys[b]);
    const out = new Array(ys.length);
    let prevBottom = -Infinity;
    for (const i of order) {
      const y = ys[i];
      let ty = y - 2 * r;
      if (ty - h < top || ty - h < prevBottom + r) ty = y + 14 * r;
      if (ty - h < prevBottom + r) ty = prevBottom + r + h;
      out[i] = ty;
      prevBottom = ty;
    }
    return out;
  }

  function drawThresholds(u, lines, rec) {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const r = dpr();
    rec.thresholds = [];
    if (!lines.length) return;
    ctx.save();
    ctx.font = u.axes[1].font[0];
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    ctx.lineJoin = "round";
    // each label on a box of the panel's colour: a series or another rule's line passing
    // under it is hidden there instead of striking the text through
    const panel = getComputedStyle(u.root).getPropertyValue("--panel").trim() || "#ffffff";
    const label = (text, ty) => {
      const x = left + width - 4 * r;
      const w = ctx.measureText(text).width;
      const fill = ctx.fillStyle;
      ctx.fillStyle = panel;
      ctx.fillRect(x - w - 2 * r, ty - 13 * r, w + 4 * r, 13 * r);
      ctx.fillStyle = fill;
      ctx.fillText(text, x, ty);
    };
    ctx.lineWidth = r;
    ctx.setLineDash([6 * r, 4 * r]);
    let above = 0, below = 0;
    const inRange = [], recs = new Array(lines.length);
    lines.forEach((l, at) => {
      const y = Math.round(u.valToPos(l.value, "y", true)) + 0.5;
      ctx.fillStyle = ctx.strokeStyle = COLORS[l.severity];
      if (y < top - 1 || y > top + height + 1) {
        // off the scale: say so at the edge it lies beyond, one line of text per threshold
        const up = y < top;
        const ty = up ? top + (14 + 14 * above++) * r : top + height - (4 + 14 * below++) * r;
        const text = (up ? "↑ " : "↓ ") + l.label;
        label(text, ty);
        recs[at] = { severity: l.severity, value: l.value, label: text, y: null,
          offscale: up ? "above" : "below", color: COLORS[l.severity],
          labelBox: [(ty - 13 * r) / r, ty / r] };
        return;
      }
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      inRange.push({ l, y, at });
    });
    // labels after every line, so no dashed line is drawn across a label
    const tys = labelBaselines(inRange.map((e) => e.y), top, r);
    inRange.forEach(({ l, y, at }, i) => {
      ctx.fillStyle = COLORS[l.severity];
      label(l.label, tys[i]);
      recs[at] = { severity: l.severity, value: l.value, label: l.label,
        y: y / r, color: COLORS[l.severity], labelBox: [(tys[i] - 13 * r) / r, tys[i] / r] };
    });
    rec.thresholds = recs;
    ctx.restore();
  }

  // after each draw: what the figure shows, for tests and for anyone reading the DOM
  function record(fig, u, rec) {
    const axis = u.axes[1];
    fig.dataset.yaxis = JSON.stringify({ font: axis.font[0], dpr: dpr(), size: rec.size,
      gap: axis.gap, tick: axis.ticks.size, ticks: rec.ticks || [] });
    fig.dataset.thresholds = JSON.stringify(rec.thresholds || []);
  }

  window.sshmonPlot = { yAxis, yRange, lonePoints, thresholdLines, drawThresholds, record, COLORS };
})();
