// corsight live-test frame: runs one fetch() with this frame's origin when the corsight ui page
// (and only that page) asks, and posts back what the script could see.
"use strict";

(function () {
  const PARENT = document.documentElement.dataset.parent;

  async function run(url, init) {
    try {
      const response = await fetch(url, init);
      return { ok: true, status: response.status, headers: [...response.headers] };
    } catch (e) {
      return { ok: false, error: `${e.name}: ${e.message}` };
    }
  }

  window.addEventListener("message", async (event) => {
    if (event.origin !== PARENT || event.source !== window.parent) return;
    const msg = event.data || {};
    if (msg.type !== "run" || typeof msg.url !== "string") return;
    const outcome = await run(msg.url, msg.init || {});
    window.parent.postMessage({ type: "result", id: msg.id, outcome }, PARENT);
  });

  if (window.parent !== window) window.parent.postMessage({ type: "ready" }, PARENT);
})();
