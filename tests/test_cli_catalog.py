"""`mda templates` and `mda personas`: listings, details, JSON, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain_helpers import persona_data, user_paths, write_yaml
from my_deepagent.cli.main import main
from my_deepagent.domain import load_catalog


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_templates_list_json(mda_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "templates", "list", "--json")
    assert (code, err) == (0, "")
    listed = {t["ref"]: t for t in json.loads(out)}
    assert set(listed) == {"spec-and-review@1", "bugfix@1"}
    spec = listed["spec-and-review@1"]
    assert spec["hash"] == load_catalog(None).template("spec-and-review@1").hash
    assert spec["source"]["origin"] == "shipped"
    assert [p["key"] for p in spec["phases"]] == ["spec", "review", "verify"]
    assert spec["phases"][0]["artifact"] == {"path": ".mda/artifacts/spec.json", "schema": "spec@1"}
    assert spec["phases"][0]["approval"]["required"] is True


def test_templates_list_table(mda_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "templates", "list")
    assert code == 0
    assert "spec-and-review@1" in out
    assert "reproduce -> fix -> verify" in out


def test_templates_show(mda_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "templates", "show", "spec-and-review")
    assert code == 0
    assert out.startswith("spec-and-review@1  (shipped: ")
    assert "1. spec: Write the specification (role spec_writer)" in out
    assert "artifact: .mda/artifacts/review.json (schema review@1)" in out
    assert "approval: required" in out
    code, out, _ = _run(capsys, "templates", "show", "bugfix@1", "--json")
    assert json.loads(out)["ref"] == "bugfix@1"


def test_personas_list_and_show(mda_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "personas", "list", "--json")
    assert code == 0
    personas = json.loads(out)
    assert len(personas) >= 12
    assert {p["provider"] for p in personas} >= {"openrouter", "scripted", "openai-compatible"}
    code, out, _ = _run(capsys, "personas", "show", "scripted-reviewer@1")
    assert code == 0
    assert "model: scripted:reviewer (provider scripted)" in out
    assert "capabilities: code_review, evidence_check" in out
    assert "hash: " in out
    code, out, _ = _run(capsys, "personas", "show", "scripted-reviewer", "--json")
    shown = json.loads(out)
    assert shown["limits"]["max_tokens"] == 4096
    assert shown["hash"] == load_catalog(None).persona("scripted-reviewer").hash


def test_a_user_persona_shows_as_user(mda_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_yaml(user_paths().user_personas_dir, "mine.yaml", persona_data())
    code, out, _ = _run(capsys, "personas", "show", "my-reviewer", "--json")
    assert code == 0
    assert json.loads(out)["source"]["origin"] == "user"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["templates", "show", "nope"],
            "mda: error: no template 'nope' (run `mda templates list`)",
        ),
        (
            ["personas", "show", "nope@2"],
            "mda: error: no persona 'nope@2' (run `mda personas list`)",
        ),
        (["personas", "show", "Not A Ref"], "mda: error: bad persona reference 'Not A Ref'"),
        (["templates", "list", "--bogus"], "mda: error: No such option: --bogus"),
        (["templates", "show"], "mda: error: Missing argument 'ID[@VERSION]'"),
    ],
)
def test_bad_usage_is_exit_2_and_one_line(
    mda_home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(expected)


def test_a_broken_user_file_is_exit_2_naming_it(
    mda_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml(user_paths().user_personas_dir, "broken.yaml", persona_data(capabilities=[]))
    code, out, err = _run(capsys, "personas", "list")
    assert (code, out) == (2, "")
    assert err == (
        f"mda: error: {path}: field `capabilities`: needs at least 1 entry, got [] (add one)\n"
    )


def test_the_installed_command_lists_templates(mda_home: Path) -> None:
    """The console script, a fresh process: assets are found in the installed package."""
    mda = Path(sys.executable).parent / "mda"
    done = subprocess.run(
        [str(mda), "templates", "list", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [t["ref"] for t in json.loads(done.stdout)] == ["bugfix@1", "spec-and-review@1"]
    bad = subprocess.run(
        [str(mda), "personas", "show", "nope"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stderr == "mda: error: no persona 'nope' (run `mda personas list`)\n"
    assert "Traceback" not in bad.stderr
