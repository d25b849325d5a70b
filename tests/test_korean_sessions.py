"""What a Korean-speaking person sees from `mda chat`, `mda sessions` and the REPL.

Each command runs in-process with MDA_LANG=ko and bad input: it fails with one line,
`mda: 오류: ` and the catalogue's Korean text. A session's refusals are English in the
workflow (its history never depends on the machine's language) and Korean where the
client shows them; the REPL's lines, `/help` and the progress line read in Korean too.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import cast

import pytest
from temporalio.exceptions import ApplicationError

from korean_helpers import HANGUL, error_line
from my_deepagent.catalogue import msg
from my_deepagent.cli.main import main
from my_deepagent.cli.repl import Repl
from my_deepagent.cli.slash import help_text
from my_deepagent.sessions.client import refusal_text
from my_deepagent.sessions.memory import project_key
from my_deepagent.sessions.opening import OpenSession
from my_deepagent.sessions.progress import TurnProgress, progress_line
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.store.sessions import create_session, end_session, new_session_id
from my_deepagent.workflows.session import REFUSED, _refuse


@pytest.fixture
def ended(repo: Path) -> str:
    """The id of a session of `repo` that has ended (its workflow is not needed)."""

    async def make() -> str:
        async with open_database(get_settings()) as db:
            record = await create_session(
                db,
                session_id=new_session_id(),
                repo_path=str(repo),
                project_key=project_key(repo),
                persona_ref="scripted-chat@1",
                model="scripted:chat",
            )
            await end_session(db, record.id)
            return record.id

    return asyncio.run(make())


def korean_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The message of the one Korean error line `mda argv...` ends with."""
    return error_line(main(list(argv)), capsys)


def chat(repo: Path, *args: str) -> list[str]:
    return ["chat", "--repo", str(repo), "--offline", *args]


def test_chat_refuses_flags_that_do_not_go_together_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "chat", "--session", "abcdef0", "--compact-at", "0.5")
    assert (
        message
        == "--compact-at은 새 세션에만 적용됩니다: --compact-at이나 --session 중 하나를 빼세요"
    )
    message = korean_error(capsys, "chat", "--json")
    assert message == msg("chat.json_needs_message")
    assert "REPL은 사람이 읽는 출력만 냅니다" in message


def test_chat_refuses_an_empty_message_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *chat(repo, "-m", "   "))
    assert message == "메시지가 비어 있습니다: 보낼 내용을 입력하세요"


def test_chat_refuses_file_references_it_cannot_send_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo.parent / "secret.txt").write_text("the key\n")
    outside = korean_error(capsys, *chat(repo, "-m", "look at @../secret.txt"))
    assert outside == msg("chat.reference_outside", path="../secret.txt", root=repo)
    assert "저장소 밖에 있습니다" in outside
    missing = korean_error(capsys, *chat(repo, "-m", "read @nope.py"))
    assert missing.startswith("@nope.py: 저장소에 그런 파일이 없습니다 (경로를 확인하세요.")
    directory = korean_error(capsys, *chat(repo, "-m", "read @tests/"))
    assert (
        directory == "@tests/은(는) 디렉터리입니다 (그 안의 파일을 참조하세요. 예: @tests/<file>)"
    )


def test_chat_offline_refuses_a_model_that_is_not_scripted_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *chat(repo, "--model", "openai:gpt-4o", "-m", "hi"))
    assert message == msg("chat.offline_needs_scripted", spec="openai:gpt-4o")
    assert "scripted 모델이 필요합니다" in message


def test_chat_refuses_to_continue_an_ended_session_in_korean(
    repo: Path, ended: str, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *chat(repo, "--session", ended, "-m", "more"))
    assert message == f"세션 {ended}은(는) 끝났습니다: `mda chat`으로 새 세션을 시작하세요"


@pytest.mark.parametrize("command", ["show", "end", "restore", "resume"])
def test_sessions_commands_refuse_an_unknown_or_short_id_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    short = korean_error(capsys, "sessions", command, "abc")
    assert short == (
        "세션 ID 'abc'이(가) 너무 짧습니다: 세션 ID를 6자 이상 쓰세요 (mda sessions list 참고)"
    )
    unknown = korean_error(capsys, "sessions", command, "abcdef0")
    assert unknown == "'abcdef0'와(과) 일치하는 세션이 없습니다 (mda sessions list 참고)"


def test_sessions_restore_names_a_turn_without_a_record_in_korean(
    repo: Path, ended: str, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "sessions", "restore", ended[:8], "--turn", "3")
    assert message == msg("chat.restore_no_turn_yet", session=ended[:8], turn=3)
    assert message.startswith(f"세션 {ended[:8]}에는 턴 3 이전의 작업 트리 기록이 없습니다")


def test_sessions_end_and_show_speak_korean(
    repo: Path, ended: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "end", ended]) == 0
    assert capsys.readouterr().out == f"세션 {ended}은(는) 이미 끝난 세션입니다.\n"
    assert main(["sessions", "show", ended]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        f"세션 {ended} (ended)",
        "  제목: (아직 없음)",
        "  에이전트: scripted-chat@1 (scripted:chat)",
        f"  저장소: {repo}",
    ]
    assert "  턴: 0회 · 컨텍스트 0 토큰 · 사용량 입력 0 / 출력 0" in lines


def test_a_session_refusal_is_english_in_the_workflow_and_korean_when_shown(
    korean: Path,
) -> None:
    refusal = _refuse("chat.turn_failed", reason="the provider said no")
    assert refusal.message == "the turn failed: the provider said no"
    assert refusal.type == REFUSED and refusal.non_retryable
    assert refusal_text(refusal) == "턴이 실패했습니다: the provider said no"
    ended = _refuse("chat.session_ended", session="abc123")
    assert (
        refusal_text(ended) == "세션 abc123은(는) 끝났습니다: `mda chat`으로 새 세션을 시작하세요"
    )


def test_a_refusal_without_a_known_key_is_shown_as_the_session_said_it(korean: Path) -> None:
    said = ApplicationError("no memory note 'x' (see /memory)", type=REFUSED)
    assert refusal_text(said) == "no memory note 'x' (see /memory)"
    unknown = ApplicationError("as said", {"key": "chat.no_such_key", "fields": {}})
    assert refusal_text(unknown) == "as said"
    wrong_fields = ApplicationError("as said", {"key": "chat.turn_failed", "fields": {}})
    assert refusal_text(wrong_fields) == "as said"


async def test_the_repl_says_a_mistyped_command_in_korean(korean: Path) -> None:
    out = io.StringIO()
    repl = Repl(cast(OpenSession, None), out, live=False)
    assert await repl.handle_line("/bogus")
    assert await repl.handle_line("/clear now")
    assert out.getvalue().splitlines() == [
        "오류: 알 수 없는 명령 /bogus입니다 "
        "(/help 참고. 메시지로 보내려면 줄을 공백으로 시작하세요)",
        "오류: /clear은(는) 인자를 받지 않습니다 (입력: 'now')",
    ]


def test_help_and_the_progress_line_read_in_korean(korean: Path) -> None:
    lines = help_text().splitlines()
    assert any(
        line.startswith("/help") and line.endswith("이 명령 목록을 보여 줍니다") for line in lines
    )
    assert any(
        line.startswith("@path") and "저장소의 파일을 메시지와 함께" in line for line in lines
    )
    assert all(HANGUL.search(line) for line in lines)
    progress = TurnProgress(model_calls=2, input_tokens=1234, output_tokens=56, tool_calls=1)
    assert progress_line(progress, 65.0) == (
        "⠋ 1분 05초 · 모델 호출 2회 · 도구 호출 1회 · 생각하는 중 · 입력 1,234 / 출력 56 토큰"
    )
