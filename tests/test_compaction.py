"""Compaction: when it triggers, what it replaces, and summaries that keep a task alive.

The summariser is the real scripted model (a pure function of the request, so what
survived is checkable), or the real `ChatOpenAI` talking to the loopback stub when a
model must ignore the format; nothing is patched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from my_deepagent.agents.models import build_chat_model
from my_deepagent.agents.scripted import ScriptedChatModel
from my_deepagent.agents.scripted_summary import file_paths, scripted_summary, summary_sections
from my_deepagent.errors import ConfigError
from my_deepagent.sessions.compaction import (
    KEEP_RECENT,
    MIN_COMPACTABLE,
    CompactionPlan,
    CompactionRefusal,
    TranscriptMessage,
    compaction_threshold_tokens,
    plan_compaction,
    should_compact,
    tokens_after,
)
from my_deepagent.sessions.summary import request_budget, summarise
from my_deepagent.sessions.summary_format import (
    REQUEST_MARKER,
    SECTIONS,
    parse_summary_request,
    summary_request,
)
from my_deepagent.settings import get_settings
from my_deepagent.tokens import context_window, count_tokens
from openai_stub import OpenAIStub, Reply

SMALL = "scripted:summarizer-window-2000"
GOAL = "Please migrate the billing service from SQLite to PostgreSQL."
FACT = "My team always deploys on Fridays, so never merge on Thursday evening."
DECISION = "I will keep the old schema in db/legacy.sql as a fallback."
TASK = "TODO: port the nightly cron jobs to the new scheduler."


def message(seq: int, role: str, content: str, *, summary: bool = False) -> TranscriptMessage:
    return TranscriptMessage(seq, role, content, count_tokens(content), summary)


def conversation(count: int, first: int = 1) -> list[TranscriptMessage]:
    """User and assistant turns, alternating; the first says the goal and a fact."""
    out: list[TranscriptMessage] = []
    for seq in range(first, first + count):
        role = "user" if seq % 2 else "assistant"
        text = f"{GOAL} {FACT}" if seq == 1 else f"Turn {seq}: looked at module {seq} today."
        out.append(message(seq, role, text))
    return out


def filler(seq: int, role: str) -> TranscriptMessage:
    text = f"Turn {seq}: the logs of worker {seq} look ordinary, nothing to report. " * 4
    return message(seq, role, text)


def planned(result: CompactionPlan | CompactionRefusal) -> CompactionPlan:
    assert isinstance(result, CompactionPlan), result
    return result


def scripted() -> ScriptedChatModel:
    return ScriptedChatModel(SMALL.removeprefix("scripted:"))


# --- threshold ------------------------------------------------------------------------


def test_default_threshold_is_strictly_above_seventy_percent(mda_home: Path) -> None:
    DEFAULT_THRESHOLD = get_settings().compact_threshold
    assert DEFAULT_THRESHOLD == 0.7
    assert compaction_threshold_tokens(10_000, DEFAULT_THRESHOLD) == 7000
    assert not should_compact(6999, 10_000, DEFAULT_THRESHOLD)
    assert not should_compact(7000, 10_000, DEFAULT_THRESHOLD)
    assert should_compact(7001, 10_000, DEFAULT_THRESHOLD)


def test_fractional_threshold_products_compare_exactly() -> None:
    assert compaction_threshold_tokens(32_768, 0.7) == 22_937  # 22937.6
    assert not should_compact(22_937, 32_768, 0.7)
    assert should_compact(22_938, 32_768, 0.7)


def test_custom_threshold() -> None:
    assert should_compact(5001, 10_000, 0.5)
    assert not should_compact(5000, 10_000, 0.5)
    assert not should_compact(10_000, 10_000, 1.0)
    assert should_compact(10_001, 10_000, 1.0)


@pytest.mark.parametrize("threshold", [0.0, -0.2, 1.01, 70.0])
def test_invalid_threshold_is_a_one_line_config_error(threshold: float) -> None:
    with pytest.raises(ConfigError, match="out of range") as caught:
        should_compact(1, 1000, threshold)
    assert "\n" not in caught.value.message


# --- planning -------------------------------------------------------------------------


def test_keeps_the_ten_most_recent_and_archives_the_rest() -> None:
    live = conversation(14)
    plan = planned(plan_compaction(live))
    assert KEEP_RECENT == 10 and MIN_COMPACTABLE == 4
    assert plan.archive_seqs == (1, 2, 3, 4)
    assert plan.kept_seqs == tuple(range(5, 15))
    assert plan.to_summarise == tuple(live[:4])
    assert plan.tokens_before == sum(m.token_count for m in live)
    assert plan.tokens_archived == sum(m.token_count for m in live[:4])
    assert tokens_after(plan, 25) == plan.tokens_before - plan.tokens_archived + 25


def test_token_arithmetic_with_round_numbers() -> None:
    live = [TranscriptMessage(seq, "user", "x", 20, False) for seq in range(1, 15)]
    live = [TranscriptMessage(0, "system", "s", 720, True), *live]
    plan = planned(plan_compaction(live))
    assert (plan.tokens_before, plan.tokens_archived) == (1000, 720 + 4 * 20)
    assert tokens_after(plan, 50) == 1000 - 800 + 50


def test_three_older_messages_are_refused_in_one_line() -> None:
    result = plan_compaction(conversation(13))
    assert isinstance(result, CompactionRefusal)
    assert result.older == 3
    assert result.reason == (
        "only 3 messages are older than the 10 most recent; compaction needs at least 4"
    )


@pytest.mark.parametrize(
    ("count", "reason"),
    [
        (11, "only 1 message is older than the 10 most recent; compaction needs at least 4"),
        (
            10,
            "the session has only 10 messages; compaction keeps the 10 most recent and "
            "needs at least 4 older ones",
        ),
        (
            0,
            "the session has only 0 messages; compaction keeps the 10 most recent and "
            "needs at least 4 older ones",
        ),
    ],
)
def test_refusal_wording(count: int, reason: str) -> None:
    result = plan_compaction(conversation(count))
    assert isinstance(result, CompactionRefusal)
    assert result.reason == reason


def test_an_earlier_summary_is_resummarised_and_archived() -> None:
    earlier = message(20, "system", "## Goal\n- old goal", summary=True)
    live = [earlier, *conversation(14, first=21)]
    plan = planned(plan_compaction(live))
    assert plan.to_summarise[0] is earlier
    assert plan.archive_seqs == (20, 21, 22, 23, 24)
    assert plan.kept_seqs == tuple(range(25, 35))


def test_a_summary_does_not_count_towards_the_minimum() -> None:
    live = [message(0, "system", "## Goal\n- g", summary=True), *conversation(13)]
    result = plan_compaction(live)
    assert isinstance(result, CompactionRefusal)
    assert result.older == 3


def test_custom_keep_and_minimum() -> None:
    plan = planned(plan_compaction(conversation(6), keep_recent=2, min_compactable=4))
    assert plan.archive_seqs == (1, 2, 3, 4)
    assert plan.kept_seqs == (5, 6)
    everything = planned(plan_compaction(conversation(5), keep_recent=0))
    assert everything.kept_seqs == ()


# --- the request and the scripted summary ------------------------------------------------


def test_request_has_the_five_sections_and_the_transcript() -> None:
    earlier = message(0, "system", "## Goal\n- ship v2", summary=True)
    transcript = [
        earlier,
        message(1, "user", "hello </message> there"),
        message(2, "assistant", ""),
    ]
    request = summary_request(transcript)
    assert request.splitlines()[0] == REQUEST_MARKER
    headings = re.findall(r"^## (.+)$", request, flags=re.MULTILINE)
    assert tuple(headings[: len(SECTIONS)]) == SECTIONS
    assert SECTIONS == ("Goal", "Decisions", "Open tasks", "Files touched", "Facts the user gave")
    assert "<summary>\n## Goal\n- ship v2\n</summary>" in request
    assert '<message role="user">\nhello </message> there\n</message>' in request
    parsed = parse_summary_request(request)
    assert parsed is not None
    assert [(m.role, m.content, m.is_summary) for m in parsed] == [
        ("system", "## Goal\n- ship v2", True),
        ("user", "hello </message> there", False),
        ("assistant", "", False),
    ]
    assert parse_summary_request("summarise this please") is None


def _rich_conversation() -> list[TranscriptMessage]:
    return [
        message(1, "user", f"{GOAL} The code is in src/billing/db.py. {FACT}"),
        message(2, "assistant", f"Reading src/billing/db.py first. {DECISION} Let's go."),
        message(3, "user", "We prefer Alembic for migrations. Also see @docs/migration.md."),
        message(4, "assistant", f"Looked at https://example.com/a/b.html too.\n{TASK}"),
        message(5, "user", "ok"),
    ]


async def test_scripted_summary_carries_goal_decisions_tasks_files_and_facts() -> None:
    answer = await scripted().ainvoke([HumanMessage(summary_request(_rich_conversation()))])
    sections = summary_sections(str(answer.content))
    assert list(sections) == list(SECTIONS)
    assert sections["Goal"] == [f"{GOAL} The code is in src/billing/db.py. {FACT}"]
    assert sections["Decisions"] == [DECISION, "Let's go."]
    assert sections["Open tasks"] == [TASK]
    assert sections["Files touched"] == ["src/billing/db.py", "db/legacy.sql", "docs/migration.md"]
    assert sections["Facts the user gave"] == [FACT, "We prefer Alembic for migrations."]
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] > 0


def test_empty_sections_say_none() -> None:
    text = scripted_summary([message(1, "assistant", "Hi there.")])
    assert text == "\n\n".join(f"## {name}\nnone" for name in SECTIONS)


def test_file_paths_skip_urls_versions_and_abbreviations() -> None:
    text = "See e.g. https://x.org/a.html, me@example.com, v0.3, gpt-3.5 and ./tests/t.py."
    assert file_paths(text) == ["./tests/t.py"]


async def test_an_earlier_summarys_goal_and_facts_survive_a_second_compaction() -> None:
    model = scripted()
    window = context_window(SMALL)
    first_live = conversation(14)
    first = planned(plan_compaction(first_live))
    summary_one = await summarise(model, first.to_summarise, window=window)
    assert summary_sections(summary_one.text)["Goal"] == [f"{GOAL} {FACT}"]

    kept = [m for m in first_live if m.seq in first.kept_seqs]
    later = [message(15, "user", "Now the invoices table, please. Remember our VAT is 20%.")]
    later += [
        message(seq, "assistant" if seq % 2 else "user", f"step {seq}") for seq in range(16, 19)
    ]
    second_live = [message(100, "system", summary_one.text, summary=True), *kept, *later]
    second = planned(plan_compaction(second_live))
    assert second.archive_seqs == (100, 5, 6, 7, 8)
    summary_two = await summarise(model, second.to_summarise, window=window)
    sections = summary_sections(summary_two.text)
    assert sections["Goal"] == [f"{GOAL} {FACT}"]
    assert sections["Facts the user gave"] == [FACT]
    assert summary_two.model_calls == 1


async def test_the_scripted_model_still_chats_when_not_asked_for_a_summary() -> None:
    answer = await scripted().ainvoke([HumanMessage("## Goal\nhello")])
    assert str(answer.content).startswith("You said:")


# --- the summariser ---------------------------------------------------------------------


class Requests:
    """Input tokens of each call, as the model's own usage reports them."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    async def __call__(self, answer: AIMessage) -> None:
        assert answer.usage_metadata is not None
        self.sizes.append(answer.usage_metadata["input_tokens"])


def history(tokens: int) -> list[TranscriptMessage]:
    """A long conversation: the goal first, a fact and a file in the middle."""
    live = [message(1, "user", f"{GOAL} {FACT}")]
    seq = 2
    while sum(m.token_count for m in live) < tokens:
        role = "assistant" if seq % 2 == 0 else "user"
        live.append(filler(seq, role))
        if seq == 41:
            live.append(message(seq + 1000, "user", "Remember: our staging host is db-stg-2."))
        if seq == 60:
            live.append(message(seq + 1000, "assistant", f"{DECISION}\n{TASK}"))
        seq += 1
    return live


async def test_a_history_five_times_the_window_is_summarised_in_chunks() -> None:
    window = context_window(SMALL)
    assert window == 2000
    live = history(5 * window)
    requests = Requests()
    result = await summarise(scripted(), live, window=window, on_call=requests)

    assert result.model_calls == len(requests.sizes) >= 6
    assert max(requests.sizes) <= request_budget(window)
    assert result.input_tokens == sum(requests.sizes)
    assert count_tokens(result.text) <= request_budget(window)
    sections = summary_sections(result.text)
    assert list(sections) == list(SECTIONS)
    assert sections["Goal"] == [f"{GOAL} {FACT}"]
    assert sections["Facts the user gave"] == [FACT, "Remember: our staging host is db-stg-2."]
    assert sections["Decisions"] == [DECISION]
    assert sections["Open tasks"] == [TASK]
    assert sections["Files touched"] == ["db/legacy.sql"]


async def test_a_single_oversized_message_is_cut_into_pieces() -> None:
    window = context_window(SMALL)
    body = f"{GOAL} " + " ".join(f"line {i} of the pasted log" for i in range(1200))
    huge = message(1, "user", body + f" The file is src/tail_{'x' * 3}.py.")
    assert huge.token_count > 3 * window
    requests = Requests()
    result = await summarise(scripted(), [huge], window=window, on_call=requests)

    assert result.model_calls >= 4
    assert max(requests.sizes) <= request_budget(window)
    sections = summary_sections(result.text)
    assert sections["Goal"][0].startswith(GOAL)
    assert sections["Files touched"] == ["src/tail_xxx.py"]


async def test_a_window_too_small_for_the_instructions_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="too small"):
        await summarise(scripted(), conversation(3), window=300)
    with pytest.raises(ValueError, match="no messages"):
        await summarise(scripted(), [], window=2000)


async def test_an_answer_without_sections_is_returned_as_it_is(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(content="  \nSure! You talked about billing.\n  "))
    model = build_chat_model("openai-compatible:echo-model", get_settings())
    result = await summarise(model, conversation(6), window=32_768)
    assert result.text == "Sure! You talked about billing."
    assert (result.model_calls, result.input_tokens, result.output_tokens) == (1, 11, 7)
    [request] = openai_stub.requests
    assert request["messages"][-1]["content"].startswith(REQUEST_MARKER)


async def test_a_model_that_never_summarises_cannot_make_it_loop(openai_stub: OpenAIStub) -> None:
    """Every answer is longer than a chunk: the rounds stop shrinking, the entries are
    cut to fit, and one last call is made; the stub would answer 500 to any extra."""
    window = 2000
    live = history(5 * window)
    rambling = "I would rather talk about something else entirely. " * 150
    openai_stub.script(*[Reply(content=rambling)] * 40)
    model = build_chat_model("openai-compatible:echo-model", get_settings())
    result = await summarise(model, live, window=window)

    assert result.text == rambling.strip()
    assert 3 <= result.model_calls <= 30
    assert len(openai_stub.requests) == result.model_calls
    assert _request_tokens(openai_stub.requests[-1]["messages"]) <= request_budget(window)


def _request_tokens(messages: Sequence[dict[str, str]]) -> int:
    return sum(count_tokens(m["content"]) for m in messages)
