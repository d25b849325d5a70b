// Spending against each cap, and model calls grouped by model, persona, day or
// template.
// Every value from the API goes into the page as text, never as HTML.

import {
  $, api, el, fill, number, show, showError, every,
} from "/static/mda.js";

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

budgetPage().catch((error) => showError(error));
