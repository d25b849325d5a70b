"""What a Korean-speaking person sees when mda refuses an asset or a repository.

Each case runs the CLI in-process with MDA_LANG=ko and bad input: the command fails
with one line, `mda: 오류: ` and the catalogue's Korean text. Budget and sandbox
messages, which workflows and the agent read in English, stay English there and are
Korean only where the person reads them.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain_helpers import persona_data, template_data, user_paths, write_yaml
from korean_helpers import error_line
from my_deepagent.catalogue import msg
from my_deepagent.cli.main import main
from my_deepagent.domain.budget import BudgetError, BudgetGate, parse_usd
from my_deepagent.sandbox import launcher


def korean_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The message of the one Korean error line `mda argv...` ends with."""
    return error_line(main(list(argv)), capsys)


def start(repo: Path, *extra: str, template: str = "spec-and-review") -> list[str]:
    return ["start", template, "--repo", str(repo), "-r", "할 일", "--offline", *extra]


def test_start_names_an_unknown_template_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *start(repo, template="no-such"))
    assert message == "템플릿 'no-such'이(가) 없습니다 (`mda templates list`를 실행하세요)"


def test_start_explains_a_malformed_reference_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *start(repo, template="Not A Ref"))
    assert message == msg("assets.bad_ref", kind="템플릿", text="'Not A Ref'")
    assert message.startswith("잘못된 템플릿 참조 'Not A Ref'입니다 (ID 또는 ID@VERSION으로")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("oops", "--persona 'oops' 값이 잘못되었습니다 (ROLE=PERSONA 형식으로 쓰세요"),
        ("nobody=scripted-chat", "템플릿 spec-and-review@1에는 역할 'nobody'이(가) 없습니다"),
        (
            "spec_writer=openrouter-deepseek-spec-writer",
            "오프라인 모드에서는 scripted 페르소나만 쓸 수 있습니다",
        ),
    ],
)
def test_start_refuses_a_bad_persona_binding_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str], persona: str, expected: str
) -> None:
    message = korean_error(capsys, *start(repo, "--persona", persona))
    assert expected in message


def test_start_refuses_a_folder_that_is_not_a_repository_in_korean(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert korean_error(capsys, *start(plain)) == msg("workspace.not_a_repository", path=plain)
    missing = tmp_path / "missing"
    assert korean_error(capsys, *start(missing)) == (
        f"{missing}이(가) 없습니다 (--repo로 있는 저장소를 지정하세요)"
    )


def test_start_lists_the_branches_when_the_base_is_unknown_in_korean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, *start(repo, "--base", "nope"))
    assert message == (
        f"{repo}에서 브랜치 'nope'을(를) 찾을 수 없습니다 "
        "(있는 브랜치: main. --base <branch>를 지정하세요)"
    )


def test_personas_show_names_an_unknown_persona_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "personas", "show", "no-such")
    assert message == "페르소나 'no-such'이(가) 없습니다 (`mda personas list`를 실행하세요)"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (persona_data(modle="openai:x"), "`modle` 필드: 알 수 없는 키입니다 (지우거나 철자를"),
        (
            persona_data(model="nonsense"),
            "`model` 필드: 'nonsense': provider:model 형식이 아닙니다",
        ),
        (persona_data(id="Bad"), "`id` 필드: 'Bad': 올바른 id가 아닙니다"),
        ("id: a\nid: b\n", "2번째 줄: 올바르지 않은 YAML입니다: 키 'id'이(가) 중복됩니다"),
        ("", "최상위에 필드의 매핑이 와야 하는데 빈 파일입니다"),
    ],
)
def test_a_broken_persona_file_is_one_korean_line_naming_file_and_field(
    korean: Path,
    capsys: pytest.CaptureFixture[str],
    content: dict[str, object] | str,
    expected: str,
) -> None:
    path = write_yaml(user_paths().user_personas_dir, "p.yaml", content)
    message = korean_error(capsys, "personas", "list")
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_a_template_naming_a_missing_schema_is_refused_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    phase = {
        "key": "spec",
        "role": "writer",
        "artifact": {"path": ".mda/artifacts/spec.json", "schema": "nope@1"},
        "prompt": "Write it.",
    }
    broken = template_data(
        roles=[{"name": "writer", "capabilities": ["spec_write"]}], phases=[phase]
    )
    path = write_yaml(user_paths().user_templates_dir, "t.yaml", broken)
    message = korean_error(capsys, "templates", "list")
    assert message.startswith(f"{path}: `phases[0].artifact.schema` 필드: 스키마 'nope@1'이(가)")
    assert "<config>/schemas/nope@1.json을 추가하세요" in message


def test_a_budget_gate_reads_in_korean_for_the_person_and_english_for_the_record(
    korean: Path,
) -> None:
    gate = BudgetGate(scope="run", cap_usd="1", spent_usd="0.9", needed_usd="0.2", policy="prompt")
    assert gate.describe(shown=True) == (
        "실행 예산 $1.00에 도달했습니다: $0.90을(를) 썼고, 다음 모델 호출에 최대 $0.20이(가) "
        "들 수 있습니다"
    )
    assert gate.describe() == (
        "the run's budget of $1.00 is reached: $0.90 spent, and the next model call may "
        "cost up to $0.20"
    )


def test_a_bad_budget_amount_is_english_for_workflows_and_korean_when_shown(
    korean: Path,
) -> None:
    with pytest.raises(BudgetError) as caught:
        parse_usd("abc", what="--budget-usd")
    assert str(caught.value) == (
        "--budget-usd must be an amount in US dollars such as 2 or 0.50, not 'abc'"
    )
    assert caught.value.shown == (
        "--budget-usd은(는) 2나 0.50 같은 미국 달러 금액이어야 합니다 ('abc'은(는) 쓸 수 없습니다)"
    )


@pytest.fixture
def no_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not sys.platform.startswith("linux"):
        pytest.skip("the bubblewrap sandbox is Linux's")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    launcher._detected.cache_clear()
    yield
    launcher._detected.cache_clear()


def test_a_missing_sandbox_is_english_for_the_agent_and_korean_for_the_person(
    korean: Path, no_bubblewrap: None
) -> None:
    choice = launcher.choose_sandbox("auto")
    assert choice.kind is None
    assert choice.problem is not None
    assert choice.problem.startswith("bubblewrap is not installed (install it: apt install")
    assert choice.shown_problem == (
        "bubblewrap이 설치되어 있지 않습니다 (설치하세요: apt install bubblewrap. "
        "또는 에이전트의 셸을 격리 없이 실행해도 된다면 MDA_SANDBOX=off를 설정하세요)"
    )
