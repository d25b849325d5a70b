// The pages of the web GUI; `<body data-page="...">` picks one. Every value from
// the API goes into the page as text (textContent), never as HTML.

import {
  $, act, api, ApiError, badge, confirmTwice, el, fill, number, param, plural, shortId,
  show, showError, showNotice, stream, when,
} from "/static/mda.js";

const ACTIVE_RUN_STATES = new Set(["running", "pending", "awaiting_approval"]);
const LIST_REFRESH_MS = 5000;
const REPORT_TRIES = 20;
const REPORT_RETRY_MS = 1500;

function link(href, text) {
  return el("a", { href }, text);
}

function metaList(node, pairs) {
  fill(node, pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

/** Call `load` now and every few seconds while the tab is visible. */
function every(load, ms = LIST_REFRESH_MS) {
  load();
  setInterval(() => {
    if (document.visibilityState === "visible") load();
  }, ms);
}

function debounced(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

// --- /runs -----------------------------------------------------------------------

async function runsPage() {
  const filter = $("state-filter");
  filter.value = param("state") || "";
  filter.addEventListener("change", () => {
    const url = new URL(window.location.href);
    if (filter.value) url.searchParams.set("state", filter.value);
    else url.searchParams.delete("state");
    window.history.replaceState(null, "", url);
    loadRuns();
  });

  let shownRuns = "";
  async function loadRuns() {
    const query = filter.value ? `?state=${encodeURIComponent(filter.value)}` : "";
    try {
      const { runs } = await api(`/api/runs${query}`);
      const key = JSON.stringify(runs);
      if (key === shownRuns) return;
      shownRuns = key;
      fill($("runs"), runs.map((run) => el(
        "tr",
        { dataset: { runId: run.run_id } },
        el("td", { className: "nowrap" }, el("a", { href: `/run?id=${encodeURIComponent(run.run_id)}`, className: "run-link mono" }, shortId(run.run_id))),
        el("td", {}, badge(run.state)),
        el("td", { className: "nowrap" }, run.template),
        el("td", { className: "mono wrap" }, run.repo),
        el("td", { className: "nowrap" }, when(run.created_at)),
      )));
      show($("runs-empty"), runs.length === 0);
      show($("runs-table"), runs.length > 0);
    } catch (error) {
      showError(error);
    }
  }

  const select = $("template");
  const help = $("template-help");
  const described = new Map();
  select.addEventListener("change", () => {
    help.textContent = described.get(select.value) || "";
  });
  api("/api/templates").then(({ templates }) => {
    fill(select, templates.map((t) => {
      described.set(t.ref, t.definition.description || "");
      return el("option", { value: t.ref }, t.ref);
    }));
    const preferred = templates.find((t) => t.ref.startsWith("spec-and-review@"));
    if (preferred) select.value = preferred.ref;
    help.textContent = described.get(select.value) || "";
  }).catch((error) => showError(error));

  const form = $("new-run-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act($("start-run"), async () => {
      const started = await api("/api/runs", {
        body: {
          template: select.value,
          repo: $("repo").value.trim(),
          requirements: $("requirements").value,
          offline: $("offline").checked,
        },
      });
      window.location.assign(`/run?id=${encodeURIComponent(started.run_id)}`);
    });
  });

  every(loadRuns);
}

// --- /run?id= ----------------------------------------------------------------------

const EVENT_KEYS = ["gate_id", "round", "run_state", "source", "path", "error", "reason", "feedback", "comment", "message"];

/** An event's payload as "key: value · key: value", the telling keys first. */
function describeEvent(event) {
  const payload = event.payload || {};
  const keys = [...EVENT_KEYS.filter((k) => k in payload), ...Object.keys(payload).filter((k) => !EVENT_KEYS.includes(k))];
  return keys
    .filter((key) => payload[key] !== null && payload[key] !== undefined && payload[key] !== "")
    .map((key) => {
      const value = typeof payload[key] === "string" ? payload[key] : JSON.stringify(payload[key]);
      const shown = value.length > 120 ? `${value.slice(0, 119)}…` : value;
      return `${key.replaceAll("_", " ")}: ${shown}`;
    })
    .join(" · ");
}

function phaseItem(phase) {
  return el(
    "li",
    { dataset: { phase: phase.key }, className: `phase state-${phase.state}` },
    el("span", { className: "phase-key" }, phase.key),
    " ",
    badge(phase.state),
    phase.round > 1 ? el("span", { className: "muted small" }, ` round ${phase.round}`) : null,
  );
}

function artifactBlock(artifact) {
  const status = artifact.valid === true ? "valid" : artifact.valid === false ? "invalid" : "not checked";
  const content = artifact.content === null || artifact.content === undefined
    ? "(not valid JSON)"
    : JSON.stringify(artifact.content, null, 2);
  return el(
    "details",
    { className: "artifact", open: true, dataset: { phase: artifact.phase } },
    el(
      "summary",
      {},
      el("strong", {}, artifact.phase),
      ` · round ${artifact.round} · revision ${artifact.revision} · `,
      el("span", { className: `badge ${artifact.valid === false ? "state-failed" : "state-completed"}` }, status),
      el("span", { className: "mono small block" }, artifact.path),
    ),
    artifact.errors.length
      ? el("ul", { className: "error-text" }, artifact.errors.map((e) => el("li", {}, e)))
      : null,
    el("pre", { className: "json" }, content),
  );
}

async function runPage() {
  const runId = param("id");
  if (!runId) {
    showError("no run given: open a run from the Runs page (/run?id=RUN)");
    return;
  }
  document.title = `Run ${shortId(runId)} · mda`;
  $("run-title").textContent = `Run ${shortId(runId)}`;
  const answered = new Set();
  const abort = $("abort");
  let run = null;
  let suggested = null;
  let reportShown = false;
  let artifactsShown = "";

  function renderRun(found) {
    run = found;
    const state = $("run-state");
    state.textContent = found.state.replaceAll("_", " ");
    state.className = `badge state-${found.state}`;
    state.dataset.state = found.state;
    metaList($("run-meta"), [
      ["Run", found.run_id],
      ["Template", found.template],
      ["Repository", found.repo],
      ["Base", found.base],
      ["Started", when(found.created_at)],
      ["Finished", when(found.finished_at)],
    ]);
    $("run-error").textContent = found.error || "";
    show($("run-error"), Boolean(found.error));
    fill($("web-ui"), found.web_ui.startsWith("http")
      ? el("a", { href: found.web_ui, id: "web-ui-link", rel: "noreferrer", target: "_blank" }, "open the workflow in the Temporal Web UI")
      : found.web_ui);
    fill($("phases"), found.phases.length ? found.phases.map(phaseItem) : el("li", { className: "muted" }, "No phase has started yet."));

    const gate = found.pending_gate;
    const gateOpen = Boolean(gate) && !answered.has(gate.gate_id);
    show($("gate"), gateOpen);
    if (gateOpen) {
      $("gate").dataset.gateId = gate.gate_id;
      const left = gate.changes_left > 0
        ? `${plural(gate.changes_left, "change request", "change requests")} left`
        : "no change requests left: approve or reject";
      $("gate-text").textContent = `Phase “${gate.phase}” (round ${gate.round}) is done and waits for your decision; ${left}.`;
      $("request-changes").disabled = gate.changes_left <= 0;
    }

    const budget = found.pending_budget;
    show($("budget-gate"), Boolean(budget));
    if (budget) {
      $("budget-text").textContent =
        `A model call needs $${budget.needed_usd} but the ${budget.scope} cap is $${budget.cap_usd} ` +
        `with $${budget.spent_usd} spent (policy: ${budget.policy}). Raise the cap to go on, or abort.`;
      if (suggested !== budget.suggested_usd) {
        suggested = budget.suggested_usd;
        $("raise-usd").value = budget.suggested_usd;
      }
    }

    const active = ACTIVE_RUN_STATES.has(found.state);
    show(abort, active);
    if (active) (gateOpen ? $("gate-actions") : $("run-actions")).append(abort);
    show($("controls"), active && !gateOpen);
    if (!active && !reportShown) loadReport();
  }

  async function loadRun() {
    try {
      renderRun(await api(`/api/runs/${encodeURIComponent(runId)}`));
    } catch (error) {
      showError(error);
    }
  }

  async function loadArtifacts() {
    try {
      const { artifacts } = await api(`/api/runs/${encodeURIComponent(runId)}/artifacts`);
      const key = JSON.stringify(artifacts.map((a) => [a.phase, a.round, a.revision, a.sha256]));
      if (key === artifactsShown) return;
      artifactsShown = key;
      fill($("artifacts"), artifacts.length
        ? artifacts.map(artifactBlock)
        : el("p", { className: "muted" }, "None yet."));
    } catch (error) {
      showError(error);
    }
  }

  let reportTries = 0;
  let reportLoading = false;

  /** The report, once the run has ended: it is written just after the last event,
   * so a 404 is tried again a few times. */
  async function loadReport() {
    if (reportLoading || reportShown) return;
    reportLoading = true;
    try {
      const markdown = await api(`/api/runs/${encodeURIComponent(runId)}/report?format=md`, { text: true });
      $("report").textContent = markdown;
      show($("report-box"), true);
      reportShown = true;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) showError(error);
      else if (++reportTries < REPORT_TRIES) setTimeout(loadReport, REPORT_RETRY_MS);
    } finally {
      reportLoading = false;
    }
  }

  const refresh = debounced(loadRun, 150);
  const refreshArtifacts = debounced(loadArtifacts, 300);

  function decide(button, path, body) {
    const gateId = run && run.pending_gate ? run.pending_gate.gate_id : null;
    act(button, async () => {
      const done = await api(`/api/runs/${encodeURIComponent(runId)}/${path}`, {
        body: { ...body(), ...(gateId ? { gate: gateId } : {}) },
      });
      if (gateId) answered.add(gateId);
      $("feedback").value = "";
      showNotice(done.message);
      if (run) renderRun(run);
      refresh();
    });
  }

  const text = () => $("feedback").value.trim();
  $("approve").addEventListener("click", () => decide($("approve"), "approve", () => (text() ? { comment: text() } : {})));
  $("reject").addEventListener("click", () => decide($("reject"), "reject", () => (text() ? { reason: text() } : {})));
  $("request-changes").addEventListener("click", () => {
    if (!text()) {
      showError("write what should change in the feedback box first");
      $("feedback").focus();
      return;
    }
    decide($("request-changes"), "request-changes", () => ({ feedback: text() }));
  });
  confirmTwice(abort, "Tap again to abort", () => {
    act(abort, async () => {
      const done = await api(`/api/runs/${encodeURIComponent(runId)}/abort`, {
        body: text() ? { reason: text() } : {},
      });
      showNotice(done.message);
      refresh();
    });
  });
  $("raise").addEventListener("click", () => act($("raise"), async () => {
    const done = await api(`/api/runs/${encodeURIComponent(runId)}/budget`, {
      body: { usd: $("raise-usd").value.trim() },
    });
    showNotice(done.message);
    refresh();
  }));

  const events = $("events");
  const seen = new Set();
  function addEvent(event) {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const nearBottom = events.scrollHeight - events.scrollTop - events.clientHeight < 40;
    events.append(el(
      "li",
      { dataset: { eventId: String(event.id), type: event.type }, className: `event type-${event.type.split(".")[0]}` },
      el("time", { datetime: event.at, className: "muted small" }, when(event.at)),
      " ",
      el("strong", {}, event.type),
      event.phase ? el("span", { className: "muted" }, ` · ${event.phase}`) : null,
      el("span", { className: "event-detail" }, describeEvent(event)),
    ));
    if (nearBottom) events.scrollTop = events.scrollHeight;
  }

  await loadRun();
  loadArtifacts();
  const streamState = $("stream-state");
  stream(`/api/runs/${encodeURIComponent(runId)}/stream`, (name, data) => {
    if (name === "run_event") {
      addEvent(data);
      refresh();
      if (data.type.startsWith("artifact.") || data.type.startsWith("phase.")) refreshArtifacts();
    } else if (name === "end") {
      streamState.textContent = `ended (${data.state})`;
      loadRun();
      loadArtifacts();
    }
  }, {
    onState: (what) => {
      if (what !== "ended") streamState.textContent = what;
    },
  });
}

// --- /sessions -----------------------------------------------------------------

async function sessionsPage() {
  let shownSessions = "";
  async function loadSessions() {
    try {
      const { sessions } = await api("/api/sessions");
      const key = JSON.stringify(sessions);
      if (key === shownSessions) return;
      shownSessions = key;
      fill($("sessions"), sessions.map((s) => el(
        "tr",
        { dataset: { sessionId: s.session_id } },
        el("td", {}, el("a", { href: `/session?id=${encodeURIComponent(s.session_id)}`, className: "session-link" }, s.title || shortId(s.session_id))),
        el("td", {}, badge(s.state)),
        el("td", {}, `${s.persona} (${s.model})`),
        el("td", { className: "mono wrap" }, s.repo),
        el("td", { className: "num" }, number(s.turns)),
        el("td", { className: "nowrap" }, when(s.last_message_at || s.created_at)),
      )));
      show($("sessions-empty"), sessions.length === 0);
      show($("sessions-table"), sessions.length > 0);
    } catch (error) {
      showError(error);
    }
  }
  $("new-session-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act($("start-session"), async () => {
      const created = await api("/api/sessions", {
        body: { repo: $("session-repo").value.trim(), offline: $("session-offline").checked },
      });
      window.location.assign(`/session?id=${encodeURIComponent(created.session_id)}`);
    });
  });
  every(loadSessions);
}

// --- /session?id= ------------------------------------------------------------------

/** "3 model calls · 1,234 tokens in · 56 out · running tool: read_file(README.md)" */
export function progressText(progress) {
  const parts = [plural(progress.model_calls, "model call", "model calls")];
  if (progress.tool_calls) parts.push(plural(progress.tool_calls, "tool call", "tool calls"));
  if (progress.input_tokens || progress.output_tokens) {
    parts.push(`${number(progress.input_tokens)} tokens in`, `${number(progress.output_tokens)} out`);
  }
  const recent = progress.recent_tools || [];
  parts.push(progress.phase === "tool" && recent.length
    ? `running tool: ${recent[recent.length - 1]}`
    : "thinking");
  return parts.join(" · ");
}

async function sessionPage() {
  const sessionId = param("id");
  if (!sessionId) {
    showError("no session given: open one from the Sessions page (/session?id=SESSION)");
    return;
  }
  const base = `/api/sessions/${encodeURIComponent(sessionId)}`;
  document.title = `Session ${shortId(sessionId)} · mda`;
  const list = $("messages");
  const input = $("message-input");
  const send = $("send");
  const cancel = $("cancel");
  const progress = $("progress");
  const shown = new Map();
  let sending = false;
  let ended = false;

  function messageItem(message) {
    // Each call as the turn recorded it: {name, args: "read_file(src/app.py)"}.
    const calls = (message.tool_calls || []).map((call) =>
      el("li", { className: "mono small" }, call.args || call.name || "tool"));
    return el(
      "li",
      { className: `message role-${message.role}`, dataset: { seq: String(message.seq), role: message.role } },
      el("div", { className: "message-role" }, message.role === "user" ? "you" : message.role),
      message.content ? el("div", { className: "message-content" }, message.content) : null,
      calls.length ? el("div", { className: "tool-calls-head small muted" }, "tools used") : null,
      calls.length ? el("ul", { className: "tool-calls" }, calls) : null,
    );
  }

  function addMessage(message) {
    if (shown.has(message.seq) || message.is_summary) return;
    const item = messageItem(message);
    shown.set(message.seq, item);
    const later = [...shown.keys()].filter((seq) => seq > message.seq).sort((a, b) => a - b);
    if (later.length) list.insertBefore(item, shown.get(later[0]));
    else list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  function setProgress(text) {
    progress.textContent = text || "";
    show(progress, Boolean(text));
  }

  function setSending(now) {
    sending = now;
    send.disabled = now || ended;
    show(cancel, now);
    if (!now) setProgress(null);
  }

  function renderSession(found) {
    $("session-title").textContent = found.title || `Session ${shortId(found.session_id)}`;
    const state = $("session-state");
    state.textContent = found.state;
    state.className = `badge state-${found.state}`;
    state.dataset.state = found.state;
    metaList($("session-meta"), [
      ["Agent", found.persona],
      ["Model", found.model],
      ["Repository", found.repo],
      ["Turns", el("span", { id: "turns" }, number(found.turns))],
      ["Tokens", `${number(found.input_tokens)} in · ${number(found.output_tokens)} out`],
      ["Spent", `$${found.spent_usd}`],
    ]);
    if (found.state === "ended") markEnded();
  }

  function markEnded() {
    ended = true;
    input.disabled = true;
    send.disabled = true;
    $("end-session").disabled = true;
    show(cancel, false);
  }

  async function loadSession() {
    try {
      const found = await api(base);
      renderSession(found);
      found.messages.forEach(addMessage);
      return found;
    } catch (error) {
      showError(error);
      return null;
    }
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim() || sending || ended) return;
    const clientId = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    setSending(true);
    setProgress("sending…");
    showNotice(null);
    act(null, async () => {
      try {
        const reply = await api(`${base}/messages`, { body: { text, client_id: clientId } });
        input.value = "";
        const lines = [...(reply.warnings || []), ...(reply.notes || [])];
        if (reply.cancelled) lines.unshift("The turn was cancelled.");
        showNotice(lines.join(" "));
      } finally {
        setSending(false);
        await loadSession();
      }
    });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("chat-form").requestSubmit();
    }
  });
  cancel.addEventListener("click", () => act(cancel, async () => {
    showNotice((await api(`${base}/cancel`, { body: {} })).message);
  }));
  confirmTwice($("end-session"), "Tap again to end", () => act($("end-session"), async () => {
    await api(`${base}/end`, { body: {} });
    showNotice("The session has ended; it takes no more messages.");
    markEnded();
    loadSession();
  }));

  const found = await loadSession();
  if (!found) return;
  stream(`${base}/stream`, (name, data) => {
    if (name === "message") addMessage(data);
    else if (name === "progress") {
      // A turn runs (this page's, or one sent from elsewhere): it can be cancelled.
      show(cancel, sending || Boolean(data));
      if (data) setProgress(progressText(data));
      else if (!sending) setProgress(null);
    } else if (name === "end") {
      markEnded();
      loadSession();
    }
  });
}

// --- /budget ---------------------------------------------------------------------

function money(value) {
  return value === null || value === undefined ? "—" : `$${value}`;
}

async function budgetPage() {
  async function loadBudget() {
    try {
      const { lines } = await api("/api/budget");
      fill($("budget-lines"), lines.map((line) => el(
        "tr",
        { dataset: { scope: line.scope } },
        el("td", {}, line.scope.replaceAll("_", " ")),
        el("td", { className: "wrap" }, line.name),
        el("td", { className: "num" }, money(line.spent_usd)),
        el("td", { className: "num" }, line.cap_usd === null ? "no cap" : money(line.cap_usd)),
        el("td", { className: "num" }, money(line.left_usd)),
        el("td", {}, line.policy || "—"),
      )));
    } catch (error) {
      showError(error);
    }
  }
  const by = $("stats-by");
  async function loadStats() {
    try {
      const { lines } = await api(`/api/stats?by=${encodeURIComponent(by.value)}`);
      fill($("stats-lines"), lines.map((line) => el(
        "tr",
        {},
        el("td", { className: "wrap" }, line.key),
        el("td", { className: "num" }, number(line.calls)),
        el("td", { className: "num" }, number(line.input_tokens)),
        el("td", { className: "num" }, number(line.output_tokens)),
        el("td", { className: "num" }, line.unpriced_calls ? `${money(line.cost_usd)} (+${line.unpriced_calls} unpriced)` : money(line.cost_usd)),
      )));
      show($("stats-empty"), lines.length === 0);
      show($("stats-table"), lines.length > 0);
    } catch (error) {
      showError(error);
    }
  }
  by.addEventListener("change", loadStats);
  every(loadBudget);
  loadStats();
}

const PAGES = {
  runs: runsPage, run: runPage, sessions: sessionsPage, session: sessionPage, budget: budgetPage,
};
const page = PAGES[document.body.dataset.page];
if (page) page().catch((error) => showError(error));
