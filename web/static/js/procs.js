// "Top processes": runs the server's fixed `ps` on the host only when the panel is opened or
// refreshed (it costs the target a process spawn, so never on page load or on a timer).
"use strict";
(function () {
  const root = document.getElementById("host");
  const panel = document.getElementById("procs");
  if (!root || !panel) return;
  const status = document.getElementById("procs-status");
  const button = document.getElementById("procs-refresh");

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text; // textContent: process names come from the target, never HTML
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  function fill(id, procs) {
    const body = document.querySelector("#" + id + " tbody");
    const rows = procs.map((p) => {
      const tr = document.createElement("tr");
      cell(tr, String(p.pid));
      cell(tr, p.user);
      cell(tr, p.cpu_percent === null ? "–" : p.cpu_percent.toFixed(1) + " %", "num");
      cell(tr, p.rss_bytes === null ? "–" : fmt.size(p.rss_bytes), "num");
      cell(tr, p.command, "cmd");
      return tr;
    });
    body.replaceChildren(...rows);
  }
  function load() {
    status.textContent = "running ps…";
    button.disabled = true;
    fetch(root.dataset.procsUrl, { credentials: "same-origin" })
      .then((res) => res.json().then((body) => {
        if (!res.ok) throw new Error(body.detail || res.status);
        return body;
      }))
      .then((data) => {
        fill("procs-cpu", data.by_cpu);
        fill("procs-mem", data.by_memory);
        const notes = [data.count + " processes"];
        if (!data.has_cpu) notes.push("this host's ps reports no CPU %");
        if (!data.has_rss) notes.push("this host's ps reports no memory");
        if (data.truncated) notes.push("output was cut at the size cap");
        status.textContent = notes.join(" · ") + " · " + new Date(data.ts * 1000).toLocaleTimeString();
      })
      .catch((e) => { status.textContent = "could not list processes: " + e.message; })
      .finally(() => { button.disabled = false; });
  }
  panel.addEventListener("toggle", () => { if (panel.open) load(); });
  button.addEventListener("click", load);
})();
