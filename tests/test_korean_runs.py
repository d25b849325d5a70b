"""Runs in Korean (MDA_LANG=ko): each command's bad input is one `mda: 오류: ` line with
the catalogue's Korean text, a note and the cost preview speak Korean, and what
scripts read (tab-separated output) stays English."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from korean_helpers import HANGUL, error_line
from my_deepagent.budget_standing import Line
from my_deepagent.catalogue import english, msg
from my_deepagent.cli.main import main
from my_deepagent.domain.budget import BudgetCaps, Cap
from my_deepagent.scrub import REDACTED

SECRET = "sk-or-v1-" + "a1b2c3d4" * 8  # built, so scanners see no key


def korean_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one stderr line of a failing `mda ARGS`, without its `mda: 오류: ` frame."""
    return error_line(main(list(args)), capsys)


def test_start_refuses_bad_requirements_and_budget_flags_in_korean(
    korean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = ("start", "spec-and-review", "--repo", str(tmp_path))
    assert korean_error(capsys, *start, "-r", "x", "--budget-policy", "block") == msg(
        "runs.policy_needs_cap"
    )
    assert korean_error(capsys, *start) == msg("runs.no_requirements")
    text_file = tmp_path / "req.md"
    text_file.write_text("add due dates\n", encoding="utf-8")
    both = korean_error(capsys, *start, "-r", "x", "--requirements-file", str(text_file))
    assert both == msg("runs.requirements_twice")
    assert "중 하나만" in both
    binary = tmp_path / "req.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    not_text = korean_error(capsys, *start, "--requirements-file", str(binary))
    assert not_text == msg("runs.requirements_not_utf8", file=binary)
    assert "UTF-8 텍스트가 아닙니다" in not_text
    too_long = korean_error(capsys, *start, "-r", "x" * (256 * 1024 + 1))
    assert too_long == msg("runs.requirements_too_long", kib=256)


def test_a_secret_in_the_requirements_is_noted_in_korean(
    korean: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["start", "spec-and-review", "--repo", str(tmp_path), "-r", f"use {SECRET}"])
    err = capsys.readouterr().err
    assert code != 0  # no key for the personas' provider: refused before anything starts
    note = err.splitlines()[0]
    assert note == "mda: 참고: " + msg("runs.requirements_secret_replaced", redacted=REDACTED)
    assert "비밀 값을" in note and SECRET not in err


def test_unknown_run_ids_are_refused_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert korean_error(capsys, "runs", "show", "abc") == msg(
        "runs.id_too_short", ref="'abc'", min=6
    )
    assert korean_error(capsys, "runs", "events", "zzzzzzzz") == msg(
        "runs.no_run_hexadecimal", ref="'zzzzzzzz'"
    )
    missing = korean_error(capsys, "report", "0123456789ab")
    assert missing == msg("runs.no_run", ref="'0123456789ab'")
    assert "없습니다" in missing
    assert korean_error(capsys, "resume", "abcdef0123") == msg("runs.no_run", ref="'abcdef0123'")


def test_gate_commands_are_refused_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = korean_error(capsys, "request-changes", "abcdef0123", "--feedback", "  ")
    assert empty == msg("runs.feedback_empty")
    assert "비어 있습니다" in empty
    for command in ("approve", "reject", "abort"):
        assert korean_error(capsys, command, "abc") == msg("runs.id_too_short", ref="'abc'", min=6)


def test_listing_options_are_refused_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    states = "running, awaiting_approval, completed, failed, rejected, aborted"
    assert korean_error(capsys, "runs", "list", "--state", "bogus") == msg(
        "runs.unknown_state", state="'bogus'", states=states
    )
    assert korean_error(capsys, "report", "abcdef0123", "--format", "pdf") == msg(
        "runs.unknown_report_format", format="'pdf'"
    )
    assert korean_error(capsys, "stats", "--by", "colour") == msg(
        "runs.unknown_group", by="'colour'", groups="model, persona, day, template"
    )
    assert korean_error(capsys, "stats", "--since", "2024/01/31") == msg(
        "runs.since_not_date", value="'2024/01/31'"
    )


def test_budget_raise_is_refused_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nothing = korean_error(capsys, "budget", "raise", "zzzzzzzz", "--usd", "2")
    reason = msg("runs.no_run_hexadecimal", ref="'zzzzzzzz'").split(" (")[0]
    assert nothing == msg("runs.no_run_or_session", reason=reason)
    assert nothing.endswith("그런 세션도 없습니다")
    not_dollars = korean_error(capsys, "budget", "raise", "abcdef0123", "--usd", "lots")
    assert "--usd" in not_dollars and "미국 달러" in not_dollars


def test_show_commands_speak_korean(korean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", "show", "spec-and-review"]) == 0
    shown = capsys.readouterr().out
    for line in ("역할:", "단계:", "     승인: 필요"):
        assert line in shown.splitlines(), line
    assert "     산출물: .mda/artifacts/" in shown and "roles:" not in shown
    assert main(["personas", "show", "scripted-reviewer"]) == 0
    persona = capsys.readouterr().out
    assert "시스템 프롬프트:" in persona.splitlines() and "system prompt:" not in persona


def test_piped_budget_output_stays_english_for_scripts(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["budget"]) == 0
    piped = capsys.readouterr().out.splitlines()
    assert piped[0] == "scope\tspent\tcap\tpolicy\tleft"
    assert piped[1].startswith("today (") and not HANGUL.search("\n".join(piped))


def test_the_repl_budget_line_and_the_cost_preview_speak_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from my_deepagent.cli.cost_preview import print_preview
    from my_deepagent.preview import Preview

    line = Line(
        "day",
        english("runs.label_today", date="2024-01-31"),
        Decimal("0.5"),
        Cap(usd="2", policy="block"),
        msg("runs.label_today", date="2024-01-31"),
    )
    assert line.name == "today (2024-01-31 UTC)"
    assert line.text() == "오늘 (2024-01-31 UTC): $2.00 중 $0.50 사용 (25%, block)"
    print_preview(Preview((), BudgetCaps()))
    total = capsys.readouterr().out.splitlines()[-1]
    assert total == "예상 합계: $0.00; 한도: 없음 (MDA_BUDGET_RUN_USD 등을 설정하세요)"
