// The sessions page: the table and the form that opens a session.
// Every value from the API goes into the page as text, never as HTML.

import {
  $, act, api, badge, el, fill, number, shortId, show, showError, when, link, every,
} from "/static/mda.js";

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

sessionsPage().catch((error) => showError(error));
