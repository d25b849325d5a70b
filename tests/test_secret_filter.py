"""The model is never shown a key: a real deepagents agent whose file reads, shell
output, tool errors and subagent answers hold planted keys sees `[redacted]`, and may
not write the marker back over the user's real key."""

from __future__ import annotations

from pathlib import Path

import pytest

from my_deepagent.agents.safety_rules import REFUSED_PREFIX
from my_deepagent.scrub import REDACTED
from test_agent_safety import PlannedChatModel, everything_said, run, tool_messages

GITHUB_TOKEN = "ghp_" + "T" * 36  # built from parts, so scanners see no key in the source
OPENAI_KEY = "sk-proj-" + "Q" * 40
KEY_BLOCK = (
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----"
)
PLANTED = (GITHUB_TOKEN, OPENAI_KEY, "b3BlbnNzaC1rZXk=")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "deploy.md").write_text(f"# deploy\ntoken: {GITHUB_TOKEN}\nthen run make\n")
    (root / "ops.txt").write_text(f"OPENAI={OPENAI_KEY}\n{KEY_BLOCK}\n")
    return root


async def test_file_reads_shell_output_and_errors_come_back_scrubbed(repo: Path) -> None:
    model = PlannedChatModel(
        plans={
            "go": [
                ("read_file", {"file_path": "/deploy.md"}),
                ("grep", {"pattern": "OPENAI", "path": "/", "output_mode": "content"}),
                ("execute", {"command": "cat ops.txt"}),
                ("execute", {"command": "cat ops.txt >&2; exit 3"}),
            ]
        }
    )
    result = await run(model, repo, "go")
    said = everything_said(result)
    for planted in PLANTED:
        assert planted not in said
    (read,) = tool_messages(result, "read_file")
    assert "token: " + REDACTED in str(read.content) and "then run make" in str(read.content)
    shell_ok, shell_failed = tool_messages(result, "execute")
    assert f"OPENAI={REDACTED}" in str(shell_ok.content)
    assert "exit code 3" in str(shell_failed.content) and REDACTED in str(shell_failed.content)
    assert (repo / "deploy.md").read_text().count(GITHUB_TOKEN) == 1, "the file is untouched"


async def test_a_subagents_answer_is_scrubbed_for_the_main_agent_too(repo: Path) -> None:
    task = {"description": "read the deploy notes", "subagent_type": "general-purpose"}
    model = PlannedChatModel(
        plans={
            "go": [("task", task)],
            "read the deploy notes": [("read_file", {"file_path": "/deploy.md"})],
        }
    )
    result = await run(model, repo, "go")
    (answer,) = tool_messages(result, "task")
    assert REDACTED in str(answer.content)
    assert GITHUB_TOKEN not in everything_said(result)


async def test_writing_the_marker_over_a_real_key_is_refused(repo: Path) -> None:
    seen = f"# deploy\ntoken: {REDACTED}\nthen run make\n"
    model = PlannedChatModel(
        plans={
            "go": [
                ("write_file", {"file_path": "/deploy.md", "content": seen + "and test\n"}),
                (
                    "edit_file",
                    {
                        "file_path": "/deploy.md",
                        "old_string": "then run make",
                        "new_string": f"then run make with {REDACTED}",
                    },
                ),
                (
                    "edit_file",
                    {
                        "file_path": "/deploy.md",
                        "old_string": "then run make",
                        "new_string": "then run make check",
                    },
                ),
            ]
        }
    )
    result = await run(model, repo, "go")
    (write,) = tool_messages(result, "write_file")
    marker_edit, plain_edit = tool_messages(result, "edit_file")
    for refused in (write, marker_edit):
        assert refused.status == "error"
        assert str(refused.content).startswith(REFUSED_PREFIX)
        assert "stands for a secret mda hid from you" in str(refused.content)
    assert plain_edit.status != "error"
    assert (repo / "deploy.md").read_text() == (
        f"# deploy\ntoken: {GITHUB_TOKEN}\nthen run make check\n"
    ), "the real key is kept; the edit next to it is made"


async def test_an_edit_that_keeps_a_marker_already_in_the_file_is_made(repo: Path) -> None:
    (repo / "notes.md").write_text(f"mda shows {REDACTED} where a key was\n")
    edit = {
        "file_path": "/notes.md",
        "old_string": f"shows {REDACTED} where",
        "new_string": f"shows {REDACTED} in place of a key, where",
    }
    model = PlannedChatModel(plans={"go": [("edit_file", edit)]})
    result = await run(model, repo, "go")
    (made,) = tool_messages(result, "edit_file")
    assert made.status != "error", made.content
    assert (repo / "notes.md").read_text() == (
        f"mda shows {REDACTED} in place of a key, where a key was\n"
    )
