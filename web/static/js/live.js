// One Server-Sent Events stream that survives server restarts.
// EventSource retries by itself after a dropped connection, but gives up for good when a
// reconnect gets an HTTP error (a 502 from a proxy while sshmon restarts): then we make a new
// one, backing off up to 30 s. The header badge says whether updates are flowing.
"use strict";
(function () {
  const badge = () => document.getElementById("live");
  function show(state, text) {
    const el = badge();
    if (!el) return;
    el.dataset.state = state;
    el.textContent = "live: " + text;
  }
  function connect(url, onPoll) {
    let es = null, delay = 1000, timer = null;
    function open() {
      es = new EventSource(url);
      es.addEventListener("open", () => { delay = 1000; show("on", "on"); });
      es.addEventListener("poll", (ev) => {
        show("on", "on");
        try { onPoll(JSON.parse(ev.data)); } catch (e) { console.warn("bad live event", e); }
      });
      es.addEventListener("error", () => {
        if (es.readyState === EventSource.CLOSED) {
          show("off", "reconnecting");
          clearTimeout(timer);
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        } else {
          show("off", "reconnecting");
        }
      });
    }
    open();
    window.addEventListener("pagehide", () => { if (es) es.close(); });
    return () => es;
  }
  window.sshmonLive = { connect };
})();
