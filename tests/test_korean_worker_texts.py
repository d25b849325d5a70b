"""Texts made on the worker reach a Korean-speaking person in Korean.

The worker and the workflows write English (Temporal history never depends on a
machine's language) and keep the catalogue key and fields beside it: an `MdaError`
raised in an activity carries them in its failure's details, a compaction that did
not happen carries them in its outcome, and a run records its starter's language for
the markdown report. Here the worker speaks English (`MDA_LANG=en`, as conftest pins
it) and the person reads Korean.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from korean_helpers import HANGUL
from my_deepagent.activities.deps import open_deps
from my_deepagent.activities.phase import setup_errors
from my_deepagent.activities.report import ReportActivities
from my_deepagent.catalogue import msg
from my_deepagent.cli.repl import Repl
from my_deepagent.domain.catalog import load_user_catalog
from my_deepagent.errors import MdaError
from my_deepagent.scrub import REDACTED
from my_deepagent.sessions.client import refusal_text, said_text, send
from my_deepagent.sessions.opening import OpenSession
from my_deepagent.settings import get_settings
from my_deepagent.store.database import open_database
from my_deepagent.temporal_converter import data_converter
from my_deepagent.workflows.run_types import ReportInput
from my_deepagent.workflows.session import REFUSED, _refuse, _refuse_as_said
from my_deepagent.workflows.session_types import Said
from run_harness import RunEnv
from session_helpers import message, new_session
from worker_helpers import start_worker

SECRET = "sk-or-v1-" + "a1b2c3d4" * 8  # built, so scanners see no key
ONCE = RetryPolicy(maximum_attempts=1)

# --- the failure converter: a keyed MdaError keeps its key and fields ----------------


@activity.defn
async def forget_note(name: str) -> str:
    raise MdaError.english("chat.memory_no_note", name=name)


@activity.defn
async def forget_note_in_setup(name: str) -> str:
    with setup_errors():
        raise MdaError.english("chat.memory_no_note", name=name)


@workflow.defn(sandboxed=False)
class ForgetWorkflow:
    """Runs one activity; `how` says what the workflow makes of its failure: `raw`
    fails with it, `said` refuses as the session passes an activity's error on,
    `reason` refuses with it as the reason of another message."""

    @workflow.run
    async def run(self, activity_name: str, how: str, name: str) -> str:
        try:
            result: str = await workflow.execute_activity(
                activity_name,
                name,
                result_type=str,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=ONCE,
            )
        except ActivityError as failure:
            if how == "said":
                raise _refuse_as_said(failure) from None
            if how == "reason":
                raise _refuse("chat.turn_failed", reason="it failed", cause=failure) from None
            raise
        return result


async def _fail(client: Client, activity_name: str, how: str, name: str) -> BaseException | None:
    config = client.config()
    config["data_converter"] = data_converter(encrypted=False)
    mda_client = Client(**config)
    queue = f"keyed-{uuid.uuid4()}"
    async with Worker(
        mda_client,
        task_queue=queue,
        workflows=[ForgetWorkflow],
        activities=[forget_note, forget_note_in_setup],
    ):
        with pytest.raises(WorkflowFailureError) as caught:
            await mda_client.execute_workflow(
                ForgetWorkflow.run,
                args=[activity_name, how, name],
                id=f"keyed-{uuid.uuid4()}",
                task_queue=queue,
                execution_timeout=timedelta(seconds=60),
            )
    return caught.value.cause


@pytest.mark.parametrize("activity_name", ["forget_note", "forget_note_in_setup"])
async def test_a_keyed_error_raised_in_an_activity_arrives_with_its_key_and_fields(
    temporal_client: Client, activity_name: str
) -> None:
    cause = await _fail(temporal_client, activity_name, "raw", f"x {SECRET}")
    assert isinstance(cause, ActivityError)
    error = cause.cause
    assert isinstance(error, ApplicationError)
    assert error.message == f"no memory note 'x {REDACTED}' (see /memory)"
    assert error.details[0] == {"key": "chat.memory_no_note", "fields": {"name": f"x {REDACTED}"}}


async def test_the_workflow_passes_the_key_on_and_the_client_says_it_in_korean(
    temporal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = await _fail(temporal_client, "forget_note", "said", "nothing-here")
    assert isinstance(said, ApplicationError) and said.type == REFUSED
    assert said.message == "no memory note 'nothing-here' (see /memory)"
    as_reason = await _fail(temporal_client, "forget_note", "reason", "nothing-here")
    assert isinstance(as_reason, ApplicationError)
    assert as_reason.message == "the turn failed: it failed"
    monkeypatch.setenv("MDA_LANG", "ko")
    assert refusal_text(said) == "메모 'nothing-here'이(가) 없습니다 (/memory 참고)"
    assert (
        refusal_text(as_reason)
        == "턴이 실패했습니다: 메모 'nothing-here'이(가) 없습니다 (/memory 참고)"
    )


def test_a_message_said_by_an_unknown_key_falls_back_to_its_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MDA_LANG", "ko")
    inner = Said(key="chat.no_such_key", fields={})
    failed = Said(
        key="chat.compaction_failed",
        fields={"reason": "the summariser broke"},
        said_fields={"reason": inner},
    )
    assert said_text(failed, "as said") == "압축에 실패했습니다: the summariser broke"
    assert said_text(None, "as said") == "as said"
    assert MdaError("plain words").key is None


# --- a real session: /forget and /compact ----------------------------------------------


async def test_forget_and_compact_in_a_real_session_speak_korean(
    run_env: RunEnv, temporal_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_worker(run_env, temporal_client, MDA_LANG="en")
    monkeypatch.setenv("MDA_LANG", "ko")
    async with open_database(get_settings()) as db:
        record, handle = await new_session(run_env, temporal_client, db)
        await send(handle, db, message("hello", "first"))
        opened = OpenSession(
            client=temporal_client, db=db, catalog=load_user_catalog(), record=record,
            handle=handle, created=True,
        )  # fmt: skip
        out = io.StringIO()
        repl = Repl(opened, out, live=False)
        for line in ("/forget nothing-here", "/forget MEMORY.md", "/compact"):
            assert await repl.handle_line(line)
    said = out.getvalue().splitlines()
    assert said[0] == msg(
        "chat.repl_error", message="메모 'nothing-here'이(가) 없습니다 (/memory 참고)"
    )
    assert said[1] == msg(
        "chat.repl_error", message=msg("chat.memory_index_kept", index="MEMORY.md")
    )
    assert "색인이라 잊을 수 없습니다" in said[1]
    reason = msg("chat.compaction_session_has", count=2, keep=10, least=4)
    assert said[2] == f"압축하지 않았습니다: {reason}"
    assert said[2].startswith("압축하지 않았습니다: 세션에 메시지가 2개뿐입니다.")
    assert all(HANGUL.search(line) for line in said)


# --- a run's report in its starter's language ------------------------------------------


def test_a_run_started_in_korean_reports_in_korean_with_the_same_json(run_env: RunEnv) -> None:
    run_env.start_worker(MDA_LANG="en")
    run_env.env["MDA_LANG"] = "ko"
    started = run_env.mda(
        "start", "spec-and-review@1", "--repo", str(run_env.repo), "-r",
        "Add a due date to todo items.", "--offline", "--json", "--yes",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]
    shown = run_env.mda("report", run_id)
    assert shown.returncode == 0, shown.stderr
    markdown = shown.stdout
    assert markdown.startswith(f"# 실행 {run_id}\n\n- 템플릿: spec-and-review@1\n")
    for line in (
        "## 단계",
        "### spec (1회차)",
        "- 상태: **completed**",
        "- 에이전트 셸: 샌드박스 안",
    ):
        assert line in markdown.splitlines(), line
    assert "| 단계 | 회차 | 상태 | 페르소나 | 모델 |" in markdown
    assert "| spec | 1 | completed | " in markdown  # values stay as programs know them
    assert "- 검증: 유효함" in markdown and "- cost:" not in markdown

    json_path = get_settings().paths.reports_dir / f"{run_id}.json"
    korean_json = json_path.read_bytes()
    english_markdown = _report_again(run_id, json_path)
    assert json_path.read_bytes() == korean_json  # the document is the same in English
    assert english_markdown.startswith(f"# Run {run_id}\n\n- template: spec-and-review@1\n")
    assert "### spec (round 1)" in english_markdown and "- validation: valid" in english_markdown
    assert len(english_markdown.splitlines()) == len(markdown.splitlines())
    fetched = run_env.mda("report", run_id, "--format", "json")
    assert json.loads(fetched.stdout) == json.loads(korean_json)


def _report_again(run_id: str, json_path: Path) -> str:
    """The run's report written again, in English; its markdown."""
    import asyncio

    async def write() -> str:
        async with open_deps(get_settings()) as deps:
            paths = await ActivityEnvironment().run(
                ReportActivities(deps).write_report, ReportInput(run_id=run_id, language="en")
            )
        assert Path(paths.json_path) == json_path
        return paths.markdown_path

    return Path(asyncio.run(write())).read_text(encoding="utf-8")
