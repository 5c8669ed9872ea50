// pmtad web monitor: plain script over the JSON endpoints of the same server. Every text
// from the daemon goes into the page through textContent, never as HTML.
"use strict";

const REFRESH_MS = 2000;
let selected = new URLSearchParams(location.search).get("queue");

async function api(path) {
  const sep = path.includes("?") ? "&" : "?";
  const resp = await fetch(path + sep + "format=json", { cache: "no-store" });
  const doc = await resp.json();
  if (doc.status !== "success") throw new Error(doc.message || resp.statusText);
  return doc.data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, cls) {
  const tr = el("tr", undefined, cls);
  for (const c of cells) {
    const td = c instanceof Node ? c : el("td", c);
    tr.appendChild(td.tagName === "TD" ? td : wrap(td));
  }
  return tr;
}

function wrap(node) {
  const td = el("td");
  td.appendChild(node);
  return td;
}

function num(n, cls) {
  return el("td", n === null || n === undefined ? "" : n, "n" + (cls ? " " + cls : ""));
}

function fill(id, rows) {
  const body = document.getElementById(id);
  body.replaceChildren(...rows);
}

function age(secs) {
  if (secs === null || secs === undefined) return "";
  if (secs < 120) return secs + "s";
  if (secs < 7200) return Math.round(secs / 60) + "m";
  return Math.round(secs / 3600) + "h";
}

function renderStatus(data) {
  const s = data.status;
  document.getElementById("host").textContent = data.mta.fullHostName + " · pmtad " + data.mta.product.version;
  document.getElementById("state").textContent = s.status;
  const t = s.traffic;
  fill("summary-rows", [
    row(["queued", s.queue.smtp.rcp + " rcpts in " + s.queue.queues + " queues, " + s.queue.smtp.kb + " kB"]),
    row(["paused / backoff", s.queue.paused + " / " + s.queue.backoff]),
    row(["in (total / last hour / last min)", t.total.in.rcp + " / " + t.lastHr.in.rcp + " / " + t.lastMin.in.rcp]),
    row(["out (total / last hour / last min)", t.total.out.rcp + " / " + t.lastHr.out.rcp + " / " + t.lastMin.out.rcp]),
    row(["connections in / out", s.conn.smtpIn.cur + " / " + s.conn.smtpOut.cur]),
    row(["spool", s.spool.files.inUse + " messages, " + s.spool.kbUsed + " kB used, " + s.spool.kbFree + " kB free"]),
    row(["up since", s.startupTime]),
  ]);
}

function queueState(q) {
  const parts = [];
  if (q.paused) parts.push("paused");
  if (q.mode !== "normal") parts.push(q.mode);
  return parts.join(", ") || "normal";
}

function renderQueues(data) {
  const rows = data.queue.map((q) => {
    const tr = row([q.name, num(q.rcp), num(q.kb), num(q.conn), queueState(q), el("td", q.lastError || "", "err")], "q");
    tr.dataset.queue = q.name;
    if (q.name === selected) tr.classList.add("sel");
    tr.addEventListener("click", () => { selected = q.name; refresh(); });
    return tr;
  });
  if (rows.length === 0) rows.push(row([el("td", "no queues", "muted")]));
  fill("queue-rows", rows);
  if (!selected && data.queue.length > 0) selected = data.queue[0].name;
  const errors = data.queue.filter((q) => q.lastError).map((q) => row([q.name, el("td", q.lastError, "err")]));
  if (errors.length === 0) errors.push(row([el("td", "none", "muted")]));
  fill("error-rows", errors);
}

function renderDetail(q) {
  document.getElementById("detail-name").textContent = q.name;
  const body = document.getElementById("detail-body");
  const facts = el("table");
  const tb = el("tbody");
  tb.append(
    row(["recipients", q.rcp + " (" + q.kb + " kB), oldest " + age(q.oldestAge)]),
    row(["state", queueState(q)]),
    row(["connections", String(q.conn)]),
    row(["next retry", q.nextRetry || ""]),
  );
  facts.appendChild(tb);
  const why = el("div");
  why.appendChild(el("h2", "Why is it not sending?"));
  const verdict = el("p", q.verdict.line, "verdict " + q.verdict.state);
  verdict.id = "verdict";
  why.appendChild(verdict);
  const reasons = el("ul");
  reasons.id = "hold-reasons";
  for (const r of q.heldBack.reason) {
    const li = el("li", undefined, "hold");
    li.dataset.kind = r.kind;
    li.appendChild(el("b", r.kind.replace(/_/g, " ")));
    li.appendChild(document.createTextNode(": " + r.detail + (r.until ? " (until " + r.until + ")" : "")));
    reasons.appendChild(li);
  }
  if (q.heldBack.reason.length === 0) reasons.appendChild(el("li", "nothing holds it back", "muted"));
  why.appendChild(reasons);
  const errs = el("div");
  errs.appendChild(el("h2", "Last errors"));
  const list = el("ul");
  for (const e of q.errors.error) list.appendChild(el("li", e.time + " " + e.diag, "err"));
  if (q.errors.error.length === 0) list.appendChild(el("li", "none", "muted"));
  errs.appendChild(list);
  body.replaceChildren(facts, why, errs);
}

function renderChart(data) {
  const svg = document.getElementById("chart");
  const samples = data.sample;
  const W = 600, H = 160, N = 600;
  const max = Math.max(1, ...samples.map((s) => Math.max(s.delivered, s.deferred, s.bounced)));
  const line = (key, color) => {
    const pts = samples.map((s, i) => {
      const x = ((N - samples.length + i) / (N - 1)) * W;
      const y = H - 4 - (s[key] / max) * (H - 12);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    const p = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    p.setAttribute("points", pts.join(" "));
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", color);
    p.setAttribute("stroke-width", "1.5");
    p.dataset.series = key;
    return p;
  };
  svg.replaceChildren(line("deferred", "#d97706"), line("bounced", "#b91c1c"), line("delivered", "#15803d"));
  const last = samples[samples.length - 1] || { delivered: 0, deferred: 0, bounced: 0 };
  for (const k of ["delivered", "deferred", "bounced"]) document.getElementById("rate-" + k).textContent = last[k];
}

async function refresh() {
  try {
    const [status, queues, history] = await Promise.all([
      api("/status"), api("/queues?maxitems=20&sort=rcpt"), api("/history"),
    ]);
    renderStatus(status);
    renderQueues(queues);
    renderChart(history);
    if (selected) {
      const detail = await api("/queueDetail?queue=" + encodeURIComponent(selected));
      renderDetail(Array.isArray(detail.queue) ? detail.queue[0] : detail.queue);
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "1";
  } catch (e) {
    document.getElementById("updated").textContent = "error: " + e.message;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
