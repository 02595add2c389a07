// corsight ui: the page's script. It only collects the form, calls the local API and displays
// what corsight.check and the browser model computed; no CORS rule is decided here.
"use strict";

(function () {
  const TOKEN = document.querySelector('meta[name="corsight-token"]').content;
  const FIELDS = ["url", "origin", "method", "headers", "credentials", "body", "server"];
  const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];
  const SVG_NS = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // The same for SVG: attributes are presentation attributes or classes (the page's CSP allows
  // no inline style), and every string from the server is a text node.
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clip(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  // --- the form and the share link ---------------------------------------------------------

  function readForm() {
    const data = {};
    for (const name of FIELDS) data[name] = $(name).value;
    data.send = $("send").checked;
    data.body = data.body === "" ? null : data.body;
    return data;
  }

  function fragment(data) {
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = data[name];
      if (value !== null && value !== undefined && value !== "") params.set(name, value);
    }
    if (data.send) params.set("send", "1");
    return "#" + params.toString();
  }

  function fillFromFragment() {
    if (!location.hash || location.hash.length < 2) return false;
    const params = new URLSearchParams(location.hash.slice(1));
    let filled = false;
    for (const name of FIELDS) {
      if (!params.has(name)) continue;
      const field = $(name);
      const value = params.get(name);
      if (field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) continue;
      field.value = value;
      filled = true;
    }
    $("send").checked = params.get("send") === "1";
    return filled;
  }

  function shareLink() {
    const url = new URL(location.href);
    url.hash = fragment(readForm());
    return url.toString();
  }

  async function copyText(text, fallbackInput) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (e) {
      if (!fallbackInput) return false;
      fallbackInput.hidden = false;
      fallbackInput.value = text;
      fallbackInput.select();
      return document.execCommand && document.execCommand("copy");
    }
  }

  // --- the API -----------------------------------------------------------------------------

  async function api(path, payload) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Corsight-Token": TOKEN },
        body: JSON.stringify(payload),
        credentials: "same-origin",
      });
    } catch (e) {
      throw new Error("corsight ui is not reachable (was it stopped?)");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      throw new Error(`corsight ui answered HTTP ${response.status} without a readable body`);
    }
    if (!response.ok) throw new Error(data && data.error ? data.error : `HTTP ${response.status}`);
    return data;
  }

  function showError(text) {
    const box = $("error");
    box.textContent = text;
    box.hidden = !text;
  }

  // --- rendering the prediction ------------------------------------------------------------

  // The verdict leads with the cause in words; the browser's own name for the error follows.
  function verdictNode(payload) {
    const head = payload.headline;
    const node = el("div", { class: "verdict-inner " + head.tone },
      el("p", { class: "verdict-head" },
        el("span", { class: "verdict-word", id: "verdict-word" }, head.word),
        el("span", { class: "sr-only" }, ": "),
        el("span", { class: "verdict-cause", id: "verdict-cause" }, head.cause)));
    if (head.detail) {
      node.append(el("p", { class: "verdict-detail" }, "Chromium's error: ",
        el("code", { id: "verdict-detail" }, head.detail),
        " · ", el("a", { href: "#h-fix" }, "the fix"), " · ", el("a", { href: "#h-messages" }, "console message")));
    } else if (head.tone === "partial") {
      node.append(el("p", { class: "verdict-detail" },
        "Tick “Also send the actual request” for a full check."));
    }
    return node;
  }

  function headerTable(headers, caption) {
    if (!headers || headers.length === 0) return el("p", { class: "help" }, "(no headers)");
    const body = el("tbody");
    for (const [name, value] of headers) {
      const cors = /^(access-control-|origin$|vary$|location$)/i.test(name);
      body.append(el("tr", cors ? { class: "cors" } : {}, el("th", { scope: "row" }, name), el("td", {}, value)));
    }
    return el("table", { class: "headers" }, el("caption", { class: "sr-only" }, caption), body);
  }

  // --- the exchange as a sequence diagram ---------------------------------------------------

  const STEP_KIND = { preflight: "preflight", actual: "request", redirect: "redirect" };

  function stepSentence(step, lifelines) {
    const server = lifelines[step.server].origin;
    const what = `Step ${step.number}, ${STEP_KIND[step.kind] || step.kind}: `;
    if (!step.sent) return `${what}${step.request} to ${server} is not sent; its response is unchecked.`;
    let text = `${what}the browser sends ${step.request} to ${server}; the server answers ${step.response}.`;
    if (step.failed) text += ` ✗ The browser stops here: ${step.reason}.`;
    return text;
  }

  function renderExchange(exchange) {
    const holder = $("exchange-diagram");
    const list = $("exchange-steps");
    holder.replaceChildren();
    list.replaceChildren();
    const steps = exchange.steps;
    const failed = steps.find((s) => s.failed);
    $("exchange-caption").textContent = failed
      ? `Blocked at step ${failed.number} (${STEP_KIND[failed.kind] || failed.kind}, ${failed.request} → ${failed.response}): ${failed.reason}.`
      : exchange.outcome + ".";
    if (!steps.length) return;
    for (const step of steps) list.append(el("li", { "data-step": step.number }, stepSentence(step, exchange.lifelines)));

    const W = 640, TOP = 64, ROW = 96;
    const lines = exchange.lifelines;
    const servers = lines.length - 1;
    const gap = Math.min(230, (W - 220) / Math.max(1, servers));
    const xs = lines.map((line, i) => (i === 0 ? 70 : W - 70 - (servers - i) * gap));
    const height = TOP + steps.length * ROW + 36;
    const root = svg("svg", { class: "seq", viewBox: `0 0 ${W} ${height}`, "aria-hidden": "true", focusable: "false" });
    const head = (id, cls) => svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: cls }));
    root.append(svg("defs", {}, head("seq-head", "seq-head"), head("seq-head-bad", "seq-head bad"), head("seq-head-muted", "seq-head muted")));
    lines.forEach((line, i) => {
      const x = xs[i];
      root.append(svg("line", { class: "seq-life", x1: x, x2: x, y1: 48, y2: height - 8 }));
      root.append(svg("rect", { class: "seq-actor", x: x - 62, y: 4, width: 124, height: 42, rx: 6 }));
      root.append(svg("text", { class: "seq-actor-name", x, y: 21, "text-anchor": "middle" }, line.role === "browser" ? "Browser" : "Server"));
      root.append(svg("text", { class: "seq-actor-origin", x, y: 38, "text-anchor": "middle" },
        clip(line.origin.replace(/^https?:\/\//, ""), 20), svg("title", {}, line.origin)));
    });
    steps.forEach((step, i) => {
      const y = TOP + i * ROW;
      const from = xs[0], to = xs[step.server];
      const mid = (from + to) / 2;
      const cls = "seq-step" + (step.failed ? " failed" : "") + (step.sent ? "" : " unsent");
      const marker = step.sent ? "url(#seq-head)" : "url(#seq-head-muted)";
      const g = svg("g", { class: cls, "data-step": step.number, "data-kind": step.kind });
      const label = `${step.number}. ${step.kind === "preflight" ? "Preflight " : ""}${step.request}${step.sent ? "" : " — not sent"}`;
      g.append(svg("text", { class: "seq-label", x: mid, y: y + 14, "text-anchor": "middle" }, clip(label, 56), svg("title", {}, label)));
      g.append(svg("line", { class: "seq-arrow seq-request", x1: from + 2, x2: to - 4, y1: y + 22, y2: y + 22, "marker-end": marker }));
      const answer = (step.failed ? "✗ " : "") + step.response;
      g.append(svg("text", { class: "seq-label seq-answer", x: mid, y: y + 50, "text-anchor": "middle" }, clip(answer, 56), svg("title", {}, answer)));
      g.append(svg("line", { class: "seq-arrow seq-response", x1: to - 2, x2: from + 4, y1: y + 58, y2: y + 58,
        "marker-end": step.failed ? "url(#seq-head-bad)" : marker }));
      if (step.failed) {
        const why = `✗ blocked here: ${step.reason}`;
        g.append(svg("text", { class: "seq-reason", x: from + 8, y: y + 78 }, clip(why, 80), svg("title", {}, why)));
      }
      root.append(g);
    });
    const end = TOP + steps.length * ROW + 14;
    root.append(svg("text", { class: "seq-outcome" + (failed ? " bad" : ""), x: 8, y: end }, (failed ? "✗ " : "✓ ") + exchange.outcome));
    holder.append(root);
  }

  function renderPreflight(payload) {
    const result = payload.result;
    const box = $("preflight");
    box.replaceChildren();
    const pre = result.preflight;
    if (pre.needed) {
      box.append(el("p", {}, el("strong", {}, "Needed. "),
        pre.sent ? "The browser sends an OPTIONS request first." : "The browser would send an OPTIONS request first."));
      if (payload.preflight_reasons.length) {
        const list = el("ul", { id: "preflight-reasons" });
        for (const reason of payload.preflight_reasons) list.append(el("li", {}, reason));
        box.append(el("p", {}, "Why:"), list);
      } else {
        box.append(el("p", {}, "Why: a redirect led to a request that needs one (see the timeline)."));
      }
    } else if (result.error === "TypeError") {
      box.append(el("p", {}, el("strong", {}, "Not reached. "), "fetch() throws before sending anything."));
    } else {
      const same = (result.notes || []).some((n) => n.includes("same-origin"));
      box.append(el("p", { id: "preflight-reasons" }, el("strong", {}, "Not needed. "),
        same ? "The URL is same-origin with the page, so CORS does not apply."
             : "The method and every header are CORS-safelisted, so the browser sends the request directly."));
    }
    if (payload.dropped_headers.length) {
      const list = el("ul");
      for (const d of payload.dropped_headers) list.append(el("li", {}, `${d.name}: ${d.value} — ${d.reason}`));
      box.append(el("p", {}, "fetch() silently drops these headers:"), list);
    }
  }

  function renderChecks(result) {
    const body = $("checks");
    body.replaceChildren();
    if (!result.checks.length) {
      body.append(el("tr", {}, el("td", { colspan: "4" }, "No check ran: nothing reached the CORS rules.")));
    }
    for (const c of result.checks) {
      body.append(el("tr", { class: c.passed ? "pass" : "fail" },
        el("td", { class: "mark" }, c.passed ? "✓ pass" : "✗ fail"),
        el("td", {}, c.stage || ""),
        el("td", {}, c.name),
        el("td", {}, String(c.detail ?? ""))));
    }
  }

  const NEEDS_THE_FILE = ["nginx", "apache", "caddy", "express"];
  let downloadURL = null;

  function renderFix(payload) {
    const fixes = payload.result.fixes || {};
    const box = $("fix");
    box.replaceChildren();
    if (!fixes.summary) {
      box.append(el("p", {}, "Nothing to fix."));
    } else {
      box.append(el("p", { id: "fix-summary" }, fixes.summary));
    }
    const wrong = (fixes.headers || []).filter((h) => !h.ok);
    if (wrong.length) {
      const body = el("tbody");
      for (const h of wrong) {
        body.append(el("tr", {}, el("td", {}, h.on), el("th", { scope: "row" }, h.name), el("td", {}, h.value),
          el("td", {}, !h.received ? "unknown: not sent" : h.current === null ? "absent" : h.current)));
      }
      box.append(el("table", { class: "headers" },
        el("caption", {}, "Headers the server must send"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "on the response to"), el("th", { scope: "col" }, "header"),
          el("th", { scope: "col" }, "value"), el("th", { scope: "col" }, "now"))),
        body));
    }
    const fix = payload.fix;
    if (fix && fix.error) box.append(el("p", { class: "warning", id: "fix-error" }, fix.error));
    const shown = Boolean(fix && fix.snippet);
    $("snippet-box").hidden = !shown;
    if (!shown) return;
    $("snippet-title").textContent = `In ${fix.server}`;
    $("snippet").textContent = fix.snippet;
    $("copy-status").textContent = "";
    const exported = fix.export;
    $("export-title").textContent = `The complete configuration: ${exported.filename} for ${exported.target}`;
    $("export-command").textContent = fix.command;
    $("export").textContent = exported.content;
    $("export-status").textContent = "";
    const notes = $("export-notes");
    notes.replaceChildren();
    for (const note of exported.notes || []) notes.append(el("li", {}, note));
    if (downloadURL) URL.revokeObjectURL(downloadURL);
    downloadURL = URL.createObjectURL(new Blob([exported.content], { type: "text/plain;charset=utf-8" }));
    const link = $("export-download");
    link.href = downloadURL;
    link.setAttribute("download", exported.filename);
    link.textContent = `Download ${exported.filename}`;
    // The short snippet of a web server includes the file: show it open.
    $("export-box").open = NEEDS_THE_FILE.includes(fix.server);
  }

  function renderTimeline(result) {
    const list = $("timeline");
    list.replaceChildren();
    if (!result.timeline.length) list.append(el("li", {}, "Nothing was sent."));
    for (const step of result.timeline) {
      const label = step.kind === "preflight" ? "Preflight" : "Request";
      const item = el("li", { class: "step" });
      item.append(el("h3", {}, `${label}: ${step.method} ${step.url}`, step.sent ? "" : " — not sent"));
      item.append(el("h4", {}, step.sent ? "Request headers, as sent" : "Request headers it would carry"));
      item.append(headerTable(step.request_headers, `${label} request headers`));
      if (step.response) {
        item.append(el("h4", {}, `Response: HTTP ${step.response.status}`));
        item.append(headerTable(step.response.headers, `${label} response headers`));
      }
      list.append(item);
    }
  }

  function renderPrediction(payload) {
    const result = payload.result;
    $("predict-empty").hidden = true;
    const verdict = $("verdict");
    verdict.replaceChildren(verdictNode(payload));
    verdict.hidden = false;
    renderExchange(payload.exchange);
    renderPreflight(payload);
    $("chrome-message").textContent = result.message.chrome || "(no message: the request succeeds)";
    $("firefox-message").textContent = result.message.firefox || "(no message)";
    renderChecks(result);
    renderFix(payload);
    renderTimeline(result);
    const notes = $("notes");
    notes.replaceChildren();
    const extra = [...(result.notes || [])];
    if (result.allowed && result.exposed_headers.length) {
      extra.unshift("Script can read these response headers: " + result.exposed_headers.join(", "));
    }
    for (const note of extra) notes.append(el("li", {}, note));
    $("notes-box").hidden = extra.length === 0;
    $("prediction").hidden = false;
  }

  // Pressing Check must visibly do something: the verdict gets the focus (screen readers read
  // it) and is scrolled into view when it is not already on screen (narrow windows).
  function showVerdict() {
    const verdict = $("verdict");
    verdict.focus({ preventScroll: true });
    const box = verdict.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) verdict.scrollIntoView({ block: "start" });
  }

  async function runCheck(event) {
    event.preventDefault();
    const data = readForm();
    history.replaceState(null, "", fragment(data));
    showError("");
    const button = $("run");
    button.disabled = true;
    $("panel-predict").setAttribute("aria-busy", "true");
    try {
      const payload = await api("/api/check", data);
      renderPrediction(payload);
      selectTab($("tab-predict"), false);
      showVerdict();
    } catch (e) {
      showError(e.message);
      $("verdict").hidden = true;
      $("prediction").hidden = true;
      $("predict-empty").hidden = false;
    } finally {
      button.disabled = false;
      $("panel-predict").removeAttribute("aria-busy");
    }
  }

  // --- the live test -----------------------------------------------------------------------

  function fetchInit(data) {
    const headers = [];
    for (const line of (data.headers || "").split(/\r?\n/)) {
      if (!line.trim()) continue;
      const at = line.indexOf(":");
      headers.push([line.slice(0, at).trim(), line.slice(at + 1).trim()]);
    }
    const init = { method: data.method || "GET", headers, credentials: data.credentials, mode: "cors" };
    if (data.body !== null) init.body = data.body;
    return init;
  }

  async function fetchHere(url, init) {
    try {
      const response = await fetch(url, init);
      return { ok: true, status: response.status, headers: [...response.headers] };
    } catch (e) {
      return { ok: false, error: `${e.name}: ${e.message}` };
    }
  }

  let frameCounter = 0;

  function fetchInFrame(plan, url, init) {
    return new Promise((resolve, reject) => {
      const holder = $("live-frame-holder");
      holder.replaceChildren();
      const id = ++frameCounter;
      const frame = el("iframe", { src: plan.frame_url, title: `Live-test frame on ${plan.origin}`, class: "live-frame" });
      const timer = setTimeout(() => {
        window.removeEventListener("message", onMessage);
        reject(new Error(`the live-test frame on ${plan.origin} did not answer`));
      }, 15000);
      function onMessage(event) {
        if (event.origin !== plan.origin || event.source !== frame.contentWindow) return;
        const msg = event.data || {};
        if (msg.type === "ready") {
          frame.contentWindow.postMessage({ type: "run", id, url, init }, plan.origin);
        } else if (msg.type === "result" && msg.id === id) {
          clearTimeout(timer);
          window.removeEventListener("message", onMessage);
          resolve(msg.outcome);
        }
      }
      window.addEventListener("message", onMessage);
      holder.append(frame);
    });
  }

  function updateLiveWarning() {
    const method = ($("method").value || "GET").trim().toUpperCase();
    const warning = $("live-warning");
    warning.hidden = SAFE_METHODS.includes(method);
    warning.textContent = warning.hidden ? "" :
      `Your browser sends this ${method} for real when the preflight allows it — whatever it changes on the server is changed.`;
  }

  async function runLive() {
    const data = readForm();
    history.replaceState(null, "", fragment(data));
    showError("");
    const status = $("live-status");
    const out = $("live-result");
    const button = $("live-run");
    button.disabled = true;
    out.hidden = true;
    $("live-notice").hidden = true;
    status.textContent = "Running…";
    try {
      const plan = await api("/api/live", { origin: data.origin });
      const payload = await api("/api/check", { ...data, origin: plan.origin });
      const init = fetchInit(data);
      const outcome = plan.mode === "frame"
        ? await fetchInFrame(plan, data.url, init)
        : await fetchHere(data.url, init);
      renderLive(plan, data, payload, outcome);
      status.textContent = "";
    } catch (e) {
      status.textContent = "";
      showError(e.message);
    } finally {
      button.disabled = false;
    }
  }

  // What to paste into the DevTools console of a page on the chosen origin, when corsight
  // cannot serve one there itself.
  function consoleSnippet(url, init) {
    const options = { method: init.method, mode: "cors", credentials: init.credentials };
    if (init.headers.length) options.headers = Object.fromEntries(init.headers);
    if (init.body !== undefined) options.body = init.body;
    return `fetch(${JSON.stringify(url)}, ${JSON.stringify(options)})\n` +
      `  .then((r) => console.log("resolved", r.status, [...r.headers]), (e) => console.error("rejected", e));`;
  }

  function renderNotice(plan, data) {
    const notice = $("live-notice");
    notice.replaceChildren();
    notice.hidden = plan.mode !== "page" || plan.fallback === "same-origin";
    if (notice.hidden) return;
    const wanted = plan.wanted || data.origin;
    notice.append(
      el("p", { id: "live-notice-head" }, el("strong", {}, `Not run from ${wanted}. `), `${plan.reason}.`),
      el("p", {}, `This test ran from this page's own origin, ${plan.origin}, and is compared with corsight's ` +
        `prediction for ${plan.origin}: it says nothing about what your browser does on ${wanted}.`),
      el("p", {}, `To run it from ${wanted} itself, open a page there and paste this into DevTools → Console:`),
      el("pre", { class: "message", id: "live-console-snippet" }, consoleSnippet(data.url, fetchInit(data))));
  }

  function renderLive(plan, data, payload, outcome) {
    const result = payload.result;
    const out = $("live-result");
    out.replaceChildren();
    renderNotice(plan, data);
    const where = plan.mode === "frame"
      ? `Ran from a frame on ${plan.origin} — the page origin you chose.`
      : plan.origin === data.origin
        ? `Ran from this page, whose origin ${plan.origin} is the one you chose.`
        : `Ran from this page's own origin, ${plan.origin}, not from ${data.origin} (see the note above); ` +
          `the prediction below is for ${plan.origin}, so the two compare like with like.`;
    out.append(el("p", { id: "live-where" }, where));
    const browserAllowed = outcome.ok;
    const agree = browserAllowed === result.allowed;
    const forOrigin = plan.origin === data.origin ? "" : ` for ${plan.origin}`;
    out.append(el("p", { id: "live-agreement", class: agree ? "good" : "bad" },
      agree ? `✓ Your browser agrees with corsight's prediction${forOrigin}.`
            : `✗ Your browser and corsight's prediction${forOrigin} disagree.`));
    const dl = el("dl", { class: "pairs" });
    dl.append(el("dt", {}, "Your browser"), el("dd", { id: "live-browser" },
      outcome.ok ? `fetch() resolved: HTTP ${outcome.status}; the script can read the response.`
                 : `fetch() rejected: ${outcome.error}`));
    if (outcome.ok) {
      dl.append(el("dt", {}, "Headers the script could read"),
        el("dd", {}, outcome.headers.length ? outcome.headers.map(([n, v]) => `${n}: ${v}`).join("\n") : "(none)"));
    }
    dl.append(el("dt", {}, `corsight's prediction for ${plan.origin}`), el("dd", { id: "live-predicted" },
      result.allowed ? (result.complete ? "Allowed" : "Allowed so far (the actual response was not checked)")
                     : `Blocked — ${result.error}`));
    if (!result.allowed && result.message.chrome) {
      dl.append(el("dt", {}, "What Chrome's console shows (open DevTools → Console to compare)"),
        el("dd", {}, el("pre", { class: "message", id: "live-chrome" }, result.message.chrome)));
    }
    out.append(dl);
    if (!result.complete && agree) {
      out.append(el("p", { class: "help" }, "The prediction did not send the actual request (tick “Also send” for a full check); your browser did."));
    }
    out.append(el("p", { class: "help" }, "A browser caches preflights (Access-Control-Max-Age); corsight's prediction starts with an empty cache each time."));
    out.hidden = false;
  }

  // --- the scan tab ------------------------------------------------------------------------

  function renderScan(payload) {
    const result = payload.result;
    const findings = result.findings || [];
    const counts = Object.entries(payload.summary.findings || {}).filter(([, n]) => n > 0)
      .map(([label, n]) => `${n} ${label}`).join(", ");
    $("scan-summary").textContent = findings.length
      ? `${findings.length} finding${findings.length === 1 ? "" : "s"} on ${result.url}: ${counts}. ${result.requests} requests.`
      : `No misconfiguration found on ${result.url} (${result.requests} requests).`;
    const box = $("scan-findings");
    box.replaceChildren();
    for (const f of findings) {
      const item = el("article", { class: "finding sev-" + f.severity });
      item.append(el("h3", {}, el("span", { class: "sev" }, f.severity.toUpperCase()), ` ${f.title}`));
      item.append(el("p", {}, f.explanation));
      item.append(el("p", {}, el("strong", {}, "Fix: "), f.fix));
      item.append(el("h4", {}, `Probe: ${f.probe.method} with Origin ${f.probe.origin} (${f.probe.label}) → HTTP ${f.response.status}`));
      item.append(headerTable(f.response.headers, "Response headers that prove it"));
      box.append(item);
    }
    const na = Object.entries(result.not_applicable || {});
    if (na.length) {
      const list = el("ul");
      for (const [cls, why] of na) list.append(el("li", {}, `${cls}: ${why}`));
      box.append(el("details", {}, el("summary", {}, `${result.tested.length} classes tested, ${na.length} not applicable`), list));
    }
  }

  async function runScan() {
    showError("");
    const button = $("scan-run");
    button.disabled = true;
    $("scan-summary").textContent = "Scanning…";
    $("scan-findings").replaceChildren();
    try {
      const payload = await api("/api/scan", {
        url: $("scan-url").value, trusted: $("scan-trusted").value, internal: $("scan-internal").checked,
      });
      renderScan(payload);
    } catch (e) {
      $("scan-summary").textContent = "";
      showError(e.message);
    } finally {
      button.disabled = false;
    }
  }

  // --- tabs --------------------------------------------------------------------------------

  function selectTab(tab, focus) {
    for (const other of document.querySelectorAll('[role="tab"]')) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(other.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) tab.focus();
    if (tab.id === "tab-scan") {
      if (!$("scan-url").value) $("scan-url").value = $("url").value;
      if (!$("scan-trusted").value) $("scan-trusted").value = $("origin").value;
    }
  }

  function setupTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    for (const tab of tabs) {
      tab.addEventListener("click", () => selectTab(tab, true));
      tab.addEventListener("keydown", (event) => {
        const i = tabs.indexOf(tab);
        let next = null;
        if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        else if (event.key === "Home") next = tabs[0];
        else if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          selectTab(next, true);
        }
      });
    }
  }

  // --- wiring ------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("own-origin").textContent = location.origin;
    setupTabs();
    fillFromFragment();
    updateLiveWarning();
    $("method").addEventListener("input", updateLiveWarning);
    window.addEventListener("hashchange", () => { fillFromFragment(); updateLiveWarning(); });
    $("form").addEventListener("submit", runCheck);
    $("live-run").addEventListener("click", runLive);
    $("scan-run").addEventListener("click", runScan);
    $("share").addEventListener("click", async () => {
      const link = shareLink();
      history.replaceState(null, "", new URL(link).hash);
      const input = $("share-link");
      input.value = link;
      input.hidden = false;
      const copied = await copyText(link, input);
      $("share-status").textContent = copied
        ? "Share link copied. Opening it fills this form; the check runs when you press Check."
        : "Copy the share link from the field above.";
    });
    $("copy-export").addEventListener("click", async () => {
      const copied = await copyText($("export").textContent, null);
      $("export-status").textContent = copied ? "File copied to the clipboard." : "Could not copy: select the file and copy it.";
    });
    $("copy-snippet").addEventListener("click", async () => {
      const copied = await copyText($("snippet").textContent, null);
      $("copy-status").textContent = copied ? "Snippet copied to the clipboard." : "Could not copy: select the snippet and copy it.";
    });
    document.body.dataset.ready = "1";
  });
})();
