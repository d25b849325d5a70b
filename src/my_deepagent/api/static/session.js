// One session's chat: its messages, the box that sends one, the running turn's
// progress, cancel and end.
// Every value from the API goes into the page as text, never as HTML.

import {
  $, act, api, badge, confirmTwice, el, number, param, plural, shortId, show,
  showError, showNotice, stream, metaList,
} from "/static/mda.js";

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

sessionPage().catch((error) => showError(error));
