// One run: its state, phases, pending gate and budget, artifacts, live events and
// report.
// Every value from the API goes into the page as text, never as HTML.

import {
  $, act, api, ApiError, badge, confirmTwice, el, fill, param, plural, shortId, show,
  showError, showNotice, stream, when, link, metaList, debounced,
} from "/static/mda.js";

const ACTIVE_RUN_STATES = new Set(["running", "pending", "awaiting_approval"]);
const REPORT_TRIES = 20;
const REPORT_RETRY_MS = 1500;

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

runPage().catch((error) => showError(error));
