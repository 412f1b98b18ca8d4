// Alerts page: each form.api becomes a JSON call to the API it names in `action` (built by
// url_for on the server; the method is POST unless the form says data-method, as the edit
// forms say PATCH), with the page's CSRF token in X-CSRF-Token; on success the page
// reloads so the server renders the new state (and escapes every string in it).
"use strict";
(function () {
  const root = document.getElementById("alerts");
  if (!root) return;
  const status = document.getElementById("alerts-status");

  function field(form, name) {
    const el = form.elements.namedItem(name);
    return el ? el.value.trim() : "";
  }
  function epoch(local) {
    // datetime-local is the viewer's local time; the API takes epoch seconds
    return local ? new Date(local).getTime() / 1000 : null;
  }
  function matcher(form) {
    const m = {};
    if (field(form, "host")) m.hosts = [field(form, "host")];
    if (field(form, "group")) m.groups = [field(form, "group")];
    if (field(form, "rule")) m.rules = [field(form, "rule")];
    return m;
  }
  function list(form, name) {
    return field(form, name).split(",").map((x) => x.trim()).filter(Boolean);
  }
  function fullMatcher(form) {
    // the edit forms carry every field of the matcher, lists comma-separated
    const labels = {};
    list(form, "labels").forEach((kv) => {
      const at = kv.indexOf("=");
      labels[at < 0 ? kv : kv.slice(0, at).trim()] = at < 0 ? "" : kv.slice(at + 1).trim();
    });
    return { hosts: list(form, "hosts"), groups: list(form, "groups"), rules: list(form, "rules"), labels };
  }
  function localInput(epochSeconds) {
    // what a datetime-local input shows for an instant, in the viewer's time zone
    const d = new Date(epochSeconds * 1000);
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }
  function schedule(form) {
    const kind = field(form, "kind");
    if (kind === "once") return { kind, start: epoch(field(form, "start")), end: epoch(field(form, "end")) };
    const s = { kind, at: field(form, "at") || null, duration: Number(field(form, "minutes")) * 60,
      timezone: field(form, "timezone") || "UTC" };
    if (kind === "weekly") s.days = field(form, "days").split(/[\s,]+/).filter(Boolean);
    return s;
  }
  function number(form, name) {
    // an empty level is sent as null: "no warning level", as the file's omitted key
    const v = field(form, name);
    return v === "" ? null : Number(v);
  }
  const BODIES = {
    thresholds: (f) => ({ warning: number(f, "warning"), critical: number(f, "critical") }),
    "rule-action": () => null,
    "rule-create": (f) => {
      const b = { name: field(f, "name"), metric: field(f, "metric"), op: field(f, "op") };
      if (field(f, "warning")) b.warning = number(f, "warning");
      if (field(f, "critical")) b.critical = number(f, "critical");
      if (field(f, "for")) b.for = field(f, "for");
      const scope = {};
      if (list(f, "hosts").length) scope.hosts = list(f, "hosts");
      if (list(f, "groups").length) scope.groups = list(f, "groups");
      if (Object.keys(scope).length) b.scope = scope;
      return b;
    },
    ack: (f) => ({ rule: field(f, "rule"), host: field(f, "host"), dev: field(f, "dev") }),
    test: (f) => ({ route: field(f, "route") || null }),
    expire: () => null,
    silence: (f) => ({ matcher: matcher(f), duration: field(f, "duration"),
      comment: field(f, "comment"), author: field(f, "author") }),
    maintenance: (f) => ({ name: field(f, "name"), matcher: matcher(f), schedule: schedule(f),
      comment: field(f, "comment"), author: field(f, "author") }),
    "silence-edit": (f) => {
      const b = { matcher: fullMatcher(f), comment: field(f, "comment"), author: field(f, "author") };
      if (field(f, "until")) b.ends_at = epoch(field(f, "until"));
      else if (field(f, "duration")) b.duration = field(f, "duration");
      return b;
    },
    "maintenance-edit": (f) => {
      const b = { name: field(f, "name"), matcher: fullMatcher(f), comment: field(f, "comment"),
        author: field(f, "author") };
      if (f.dataset.scheduleChanged) b.schedule = schedule(f);
      return b;
    },
  };

  function where(loc) {
    // ["body", "matcher", "hosts", 1] -> "matcher.hosts[1]": the entry of the body that is wrong
    return (loc || []).slice(1).reduce((path, part) => (typeof part === "number"
      ? path + "[" + part + "]" : (path ? path + "." : "") + part), "");
  }
  function explain(body, code) {
    // FastAPI's 422 lists each problem; show what a person can act on (pydantic prefixes
    // its validators' messages with "Value error, ", which says nothing to the reader)
    const d = body && body.detail;
    if (Array.isArray(d)) {
      return d.map((e) => {
        const msg = String(e.msg).replace(/^Value error, /, "");
        return where(e.loc) ? where(e.loc) + ": " + msg : msg;
      }).join("; ");
    }
    return d || "HTTP " + code;
  }
  function testResult(body) {
    return Object.entries(body).map(([route, attempts]) => {
      const last = attempts[attempts.length - 1];
      return route + ": " + (last.ok ? "sent" : "failed (" + last.reason + ")");
    }).join(" · ");
  }

  // what a button did, in words, shown after the reload that renders the new state
  const DONE = {
    ack: (f) => "acknowledged " + field(f, "rule") + " on " + field(f, "host") +
      (field(f, "dev") ? " " + field(f, "dev") : "") + ": no more reminders for this episode",
    expire: () => "ended now",
    silence: (f) => "silenced " + describe(matcher(f)) + " for " + field(f, "duration"),
    maintenance: (f) => "maintenance window " + field(f, "name") + " added",
    "silence-edit": () => "silence saved",
    "maintenance-edit": () => "maintenance window saved",
    thresholds: (f) => "thresholds saved (in effect now): warning " + (field(f, "warning") || "none") +
      ", critical " + (field(f, "critical") || "none"),
    "rule-action": (f) => "rule " + f.dataset.done,
    "rule-create": (f) => "rule " + field(f, "name") + " created (in effect now)",
  };
  function describe(m) {
    const parts = [];
    if (m.hosts) parts.push("host " + m.hosts.join(", "));
    if (m.groups) parts.push("group " + m.groups.join(", "));
    if (m.rules) parts.push("rule " + m.rules.join(", "));
    return parts.join(", ") || "everything";
  }
  const FLASH = "sshmon-alerts-done";
  const flashed = sessionStorage.getItem(FLASH);
  if (flashed) {
    sessionStorage.removeItem(FLASH);
    status.textContent = flashed;
    status.classList.add("done");
  }

  async function submit(form) {
    const kind = form.dataset.kind;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    const payload = BODIES[kind](form);
    const headers = { "X-CSRF-Token": root.dataset.csrf };
    if (payload !== null) headers["Content-Type"] = "application/json";
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    status.classList.remove("error");
    status.textContent = kind === "test" ? "sending…" : "saving…";
    try {
      const res = await fetch(form.action, { method: form.dataset.method || "POST", headers, credentials: "same-origin",
        body: payload === null ? undefined : JSON.stringify(payload) });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(explain(body, res.status));
      if (kind === "test") { status.textContent = "test notification: " + testResult(body); return; }
      const done = DONE[kind] ? DONE[kind](form) : "done";
      status.textContent = done;
      sessionStorage.setItem(FLASH, done);
      location.reload();
    } catch (e) {
      status.classList.add("error");
      status.textContent = "failed: " + e.message;
    } finally {
      if (button) button.disabled = false;
    }
  }

  // a maintenance form (new or edit) shows only the fields of the chosen schedule kind
  root.querySelectorAll("form").forEach((form) => {
    const kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    const showKind = () => form.querySelectorAll("[data-kinds]").forEach((el) => {
      el.hidden = !el.dataset.kinds.split(" ").includes(kind.value);
    });
    kind.addEventListener("change", showKind);
    showKind();
  });
  root.querySelectorAll("input[data-epoch]").forEach((el) => {
    el.value = localInput(Number(el.dataset.epoch));
  });
  root.addEventListener("change", (e) => {
    if (!e.target.matches("[data-sched]")) return;
    e.target.form.dataset.scheduleChanged = "1";
  });
  // Edit opens (or closes) the row holding that silence's or window's edit form
  root.addEventListener("click", (e) => {
    const button = e.target.closest("button.edit-toggle");
    if (!button) return;
    const row = document.getElementById(button.getAttribute("aria-controls"));
    row.hidden = !row.hidden;
    button.setAttribute("aria-expanded", String(!row.hidden));
  });

  root.addEventListener("submit", (e) => {
    const form = e.target.closest("form.api");
    if (!form) return;
    e.preventDefault();
    submit(form);
  });
})();
