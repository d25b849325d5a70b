"""Project memory on disk: keys, notes, the index, and writers racing on real files."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from my_deepagent.errors import MdaError
from my_deepagent.sessions.memory import (
    INDEX_NAME,
    INDEX_TEXT,
    MAX_SLUG_CHARS,
    MAX_TITLE_CHARS,
    MemoryEntry,
    ensure_memory,
    forget,
    list_entries,
    memory_dir,
    memory_files,
    project_key,
    remember,
    slugify,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "data" / "projects" / "0123456789abcdef" / "memory"


def index_text(folder: Path) -> str:
    return (folder / INDEX_NAME).read_text(encoding="utf-8")


def pointers(folder: Path) -> list[str]:
    return [line for line in index_text(folder).splitlines() if line.startswith("- [")]


def test_the_key_is_the_real_paths_digest_so_a_symlink_shares_memory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    link = tmp_path / "link"
    link.symlink_to(repo)
    key = project_key(repo)
    assert len(key) == 16 and int(key, 16) >= 0
    assert project_key(link) == key
    assert project_key(str(repo) + "/") == key
    assert project_key(tmp_path / "elsewhere") != key
    with pytest.raises(ValueError, match="empty"):
        project_key("")


def test_the_memory_dir_is_under_the_data_dir_and_takes_only_keys(tmp_path: Path) -> None:
    key = project_key(tmp_path)
    assert memory_dir(tmp_path / "data", key) == tmp_path / "data" / "projects" / key / "memory"
    for bad in ("", "../../etc", key.upper(), key + "0", "0123456789abcdeg"):
        with pytest.raises(ValueError, match="project key"):
            memory_dir(tmp_path, bad)


def test_bootstrap_creates_the_index_once(folder: Path) -> None:
    index = ensure_memory(folder)
    assert index == folder / INDEX_NAME
    assert index.read_text(encoding="utf-8") == INDEX_TEXT
    assert INDEX_TEXT.startswith("# Project memory\n")
    remember(folder, "Use make check before pushing")
    before = index_text(folder)
    assert ensure_memory(folder) == index
    assert index_text(folder) == before
    assert [path.name for path in memory_files(folder)] == [
        INDEX_NAME,
        "use-make-check-before-pushing.md",
    ]


def test_remember_writes_a_note_and_forget_removes_it_and_its_pointer(folder: Path) -> None:
    entry = remember(folder, "The API lives in src/api.\nIts tests are in tests/api.")
    assert entry == MemoryEntry(
        slug="the-api-lives-in-src-api",
        file_name="the-api-lives-in-src-api.md",
        title="The API lives in src/api.",
        chars=len("The API lives in src/api.\nIts tests are in tests/api.\n"),
    )
    note = folder / entry.file_name
    assert note.read_text(encoding="utf-8").endswith("Its tests are in tests/api.\n")
    assert pointers(folder) == ["- [The API lives in src/api.](the-api-lives-in-src-api.md)"]
    assert list_entries(folder) == [entry]

    assert forget(folder, entry.slug) == entry
    assert not note.exists()
    assert pointers(folder) == []
    assert index_text(folder) == INDEX_TEXT
    assert list_entries(folder) == []


def test_forget_takes_the_file_name_too_and_prunes_only_its_own_line(folder: Path) -> None:
    remember(folder, "Deploys go through [staging] first")
    remember(folder, "Deploys go through [staging] first")
    assert len(pointers(folder)) == 2
    forget(folder, "deploys-go-through-staging-first.md")
    assert pointers(folder) == [
        r"- [Deploys go through \[staging\] first](deploys-go-through-staging-first-2.md)"
    ]


def test_collisions_get_numbered_suffixes(folder: Path) -> None:
    slugs = [remember(folder, "Run the linter").slug for _ in range(3)]
    assert slugs == ["run-the-linter", "run-the-linter-2", "run-the-linter-3"]
    forget(folder, "run-the-linter-2")
    assert remember(folder, "run the linter!").slug == "run-the-linter-2"
    assert remember(folder, "anything", name="Run the linter").slug == "run-the-linter-4"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("빌드는 make로 한다", "빌드는-make로-한다"),
        ("Café crème: déjà vu", "café-crème-déjà-vu"),
        ("Cafe\u0301 decomposed", "café-decomposed"),
        ("Ünïcödé ÆØÅ straße", "ünïcödé-æøå-straße"),
        ("日本語のメモ", "日本語のメモ"),
    ],
)
def test_slugs_keep_unicode_letters(folder: Path, text: str, slug: str) -> None:
    entry = remember(folder, text)
    assert entry.slug == slug
    assert (folder / f"{slug}.md").read_text(encoding="utf-8") == text + "\n"
    assert pointers(folder) == [f"- [{text}]({slug}.md)"]
    assert forget(folder, slug).slug == slug
    assert list_entries(folder) == []


@pytest.mark.parametrize("text", ["!!! ???", "🎉🎉", "---", "\n\n  ..."])
def test_a_text_without_letters_or_digits_gets_the_fallback_slug(folder: Path, text: str) -> None:
    assert remember(folder, text).slug == "note"
    assert remember(folder, text).slug == "note-2"


def test_long_texts_give_short_slugs_and_titles(folder: Path) -> None:
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima"
    entry = remember(folder, words + "\nsecond line")
    assert entry.slug == "alpha-bravo-charlie-delta-echo-foxtrot"
    assert len(entry.slug) <= MAX_SLUG_CHARS
    assert len(entry.title) <= MAX_TITLE_CHARS and entry.title.endswith("…")
    assert entry.title.startswith("alpha bravo charlie")
    assert slugify("x" * 100) == "x" * MAX_SLUG_CHARS


def test_the_index_can_be_neither_forgotten_nor_overwritten(folder: Path) -> None:
    ensure_memory(folder)
    for name in ("MEMORY.md", "MEMORY", "memory", "Memory.md"):
        with pytest.raises(MdaError, match=r"MEMORY.md is the index and cannot be forgotten"):
            forget(folder, name)
    entry = remember(folder, "Memory")
    assert entry.slug == "memory-2"
    assert remember(folder, "something else", name="MEMORY").slug == "memory-3"
    assert index_text(folder).startswith(INDEX_TEXT)
    assert pointers(folder) == ["- [Memory](memory-2.md)", "- [something else](memory-3.md)"]
    assert (folder / INDEX_NAME).is_file()


def test_forget_refuses_unknown_notes_and_paths(folder: Path) -> None:
    remember(folder, "keep me")
    with pytest.raises(MdaError) as unknown:
        forget(folder, "x")
    assert str(unknown.value) == "no memory note 'x' (see /memory)"
    for bad in ("../keep-me", "a/b", "..", ".memory.lock", "sub\\keep-me"):
        with pytest.raises(MdaError, match="not a memory note name"):
            forget(folder, bad)
    with pytest.raises(MdaError, match="nothing to forget"):
        forget(folder, "  ")
    assert [entry.slug for entry in list_entries(folder)] == ["keep-me"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_remember_refuses_empty_text(folder: Path, text: str) -> None:
    with pytest.raises(MdaError) as refused:
        remember(folder, text)
    assert str(refused.value) == "nothing to remember: /remember <text>"
    assert not folder.exists()


def test_files_come_index_first_then_by_name_and_skip_everything_else(folder: Path) -> None:
    for text in ("zulu", "alpha", "Mike"):
        remember(folder, text)
    (folder / "notes.txt").write_text("not markdown\n")
    (folder / ".hidden.md").write_text("hidden\n")
    (folder / "dir.md").mkdir()
    assert [path.name for path in memory_files(folder)] == [
        INDEX_NAME,
        "alpha.md",
        "mike.md",
        "zulu.md",
    ]
    assert [entry.slug for entry in list_entries(folder)] == ["alpha", "mike", "zulu"]


def test_a_missing_folder_is_empty_and_stays_missing(folder: Path) -> None:
    assert memory_files(folder) == []
    assert list_entries(folder) == []
    with pytest.raises(MdaError, match="no memory note 'x'"):
        forget(folder, "x")
    assert not folder.exists()


def test_two_repositories_keep_separate_memories(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir()
    second.mkdir()
    first_dir = memory_dir(data, project_key(first))
    second_dir = memory_dir(data, project_key(second))
    assert first_dir != second_dir
    remember(first_dir, "Only the first repository uses poetry")
    ensure_memory(second_dir)
    assert [entry.slug for entry in list_entries(first_dir)] == [
        "only-the-first-repository-uses-poetry"
    ]
    assert list_entries(second_dir) == []
    assert "poetry" not in index_text(second_dir)
    with pytest.raises(MdaError, match="no memory note"):
        forget(second_dir, "only-the-first-repository-uses-poetry")


def test_threads_remembering_at_once_all_land(folder: Path) -> None:
    writers = 8
    barrier = threading.Barrier(writers)
    entries: list[MemoryEntry] = []
    errors: list[BaseException] = []

    def write() -> None:
        barrier.wait()
        try:
            entries.append(remember(folder, "Same first line from every session"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    slugs = sorted(entry.slug for entry in entries)
    base = "same-first-line-from-every-session"
    assert slugs == sorted([base] + [f"{base}-{n}" for n in range(2, writers + 1)])
    targets = sorted(line.split("(")[-1].rstrip(")") for line in pointers(folder))
    assert targets == sorted(f"{slug}.md" for slug in slugs)


def test_processes_remembering_at_once_all_land(folder: Path) -> None:
    notes_each = 15
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from my_deepagent.sessions.memory import remember\n"
        "for n in range(int(sys.argv[3])):\n"
        "    remember(Path(sys.argv[1]), f'session {sys.argv[2]} note {n}')\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(folder), name, str(notes_each)])
        for name in ("a", "b", "c")
    ]
    assert [process.wait() for process in processes] == [0, 0, 0]
    expected = {f"session-{name}-note-{n}" for name in "abc" for n in range(notes_each)}
    assert {entry.slug for entry in list_entries(folder)} == expected
    assert len(pointers(folder)) == len(expected)
    assert index_text(folder).startswith(INDEX_TEXT)
