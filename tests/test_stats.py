"""`mda stats`: the ledger grouped by model, persona, UTC day and template, with exact
sums and unpriced calls counted apart."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from my_deepagent.settings import get_settings
from my_deepagent.store.database import Database, open_database
from my_deepagent.store.runs import create_run
from my_deepagent.store.sessions import create_session, new_session_id
from my_deepagent.store.stats import SESSIONS_GROUP, call_stats
from my_deepagent.store.tables import LlmCallRow
from run_harness import RunEnv

DAY1 = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
DAY2 = datetime(2026, 12, 1, 0, 1, tzinfo=UTC)


async def fill(db: Database, tmp_path: Path) -> None:
    spec = await create_run(db, repo_path=str(tmp_path), base_branch="a", template_ref="spec@1")
    fix = await create_run(db, repo_path=str(tmp_path), base_branch="b", template_ref="fix@1")
    chat = await create_session(
        db, session_id=new_session_id(), repo_path=str(tmp_path), project_key="0" * 16,
        persona_ref="chat@1", model="openai:gpt-4.1",
    )  # fmt: skip
    rows = [
        # (run, session, persona, model, input, output, cost, when)
        (spec.id, None, "writer@1", "openai:gpt-4.1", 1000, 100, "0.10", DAY1),
        (spec.id, None, "writer@1", "openai:gpt-4.1", 2000, 200, "0.20", DAY2),
        (fix.id, None, "fixer@1", "local:qwen", 500, 50, None, DAY2),
        (None, chat.id, "chat@1", "openai:gpt-4.1", 300, 30, "0.03", DAY2),
    ]
    async with db.write() as session:
        for n, (run_id, session_id, persona, model, used_in, used_out, cost, when) in enumerate(
            rows
        ):
            session.add(
                LlmCallRow(
                    call_key=f"k{n}",
                    run_id=run_id,
                    session_id=session_id,
                    phase_key=None,
                    thread_id="t",
                    persona_ref=persona,
                    model=model,
                    input_tokens=used_in,
                    output_tokens=used_out,
                    cached_tokens=0,
                    reasoning_tokens=0,
                    cost_usd=cost,
                    cost_source="price" if cost else None,
                    created_at=when,
                )
            )


async def test_stats_group_each_way_with_exact_sums(db: Database, tmp_path: Path) -> None:
    await fill(db, tmp_path)
    by_model = {r.key: r.to_json() for r in await call_stats(db, "model")}
    assert by_model["openai:gpt-4.1"]["calls"] == 3
    assert by_model["openai:gpt-4.1"]["cost_usd"] == "0.33"
    local = by_model["local:qwen"]
    assert (local["cost_usd"], local["unpriced_calls"], local["input_tokens"]) == ("0", 1, 500)
    assert [r.key for r in await call_stats(db, "model")] == ["openai:gpt-4.1", "local:qwen"]
    by_day = await call_stats(db, "day")
    assert [(r.key, r.calls, str(r.cost_usd)) for r in by_day] == [
        ("2026-11-30", 1, "0.10"), ("2026-12-01", 3, "0.23"),
    ]  # fmt: skip
    by_template = {r.key: r.calls for r in await call_stats(db, "template")}
    assert by_template == {"spec@1": 2, "fix@1": 1, SESSIONS_GROUP: 1}
    by_persona = {r.key: str(r.cost_usd) for r in await call_stats(db, "persona")}
    assert by_persona == {"writer@1": "0.30", "chat@1": "0.03", "fixer@1": "0"}
    since = await call_stats(db, "model", since=DAY2.replace(hour=0, minute=0))
    assert {r.key: r.calls for r in since} == {"openai:gpt-4.1": 2, "local:qwen": 1}


async def test_mda_stats_prints_the_groups_as_json(run_env: RunEnv, tmp_path: Path) -> None:
    async with open_database(get_settings()) as db:
        await fill(db, tmp_path)
    result = run_env.mda("stats", "--by", "template", "--since", "2026-12-01", "--json")
    assert result.returncode == 0, result.stderr
    assert {r["key"]: r["calls"] for r in json.loads(result.stdout)} == {
        "spec@1": 1, "fix@1": 1, SESSIONS_GROUP: 1,
    }  # fmt: skip
    table = run_env.mda("stats", "--by", "model")
    assert "openai:gpt-4.1\t3\t3,300\t330\t0\t$0.33" in table.stdout
    assert "local:qwen\t1\t500\t50\t0\t$0.00 + 1 unpriced" in table.stdout
