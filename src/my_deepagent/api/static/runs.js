// The runs page: the table (filtered by state, refreshed while visible) and the
// form that starts a run.
// Every value from the API goes into the page as text, never as HTML.

import {
  $, act, api, badge, el, fill, param, shortId, show, showError, when, link, every,
} from "/static/mda.js";

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
      const personas = $("personas").value.split(",").map((item) => item.trim()).filter(Boolean);
      const budget = $("budget-usd").value.trim();
      const started = await api("/api/runs", {
        body: {
          template: select.value,
          repo: $("repo").value.trim(),
          requirements: $("requirements").value,
          offline: $("offline").checked,
          personas,
          budget_usd: budget || null,
        },
      });
      window.location.assign(`/run?id=${encodeURIComponent(started.run_id)}`);
    });
  });

  every(loadRuns);
}

runsPage().catch((error) => showError(error));
