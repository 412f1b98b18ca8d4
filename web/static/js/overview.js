// Fleet overview: sort, filter, search and group the server-rendered table; draw CPU
// sparklines; apply live updates. Works on the DOM the server sent, so the page is usable
// before (and without) this script, and 2,000 rows need no client-side templating.
"use strict";
(function () {
  const root = document.getElementById("fleet");
  if (!root) return;
  const tbody = document.querySelector("#hosts tbody");
  const heads = Array.from(document.querySelectorAll("#hosts thead th[data-key]"));
  const ctl = {
    q: document.getElementById("q"), group: document.getElementById("group"),
    label: document.getElementById("label"), state: document.getElementById("state"),
    bygroup: document.getElementById("bygroup"),
  };
  const count = document.getElementById("count");
  const fmtOf = {
    cpu: fmt.percent, mem: fmt.percent, fs: fmt.percent, load: (v) => fmt.number(v, 2),
    net_in: fmt.rate, net_out: fmt.rate, uptime: fmt.duration, alerts: (v) => String(v),
  };

  const rows = Array.from(tbody.rows).map((tr) => {
    const cells = {};
    tr.querySelectorAll("td[data-k]").forEach((td) => { cells[td.dataset.k] = td; });
    return {
      tr, cells, host: tr.dataset.host, state: tr.dataset.state,
      groups: tr.dataset.groups ? tr.dataset.groups.split(" ") : [],
      labels: tr.dataset.labels.trim() ? tr.dataset.labels.trim().split(" ") : [],
      // searchable: name and address (the first cell's text), labels and groups
      text: (tr.cells[0].textContent + " " + tr.dataset.labels + " " + tr.dataset.groups).toLowerCase(),
      spark: tr.querySelector("td.spark"), series: null,
    };
  });
  const byHost = new Map(rows.map((r) => [r.host, r]));
  let sortKey = "name", sortDir = 1;
  // how many matching rows are shown; grows by a page as the table is scrolled to its end
  const pageSize = Number(root.dataset.pageSize) || 300;
  let limit = pageSize;
  const more = document.getElementById("more");

  function value(r, key) {
    if (key === "name") return r.host;
    if (key === "state") return r.state;
    const v = r.cells[key] ? r.cells[key].dataset.v : "";
    return v === "" ? null : Number(v);
  }
  function compare(a, b) {
    const va = value(a, sortKey), vb = value(b, sortKey);
    if (va === null && vb === null) return a.host < b.host ? -1 : 1;
    if (va === null) return 1;   // no reading sorts last either way
    if (vb === null) return -1;
    if (va < vb) return -sortDir;
    if (va > vb) return sortDir;
    return a.host < b.host ? -1 : 1;
  }
  function visible(r) {
    const q = ctl.q.value.trim().toLowerCase();
    if (q && !r.text.includes(q)) return false;
    if (ctl.group.value && !r.groups.includes(ctl.group.value)) return false;
    if (ctl.label.value && !r.labels.includes(ctl.label.value)) return false;
    const s = ctl.state.value;
    if (s === "problem") return r.state !== "ok";
    return !s || r.state === s;
  }
  function render() {
    const sorted = rows.slice().sort(compare);
    const frag = document.createDocumentFragment();
    let shown = 0;
    if (ctl.bygroup.checked) {
      const groups = new Map();
      for (const r of sorted) {
        const g = r.groups[0] || "(no group)";
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(r);
      }
      for (const g of Array.from(groups.keys()).sort()) {
        const members = groups.get(g).filter(visible);
        if (!members.length) continue;
        const head = document.createElement("tr");
        head.className = "grouprow";
        const th = document.createElement("th");
        th.colSpan = 11;
        th.scope = "rowgroup";
        th.textContent = g + " (" + members.length + ")";
        head.appendChild(th);
        frag.appendChild(head);
        for (const r of members) { r.tr.hidden = false; frag.appendChild(r.tr); shown++; }
      }
      for (const r of sorted) if (!visible(r)) { r.tr.hidden = true; frag.appendChild(r.tr); }
    } else {
      // moving 2,000 rows costs a full layout: skip it when the order did not change
      // (a copy: indexing the live tbody.rows collection 2,000 times is quadratic)
      const order = Array.from(tbody.rows);
      const inPlace = !tbody.querySelector("tr.grouprow") &&
        sorted.every((r, i) => order[i] === r.tr);
      for (const r of sorted) {
        const ok = visible(r);
        if (ok) shown++;
        const show = ok && shown <= limit;
        if (r.tr.hidden === show) r.tr.hidden = !show;
        if (!inPlace) frag.appendChild(r.tr);
      }
      if (!inPlace) tbody.replaceChildren(frag);
    }
    if (ctl.bygroup.checked) tbody.replaceChildren(frag);
    count.textContent = shown + " of " + rows.length + " hosts";
    more.hidden = ctl.bygroup.checked || shown <= limit;
    if (!more.hidden) more.textContent = "Show more hosts (" + Math.min(limit, shown) + " of " + shown + " shown)";
    for (const th of heads) {
      th.setAttribute("aria-sort", th.dataset.key === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    }
    saveState();
    observeSparks();
  }
  function saveState() {
    const p = new URLSearchParams();
    for (const k of ["q", "group", "label", "state"]) if (ctl[k].value) p.set(k, ctl[k].value);
    if (ctl.bygroup.checked) p.set("by", "group");
    if (sortKey !== "name" || sortDir !== 1) p.set("sort", (sortDir < 0 ? "-" : "") + sortKey);
    const qs = p.toString();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
  }
  function loadState() {
    const p = new URLSearchParams(location.search);
    for (const k of ["q", "group", "label", "state"]) if (p.get(k)) ctl[k].value = p.get(k);
    ctl.bygroup.checked = p.get("by") === "group";
    const s = p.get("sort");
    if (s) { sortDir = s.startsWith("-") ? -1 : 1; sortKey = s.replace(/^-/, ""); }
  }

  heads.forEach((th) => th.querySelector("button").addEventListener("click", () => {
    const key = th.dataset.key;
    limit = pageSize;
    if (key === sortKey) sortDir = -sortDir;
    else { sortKey = key; sortDir = th.dataset.type === "text" ? 1 : -1; } // numbers: worst first
    render();
  }));
  function showMore() { limit += pageSize; render(); }
  more.addEventListener("click", showMore);
  // scrolling near the end of the table reveals the next page by itself
  if ("IntersectionObserver" in window) {
    const near = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting) || more.hidden) return;
      showMore();
      // observing again reports afresh: still near the end after this page, reveal another
      near.unobserve(more);
      near.observe(more);
    }, { rootMargin: "600px" });
    near.observe(more);
  }
  let typing = null;
  ctl.q.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { limit = pageSize; render(); }, 120); });
  for (const k of ["group", "label", "state", "bygroup"]) ctl[k].addEventListener("change", () => { limit = pageSize; render(); });

  // --- sparklines: drawn only when a row scrolls into view -------------------------------
  let sparkData = null;
  const io = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) { draw(e.target); io.unobserve(e.target); }
  }, { rootMargin: "200px" }) : null;
  function observeSparks() {
    if (!sparkData || !io) return;
    for (const r of rows) if (!r.tr.hidden) io.observe(r.spark);
  }
  const canvasRow = new Map(rows.map((r) => [r.spark, r]));
  let sparkColor = null;
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { sparkColor = null; });
  function draw(cell) {
    const r = canvasRow.get(cell);
    const vals = r && r.series;
    // canvases are made on first sight: 2,000 of them up front slowed the first paint
    let canvas = cell.firstElementChild;
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.width = 120;
      canvas.height = 24;
      canvas.setAttribute("aria-hidden", "true");
      cell.appendChild(canvas);
    }
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    if (!vals || !vals.length) return;
    // one style lookup for all sparklines: per canvas it forced a style recalculation each
    if (!sparkColor) sparkColor = getComputedStyle(root).getPropertyValue("--spark").trim() || "#2563eb";
    ctx.strokeStyle = sparkColor;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let started = false;
    const n = Math.max(vals.length - 1, 1);
    // 0 … max(25 %, peak): a quiet host still shows its shape, a busy one is not clipped,
    // and the scale never exaggerates noise on a near-idle box into mountains
    const top = Math.min(100, Math.max(25, ...vals.filter((v) => v !== null)));
    vals.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const x = (i / n) * (w - 2) + 1, y = h - 1 - (Math.min(Math.max(v, 0), top) / top) * (h - 2);
      if (!started) { ctx.moveTo(x, y); started = true; } else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  fetch(root.dataset.sparkUrl, { credentials: "same-origin" })
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(res.status))))
    .then((data) => {
      sparkData = data;
      for (const [host, vals] of Object.entries(data.hosts)) {
        const r = byHost.get(host);
        if (r) r.series = vals;
      }
      observeSparks();
    })
    .catch((e) => console.warn("sparklines unavailable", e));

  // --- live updates ------------------------------------------------------------------------
  function apply(ev) {
    const r = byHost.get(ev.host);
    if (!r) return;
    r.state = ev.state;
    r.tr.dataset.state = ev.state;
    const badge = r.tr.querySelector(".badge");
    badge.className = "badge s-" + ev.state;
    badge.textContent = ev.state.replace(/_/g, " ");
    badge.title = ev.reason || ev.state;
    let why = r.tr.children[1].querySelector("small.reason");
    if (ev.state !== "ok") {
      if (!why) { why = document.createElement("small"); why.className = "reason"; r.tr.children[1].append(" ", why); }
      why.textContent = ev.reason; // textContent: the reason can quote target output
    } else if (why) why.remove();
    const levels = ev.levels || {};
    for (const [k, v] of Object.entries(ev.cells)) {
      const td = r.cells[k];
      if (!td) continue;
      td.dataset.v = v === null ? "" : v;
      td.textContent = fmtOf[k](v);
      // the threshold colour follows the value (the server judged it, see api/thresholds.py)
      td.classList.remove("lvl-warning", "lvl-critical");
      if (levels[k]) { td.classList.add("lvl-" + levels[k]); td.dataset.level = levels[k]; } else delete td.dataset.level;
    }
    if (ev.cells.fs_mount !== undefined && r.cells.fs) r.cells.fs.title = ev.cells.fs_mount;
    if (r.series && ev.cells.cpu !== undefined && ev.cells.cpu !== null) {
      r.series[r.series.length - 1] = ev.cells.cpu; // the current bucket follows the newest poll
      if (r.spark.firstElementChild) draw(r.spark); // drawn before = seen before
    }
  }
  window.sshmonLive.connect(root.dataset.liveUrl, apply);
  loadState();
  render();
})();
