"""The cost preview: its arithmetic, the run it is built from, and `mda start`'s output."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

from my_deepagent.domain.budget import BudgetCaps, Cap
from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.domain.pricing import ModelPrice
from my_deepagent.examples import prepare_example_repo
from my_deepagent.launch import RunRequest, plan_run
from my_deepagent.preview import (
    AGENT_OVERHEAD_TOKENS,
    GROWTH_PER_CALL,
    TYPICAL_CALLS,
    TYPICAL_OUTPUT_TOKENS,
    Preview,
    estimate_phase,
    preview_run,
)
from my_deepagent.tokens import count_tokens
from run_harness import RunEnv

PRICE = ModelPrice(
    model="openai:gpt-4.1", input=Decimal(2), output=Decimal(8), as_of=date(2025, 10, 15),
    source="test",
)  # fmt: skip


def test_a_phase_estimate_is_the_documented_arithmetic() -> None:
    estimate = estimate_phase(
        phase="spec", persona="p@1", model=PRICE.model, price=PRICE, task_tokens=1_000,
        max_model_calls=50, max_tokens=8_192,
    )  # fmt: skip
    n = TYPICAL_CALLS
    first = AGENT_OVERHEAD_TOKENS + 1_000
    assert estimate.calls == n
    assert estimate.input_tokens == n * first + GROWTH_PER_CALL * n * (n - 1) // 2
    assert estimate.output_tokens == n * TYPICAL_OUTPUT_TOKENS
    expected = (estimate.input_tokens * 2 + estimate.output_tokens * 8) / Decimal(1_000_000)
    assert estimate.usd == expected

    small = estimate_phase(
        phase="spec", persona="p@1", model=PRICE.model, price=None, task_tokens=0,
        max_model_calls=2, max_tokens=100,
    )  # fmt: skip
    assert (small.calls, small.output_tokens, small.usd) == (2, 200, None)


def test_the_total_is_the_sum_of_the_phases_and_unknown_if_one_is_unpriced() -> None:
    priced = estimate_phase(
        phase="a", persona="p@1", model=PRICE.model, price=PRICE, task_tokens=10,
        max_model_calls=5, max_tokens=10,
    )  # fmt: skip
    unpriced = estimate_phase(
        phase="b", persona="p@1", model="x:y", price=None, task_tokens=10, max_model_calls=5,
        max_tokens=10,
    )  # fmt: skip
    caps = BudgetCaps(run=Cap(usd="2"))
    assert Preview((priced, priced), caps).total == 2 * (priced.usd or 0)
    both = Preview((priced, unpriced), caps)
    assert both.total is None
    document = both.to_json()
    assert document["total_usd"] is None and document["caps"]["run"]["usd"] == "2"
    assert [p["estimate_usd"] for p in document["phases"]] == [str(priced.usd), None]


def test_the_task_size_counts_the_requirements_prompt_and_schema(run_env: RunEnv) -> None:
    catalog = load_user_catalog()
    short = RunRequest(
        template="spec-and-review", repo=run_env.repo, requirements="x", offline=True
    )
    long_text = "Add due dates to tasks. " * 400
    run_input = plan_run(short, catalog, "0" * 32)
    prices = {catalog.persona(p.persona_ref).model: PRICE for p in run_input.phases}
    little = preview_run(run_input, catalog, "x", prices)
    more = preview_run(run_input, catalog, long_text, prices)
    extra = count_tokens(long_text) - count_tokens("x")
    for a, b in zip(little.phases, more.phases, strict=True):
        assert b.input_tokens - a.input_tokens == a.calls * extra
    assert [p.phase for p in little.phases] == [p.key for p in run_input.phases]


def test_mda_start_prints_the_estimate_unless_told_not_to(run_env: RunEnv, tmp_path: Path) -> None:
    run_env.start_worker()

    def start(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        repo = prepare_example_repo(tmp_path / name)
        result = run_env.mda(
            "start", "spec-and-review", "--repo", str(repo), "--offline", "-r", "x", "--yes",
            "--detach", "--budget-usd", "2", *extra,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result

    shown = start("shown")
    # Piped, the table is tab-separated lines under its header (no title).
    assert "\ttokens in / out\tcost\n" in shown.stdout
    assert "Estimated total: $0.00" in shown.stdout
    assert "the run's budget $2.00 (prompt)" in shown.stdout
    assert shown.stdout.index("Estimated total") < shown.stdout.index(" started: ")
    document = json.loads(start("json", "--json").stdout)
    preview = document["preview"]
    assert [p["phase"] for p in preview["phases"]] == ["spec", "review", "verify"]
    assert Decimal(preview["total_usd"]) == 0 and preview["caps"]["run"]["usd"] == "2"
    assert "Estimated total" not in start("quiet", "--no-preview").stdout
