// The reask gateway dashboard: polls data every second for the selected
// window and draws its charts on canvas. Every figure says what it covers:
// the window (the server sums its buckets), "since start" or "now". No
// libraries, no build step.
"use strict";

// Chart colours, mirrored in style.css for the legends.
const COLORS = {
  ok: "#16a34a",
  failed: "#dc2626",
  tokens: "#2563eb",
  wasted: "#f59e0b",
  attempts: "#7c3aed",
  errors: "#ea580c",
  repairs: "#0d9488",
  refused: "#a8a29e",
  spend: "#4f46e5",
  waste: "#db2777",
  grid: "#e2e8f0",
  text: "#64748b",
};

const POLL_MS = 1000;
let windowSeconds = 60;
let last = null;

function $(id) { return document.getElementById(id); }

function fmt(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + "G";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return String(Math.round(n));
}

function pct(x) { return (100 * x).toFixed(1) + "%"; }

// usd formats US dollars with the cents that matter: $12.35, $0.0412,
// $0.000083 (as reask stats does).
function usd(x) {
  if (!x) return "$0";
  if (x >= 10) return "$" + x.toFixed(2);
  if (x >= 0.01) return "$" + x.toFixed(4);
  return "$" + x.toFixed(Math.min(20, 1 - Math.floor(Math.log10(x))));
}

// secs formats a duration in seconds.
function secs(s) {
  if (s <= 0) return "0 ms";
  if (s < 1) return Math.round(s * 1000) + " ms";
  if (s < 100) return s.toFixed(2) + " s";
  return duration(s);
}

// span names a window of s seconds: "last 1 min", "last 90 s".
function span(s) {
  if (s % 60 === 0) return "last " + s / 60 + " min";
  return "last " + s + " s";
}

function duration(s) {
  s = Math.floor(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  if (h > 0) return h + "h " + m + "m";
  if (m > 0) return m + "m " + (s % 60) + "s";
  return s + "s";
}

const TICKS = 4;

// niceMax returns an axis maximum at or above v whose TICKS steps are 1, 2
// or 5 times a power of ten, so that every tick label is a round number.
function niceMax(v) {
  if (v <= 0) return TICKS;
  const raw = v / TICKS;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Math.max(1, m * p) * TICKS;
  return 10 * p * TICKS;
}

// tick formats an axis label: whole numbers as fmt does, fractions with
// one decimal.
function tick(v) { return Number.isInteger(v) || v >= 1e4 ? fmt(v) : v.toFixed(1); }

// setup sizes a canvas to its box and the screen's pixel ratio.
function setup(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = "11px system-ui, sans-serif";
  return { ctx, w, h };
}

function empty(ctx, w, h, text) {
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, w / 2, h / 2);
}

// columns draws stacked columns, one per second: series is a list of
// {key, color}, drawn bottom up; a series with "overlay" is drawn over the
// previous one from the baseline instead of stacked (wasted within tokens).
// opts.max fixes the axis (100 for a percentage), opts.unit follows each
// axis label.
function columns(canvas, points, series, opts = {}) {
  const { ctx, w, h } = setup(canvas);
  const left = 44, right = 6, top = 8, bottom = 18;
  const pw = w - left - right, ph = h - top - bottom;
  let max = 0;
  for (const p of points) {
    let sum = 0;
    for (const s of series) if (!s.overlay) sum += p[s.key];
    max = Math.max(max, sum);
  }
  max = opts.max || niceMax(max);
  const unit = opts.unit || "";
  // Grid and y labels.
  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.text;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = 0; i <= TICKS; i++) {
    const y = Math.round(top + ph - (ph * i) / TICKS) + 0.5;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
    ctx.fillText(tick((max * i) / TICKS) + unit, left - 6, y);
  }
  // x labels.
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  ctx.fillText("-" + points.length + "s", left, top + ph + 4);
  ctx.textAlign = "right";
  ctx.fillText("now", w - right, top + ph + 4);
  const slot = pw / points.length;
  const bw = Math.max(1, Math.floor(slot - (slot > 4 ? 2 : 0)));
  points.forEach((p, i) => {
    const x = Math.round(left + i * slot);
    let base = 0;
    for (const s of series) {
      const v = p[s.key];
      if (!v) continue;
      const from = s.overlay ? 0 : base;
      const y0 = top + ph - (ph * from) / max;
      const y1 = top + ph - (ph * (from + v)) / max;
      ctx.fillStyle = s.color;
      ctx.fillRect(x, Math.round(y1), bw, Math.max(1, Math.round(y0) - Math.round(y1)));
      if (!s.overlay) base += v;
    }
  });
}

// vbars draws one vertical bar per label.
function vbars(canvas, entries, color, emptyText) {
  const { ctx, w, h } = setup(canvas);
  if (entries.length === 0) return empty(ctx, w, h, emptyText);
  const left = 44, right = 6, top = 16, bottom = 18;
  const pw = w - left - right, ph = h - top - bottom;
  const max = niceMax(Math.max(...entries.map((e) => e.value)));
  ctx.strokeStyle = COLORS.grid;
  ctx.fillStyle = COLORS.text;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = 0; i <= TICKS; i++) {
    const y = Math.round(top + ph - (ph * i) / TICKS) + 0.5;
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
    ctx.fillText(tick((max * i) / TICKS), left - 6, y);
  }
  const slot = pw / entries.length;
  const bw = Math.min(64, Math.floor(slot * 0.6));
  entries.forEach((e, i) => {
    const x = Math.round(left + i * slot + (slot - bw) / 2);
    const bh = Math.max(1, Math.round((ph * e.value) / max));
    ctx.fillStyle = color;
    ctx.fillRect(x, top + ph - bh, bw, bh);
    ctx.fillStyle = COLORS.text;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(e.label, x + bw / 2, top + ph + 4);
    ctx.textBaseline = "bottom";
    ctx.fillText(fmt(e.value), x + bw / 2, top + ph - bh - 2);
  });
}

// hbars draws the largest entries as horizontal bars with their names,
// their values written with format (default fmt).
function hbars(canvas, counts, color, emptyText, format = fmt) {
  const { ctx, w, h } = setup(canvas);
  const entries = Object.entries(counts || {}).filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 6);
  if (entries.length === 0) return empty(ctx, w, h, emptyText);
  const labelW = 130, right = 44, top = 4;
  const row = Math.min(26, (h - top) / entries.length);
  const max = entries[0][1];
  entries.forEach(([name, v], i) => {
    const y = Math.round(top + i * row);
    const bh = Math.round(row * 0.62);
    ctx.fillStyle = COLORS.text;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(name.replace(/_/g, " "), labelW - 8, y + bh / 2);
    const bw = Math.max(2, Math.round(((w - labelW - right) * v) / max));
    ctx.fillStyle = color;
    ctx.fillRect(labelW, y, bw, bh);
    ctx.fillStyle = COLORS.text;
    ctx.textAlign = "left";
    ctx.fillText(format(v), labelW + bw + 6, y + bh / 2);
  });
}

// tiles fills the tiles from the window's figures (w).
function tiles(w) {
  const ex = w.extractions, calls = w.calls;
  $("t-success").textContent = ex.total > 0 ? pct(w.success_rate) : "–";
  $("t-success-sub").textContent = ex.total > 0 ? ex.ok + " valid, " + ex.failed + " failed" : "no schema requests";
  $("t-extract").textContent = fmt(ex.total);
  $("t-extract-sub").textContent = w.retries + " transport retries";
  $("t-calls").textContent = fmt(calls.total);
  $("t-calls-sub").textContent = calls.failed + " failed";
  const refused = ex.refused + calls.refused;
  $("t-refused").textContent = fmt(refused);
  $("t-refused-sub").textContent = refused > 0 ? "by an open breaker, not sent" : "no open breaker refused a request";
  let n = 0, sum = 0;
  for (const [k, v] of Object.entries(w.attempts || {})) { n += v; sum += Number(k) * v; }
  $("t-attempts").textContent = n > 0 ? (sum / n).toFixed(2) : "–";
  $("t-attempts-sub").textContent = w.switches + " strategy switches";
  const lat = w.latency;
  $("t-latency").textContent = lat.count > 0 ? secs(lat.p50_seconds) : "–";
  $("t-latency-sub").textContent = lat.count > 0 ? "p90 " + secs(lat.p90_seconds) + " · p99 " + secs(lat.p99_seconds) : "no requests ran";
  $("t-tokens").textContent = fmt(w.tokens.total);
  $("t-tokens-sub").textContent = fmt(w.tokens.prompt) + " prompt, " + fmt(w.tokens.completion) + " completion";
  $("t-wasted").textContent = fmt(w.tokens.wasted);
  $("t-wasted-sub").textContent = w.tokens.total > 0 ? pct(w.tokens.wasted / w.tokens.total) + " of all tokens" : "";
  const c = w.cost;
  $("t-spend").textContent = usd(c.spent_usd);
  $("t-spend-sub").textContent = c.unpriced_attempts > 0 ? c.unpriced_attempts + " unpriced attempt(s) not counted" :
    Object.keys(c.by_model || {}).length + " model(s) priced";
  $("t-wasted-spend").textContent = usd(c.wasted_usd);
  $("t-wasted-spend-sub").textContent = c.spent_usd > 0 ? pct(c.wasted_share) + " of the spend, on answers not used" : "";
}

// emptyRow puts one row saying text in a table body.
function emptyRow(body, cols, text) {
  const td = body.insertRow().insertCell();
  td.colSpan = cols;
  td.className = "empty";
  td.textContent = text;
}

// groups fills a per-model or per-client table.
function groups(id, list, emptyText) {
  const body = document.querySelector("#" + id + " tbody");
  body.textContent = "";
  if (!list || list.length === 0) return emptyRow(body, 8, emptyText);
  for (const g of list) {
    const tr = body.insertRow();
    const name = tr.insertCell();
    name.className = "name";
    name.textContent = g.name === "*" ? "* (catch-all)" : g.name;
    tr.insertCell().textContent = fmt(g.requests);
    tr.insertCell().textContent = g.requests > 0 ? pct(g.success_rate) : "–";
    tr.insertCell().textContent = fmt(g.refused);
    tr.insertCell().textContent = g.requests > 0 ? (g.attempts / g.requests).toFixed(2) : "–";
    tr.insertCell().textContent = fmt(g.wasted_tokens);
    tr.insertCell().textContent = usd(g.cost_usd) + (g.unpriced_attempts > 0 ? " + unpriced" : "");
    const l = g.latency;
    tr.insertCell().textContent = l.count > 0 ? secs(l.p50_seconds) + " · " + secs(l.p90_seconds) + " · " + secs(l.p99_seconds) : "–";
  }
}

// failures lists the latest failed requests with their problems.
function failures(data) {
  const body = document.querySelector("#failures tbody");
  body.textContent = "";
  $("failures-note").textContent = "(latest first" + (data.gateway.content ? "; with content" : "; values the model gave are hidden") + ")";
  const list = data.failures || [];
  if (list.length === 0) return emptyRow(body, 6, "no failed request");
  for (const f of list) {
    const tr = body.insertRow();
    const when = new Date(f.time);
    tr.insertCell().textContent = when.toISOString().slice(11, 19);
    const m = tr.insertCell();
    m.className = "name";
    m.textContent = f.model === "*" ? "* (catch-all)" : f.model;
    tr.insertCell().textContent = f.client;
    const o = tr.insertCell();
    const badge = document.createElement("span");
    badge.className = "badge kind";
    badge.textContent = f.outcome.replace(/_/g, " ");
    o.appendChild(badge);
    o.appendChild(document.createTextNode(" " + f.status + (f.code ? " " + f.code : "")));
    tr.insertCell().textContent = f.attempts;
    const p = tr.insertCell();
    p.className = "problems";
    const probs = f.problems || [];
    if (probs.length === 0) p.textContent = f.message || "–";
    for (const v of probs) {
      const div = document.createElement("div");
      let text = (v.path || "(root)") + ": " + v.problem;
      if (v.expected) text += "; expected " + v.expected;
      if (v.got) text += "; got " + v.got;
      div.textContent = text;
      p.appendChild(div);
    }
    if (f.more_problems) {
      const div = document.createElement("div");
      div.className = "muted";
      div.textContent = "and " + f.more_problems + " more";
      p.appendChild(div);
    }
  }
}

function upstreams(data) {
  const m = data.metrics;
  const body = document.querySelector("#upstreams tbody");
  body.textContent = "";
  const providers = m.providers || [];
  if (providers.length === 0) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = 5;
    td.className = "empty";
    td.textContent = "no upstream called yet";
  }
  for (const p of providers) {
    const tr = body.insertRow();
    const name = tr.insertCell();
    name.className = "name";
    name.textContent = p.name;
    const badge = document.createElement("span");
    badge.className = "badge " + p.state;
    badge.textContent = p.state;
    if (p.state === "open" && p.open_until) {
      const left = (Date.parse(p.open_until) - Date.parse(m.time)) / 1000;
      if (left > 0) badge.textContent += " · " + duration(left);
    }
    tr.insertCell().appendChild(badge);
    tr.insertCell().textContent = p.state === "open" ? "–" : pct(p.failure_rate || 0);
    tr.insertCell().textContent = p.requests_per_minute > 0 ? fmt(p.requests_per_minute) + "/min" : "–";
    tr.insertCell().textContent = p.blocked_for_seconds > 0 ? p.blocked_for_seconds.toFixed(1) + "s" : "–";
  }
  $("trips").textContent = m.breaker_trips + " breaker trips since start";
}

// fleet shows the fleet view (fleet mode only): shared or local, the
// processes alive, Redis's latency and errors, each shared limiter's level.
function fleet(data) {
  const f = data.fleet;
  const card = $("fleet");
  card.hidden = !f;
  if (!f) return;
  const body = document.querySelector("#fleet-table tbody");
  body.textContent = "";
  const row = (label, value) => {
    const tr = body.insertRow();
    const name = tr.insertCell();
    name.className = "name";
    name.textContent = label;
    tr.insertCell().textContent = value;
  };
  row("Mode", f.shared ? "shared" : "local since " + (f.down_since || "?") + " (fail " + f.fail_mode + ")");
  row("Processes alive", fmt(f.processes));
  row("Redis latency p50 · p99", f.redis_p50_ms.toFixed(2) + " ms · " + f.redis_p99_ms.toFixed(2) + " ms");
  row("Redis round trips", fmt(f.redis_calls));
  row("Shared-state errors", fmt(f.shared_state_errors));
  for (const l of f.limiters || []) {
    const paced = l.requests_per_minute > 0 ? fmt(l.requests_per_minute) + "/min" : "not paced yet";
    row("Limiter " + l.provider, fmt(Math.floor(l.requests)) + " of " + fmt(l.request_capacity) + " requests · " + paced);
  }
}

function render() {
  if (!last) return;
  const m = last.metrics, w = m.window;
  const points = m.timeline.slice(-windowSeconds);
  const scope = span(w.seconds);
  document.querySelectorAll(".scope").forEach((e) => { e.textContent = scope; });
  $("scope").textContent = "the " + scope;
  tiles(w);
  columns($("c-results"), points, [
    { key: "ok", color: COLORS.ok },
    { key: "failed", color: COLORS.failed },
    { key: "refused", color: COLORS.refused },
  ]);
  columns($("c-tokens"), points, [
    { key: "tokens", color: COLORS.tokens },
    { key: "wasted", color: COLORS.wasted, overlay: true },
  ]);
  // The share of each second's spend that went on answers not used, in
  // percent (0 in a second without spend).
  columns($("c-waste"), points.map((p) => ({ share: p.cost_usd > 0 ? (100 * p.wasted_cost_usd) / p.cost_usd : 0 })), [
    { key: "share", color: COLORS.waste },
  ], { max: 100, unit: "%" });
  hbars($("c-spend"), w.cost.by_model, COLORS.spend, "nothing priced spent", usd);
  const attempts = Object.entries(w.attempts || {}).map(([k, v]) => ({ label: k, value: v }))
    .sort((a, b) => Number(a.label) - Number(b.label));
  vbars($("c-attempts"), attempts, COLORS.attempts, "no schema requests");
  hbars($("c-errors"), w.error_kinds, COLORS.errors, "no errors");
  hbars($("c-repairs"), w.repairs, COLORS.repairs, "no repairs");
  upstreams(last);
  fleet(last);
  groups("models", w.models, "no requests");
  groups("clients", w.clients, "no requests");
  failures(last);
  $("uptime").textContent = "up " + duration(last.gateway.uptime_seconds) +
    " · " + (last.gateway.upstreams || []).length + " upstream(s) · max " + last.gateway.max_attempts + " attempts";
}

// refresh fetches the data for the selected window and draws it.
async function refresh() {
  try {
    const res = await fetch("data?window=" + windowSeconds, { cache: "no-store", credentials: "same-origin" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    last = await res.json();
    $("conn").textContent = "live";
    $("conn").className = "conn live";
    render();
  } catch (err) {
    $("conn").textContent = "disconnected";
    $("conn").className = "conn down";
  }
}

async function poll() {
  await refresh();
  setTimeout(poll, POLL_MS);
}

document.querySelectorAll(".window button").forEach((b) => {
  b.addEventListener("click", () => {
    windowSeconds = Number(b.dataset.window);
    document.querySelectorAll(".window button").forEach((x) => x.classList.toggle("active", x === b));
    refresh();
  });
});
window.addEventListener("resize", render);
poll();
