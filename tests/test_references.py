"""`@path` references: real files in a temporary repository, real symlinks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from my_deepagent.errors import MdaError
from my_deepagent.sessions.references import expand_references, find_references


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "src" / "pkg" / "deep.py").write_text("x = 1")
    (root / "README.md").write_text("# readme\n")
    (tmp_path / "secret.txt").write_text("the key\n")
    return root


def test_a_file_inside_is_appended_with_its_path(repo: Path) -> None:
    expanded = expand_references("why does @src/app.py fail?", repo)
    assert expanded.files == ("src/app.py",)
    assert expanded.text == (
        "why does @src/app.py fail?\n\n--- @src/app.py ---\n```\nprint('hi')\n```"
    )


def test_nested_path_at_the_start_gets_a_closing_newline(repo: Path) -> None:
    expanded = expand_references("@src/pkg/deep.py explain", repo)
    assert expanded.files == ("src/pkg/deep.py",)
    assert expanded.text.endswith("--- @src/pkg/deep.py ---\n```\nx = 1\n```")


@pytest.mark.parametrize("ending", [".", ",", ":", ";", ")", "?", "..."])
def test_trailing_punctuation_is_not_part_of_the_path(repo: Path, ending: str) -> None:
    expanded = expand_references(f"(see @README.md{ending} now", repo)
    assert expanded.files == ("README.md",)


def test_emails_and_escaped_at_signs_are_not_references(repo: Path) -> None:
    text = "mail a@b.com or \\@README.md, x@src/app.py"
    assert find_references(text) == []
    assert expand_references(text, repo).text == text


def test_several_references_keep_their_order(repo: Path) -> None:
    expanded = expand_references("@README.md then\n@src/app.py", repo)
    assert expanded.files == ("README.md", "src/app.py")
    assert expanded.text.index("--- @README.md") < expanded.text.index("--- @src/app.py")


def test_a_message_without_references_is_unchanged(repo: Path) -> None:
    assert expand_references("just @ and @@ here", repo).text == "just @ and @@ here"


def test_dot_dot_escape_is_refused(repo: Path) -> None:
    with pytest.raises(MdaError) as caught:
        expand_references("read @../secret.txt", repo)
    assert caught.value.message == (
        f"@../secret.txt is outside the repository (only files under {repo.resolve()} "
        "can be referenced)"
    )


def test_dot_dot_that_stays_inside_is_allowed(repo: Path) -> None:
    expanded = expand_references("@src/pkg/../app.py", repo)
    assert expanded.files == ("src/app.py",)


def test_absolute_path_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(MdaError, match="is outside the repository"):
        expand_references(f"@{tmp_path / 'secret.txt'}", repo)


def test_absolute_path_inside_is_allowed(repo: Path) -> None:
    expanded = expand_references(f"@{repo / 'src' / 'app.py'}", repo)
    assert expanded.files == ("src/app.py",)
    assert "--- @src/app.py ---" in expanded.text


def test_symlink_to_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "innocent.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(MdaError) as caught:
        expand_references("@innocent.txt", repo)
    assert "outside the repository" in caught.value.message
    assert "symlink" in caught.value.message


def test_symlinked_folder_to_outside_is_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "vendor").symlink_to(tmp_path)
    with pytest.raises(MdaError, match="symlink"):
        expand_references("@vendor/secret.txt", repo)


def test_symlink_inside_is_followed(repo: Path) -> None:
    (repo / "app_link.py").symlink_to(repo / "src" / "app.py")
    expanded = expand_references("@app_link.py", repo)
    assert expanded.files == ("app_link.py",)
    assert "print('hi')" in expanded.text


def test_root_reached_through_a_symlink_still_works(repo: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(repo)
    assert expand_references("@src/app.py", alias).files == ("src/app.py",)
    assert expand_references(f"@{repo}/src/app.py", alias).files == ("src/app.py",)


def test_missing_file(repo: Path) -> None:
    with pytest.raises(MdaError, match=r"^@nope\.py: no such file in the repository"):
        expand_references("@nope.py", repo)


@pytest.mark.parametrize("name", [".env", "deploy/id_rsa", "alias.txt"])
def test_files_that_may_hold_credentials_are_never_sent(repo: Path, name: str) -> None:
    """The rule the agent's own tools follow (`safety_rules.secret_path`), also for a
    symlink with an innocent name that points at one."""
    (repo / "deploy").mkdir(exist_ok=True)
    (repo / ".env").write_text("API_KEY=secret\n")
    (repo / "deploy" / "id_rsa").write_text("-----BEGIN KEY-----\n")
    (repo / "alias.txt").symlink_to(repo / ".env")
    with pytest.raises(MdaError, match=rf"^@{re.escape(name)} may hold credentials"):
        expand_references(f"look at @{name}", repo)


def test_directory(repo: Path) -> None:
    with pytest.raises(MdaError, match=r"^@src/ is a directory .*@src/<file>"):
        expand_references("@src/", repo)


def test_binary_with_nul_bytes(repo: Path) -> None:
    (repo / "blob.bin").write_bytes(b"abc\0def")
    with pytest.raises(MdaError, match=r"^@blob\.bin is a binary file"):
        expand_references("@blob.bin", repo)


def test_text_that_is_not_utf8(repo: Path) -> None:
    (repo / "latin.txt").write_bytes("café".encode("latin-1"))
    with pytest.raises(MdaError, match="binary"):
        expand_references("@latin.txt", repo)


def test_non_ascii_utf8_is_kept(repo: Path) -> None:
    (repo / "hangul.md").write_text("안녕하세요 🚀\n", encoding="utf-8")
    assert "안녕하세요 🚀" in expand_references("@hangul.md", repo).text


def test_file_over_the_limit(repo: Path) -> None:
    (repo / "big.txt").write_text("a" * 2049)
    with pytest.raises(MdaError, match=r"^@big\.txt is 2,049 bytes, over the 2 KiB limit"):
        expand_references("@big.txt", repo, max_file_bytes=2048)
    assert expand_references("@big.txt", repo, max_file_bytes=2049).files == ("big.txt",)
    (repo / "huge.txt").write_text("a" * 70_000)
    with pytest.raises(MdaError, match=r"^@huge\.txt is 68\.4 KiB, over the 64 KiB limit"):
        expand_references("@huge.txt", repo)


def test_total_over_the_limit(repo: Path) -> None:
    for name in ("one", "two", "three"):
        (repo / f"{name}.txt").write_text("b" * 1000)
    assert len(expand_references("@one.txt @two.txt", repo, max_total_bytes=2000).files) == 2
    with pytest.raises(MdaError, match="total more than 2,000 bytes"):
        expand_references("@one.txt @two.txt @three.txt", repo, max_total_bytes=2000)


def test_same_file_twice_is_included_once(repo: Path) -> None:
    (repo / "link.py").symlink_to(repo / "src" / "app.py")
    expanded = expand_references("@src/app.py and @./src/app.py and @link.py", repo)
    assert expanded.files == ("src/app.py",)
    assert expanded.text.count("print('hi')") == 1


def test_backticks_in_the_file_cannot_close_the_fence(repo: Path) -> None:
    (repo / "notes.md").write_text("```python\ncode\n```\n")
    expanded = expand_references("@notes.md", repo)
    assert expanded.text.endswith("--- @notes.md ---\n````\n```python\ncode\n```\n````")


def test_errors_are_one_line(repo: Path, tmp_path: Path) -> None:
    (repo / "blob.bin").write_bytes(b"\0")
    for text in ("@../secret.txt", "@nope", "@src", "@blob.bin"):
        with pytest.raises(MdaError) as caught:
            expand_references(text, repo)
        assert "\n" not in caught.value.message


def test_a_relative_root_works(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.parent)
    assert expand_references("@src/app.py", Path("repo")).files == ("src/app.py",)
    assert expand_references("@src/app.py", Path("repo/src/..")).files == ("src/app.py",)
    with pytest.raises(MdaError, match="outside the repository"):
        expand_references("@../secret.txt", Path("repo"))


def test_a_link_to_git_config_is_never_sent(repo: Path) -> None:
    """The config holds the remote URL, often with a token in it."""
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text("[remote]\n\turl = https://u:t@host/x\n")
    (repo / "settings.ini").symlink_to(repo / ".git" / "config")
    with pytest.raises(MdaError, match=r"^@settings\.ini may hold credentials"):
        expand_references("read @settings.ini", repo)


def test_a_hard_link_is_never_sent(repo: Path, tmp_path: Path) -> None:
    """Its content may be a file outside the repository."""
    (repo / "notes.txt").hardlink_to(tmp_path / "secret.txt")
    with pytest.raises(MdaError, match=r"^@notes\.txt") as raised:
        expand_references("read @notes.txt", repo)
    assert "the key" not in str(raised.value) and "hard link" in str(raised.value)
