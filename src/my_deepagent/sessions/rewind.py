"""Rewinding a session to before one of its turns: what the CLI (`mda sessions rewind`)
and the REPL (`/rewind`) share, and the plan the worker's activity applies.

The conversation before turn N is worked out again from the `messages` rows alone,
replayed in seq order: a user or assistant row becomes visible when written; a
compaction summary archives what `plan_compaction` chose from the rows visible then
(the plan is a pure function of them); a /clear marker archives everything; a rewind
marker goes back to the rows visible before its turn. The rows visible just before
turn N's user message are the ones the rewind leaves visible: a summary written later
that covers turn N or after is archived, and the rows it had replaced before N come
back. When the replay does not end where the rows are (a session cleared before
/clear left markers) the rewind falls back to the visible rows before N, and keeps the
visible summary only if it covers none of the turns archived.

The files: `git/snapshot.py` (records before and after each turn, the exact restore).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from my_deepagent.catalogue import msg
from my_deepagent.sessions.compaction import CompactionPlan, TranscriptMessage, plan_compaction
from my_deepagent.store.records import MessageRecord

if TYPE_CHECKING:
    from temporalio.client import WorkflowHandle

    from my_deepagent.store.database import Database
    from my_deepagent.workflows.session_types import RewindRequest, RewindResult, SessionStatus

RECENT_TURNS = 10
FIRST_WORDS = 8


@dataclass(frozen=True)
class VisiblePlan:
    seqs: tuple[int, ...]
    exact: bool
    """The replay agreed with the rows as they are (else: the fallback)."""


def user_row(rows: Sequence[MessageRecord], turn: int) -> MessageRecord | None:
    return next((r for r in rows if r.role == "user" and r.turn == turn), None)


def visible_before(rows: Sequence[MessageRecord], turn: int) -> VisiblePlan | None:
    """The seqs to leave visible when rewinding to before `turn` (`rows`: all of the
    session's, any order); None when `turn` has no user message."""
    ordered = sorted(rows, key=lambda r: r.seq)
    start = user_row(ordered, turn)
    if start is None:
        return None
    replayed = _replay(ordered)
    live = {r.seq for r in ordered if not r.archived}
    if replayed is not None and set(replayed[1]) == live and turn in replayed[0]:
        return VisiblePlan(seqs=tuple(replayed[0][turn]), exact=True)
    return VisiblePlan(seqs=_fallback(ordered, start.seq), exact=False)


def rewind_counts(
    rows: Sequence[MessageRecord], turn: int, marker_seq: int, visible: Sequence[int]
) -> tuple[int, int]:
    """What the rewind whose marker is at `marker_seq` did (archived, brought back),
    worked out again from the rows (for a retry, which finds it done): the rows visible
    just before its marker against `visible`. When the replay does not follow the rows,
    the archived rows of turn `turn` on before the marker stand for what it archived."""
    ordered = sorted((r for r in rows if r.seq < marker_seq), key=lambda r: r.seq)
    wanted = set(visible)
    replayed = _replay(ordered)
    if replayed is not None:
        before = set(replayed[1])
        return len(before - wanted), len(wanted - before)
    return sum(
        1
        for r in ordered
        if r.archived and r.role != "system" and (r.turn or 0) >= turn and r.seq not in wanted
    ), 0


def _replay(
    ordered: Sequence[MessageRecord],
) -> tuple[dict[int, list[int]], list[int]] | None:
    """The visible seqs before each turn's user message, and at the end."""
    by_seq = {r.seq: r for r in ordered}
    visible: list[int] = []
    before: dict[int, list[int]] = {}
    for row in ordered:
        if row.is_summary:
            plan = plan_compaction([_transcript(by_seq[seq]) for seq in _display(by_seq, visible)])
            archived = set(plan.archive_seqs) if isinstance(plan, CompactionPlan) else set()
            visible = [row.seq, *(seq for seq in visible if seq not in archived)]
        elif row.role == "system":  # a marker
            if row.turn is None:
                visible = []
            elif row.turn in before:
                visible = list(before[row.turn])
            else:
                return None
        else:
            if row.role == "user" and row.turn is not None and row.turn not in before:
                before[row.turn] = list(visible)
            visible.append(row.seq)
    return before, visible


def _display(by_seq: dict[int, MessageRecord], seqs: Sequence[int]) -> list[int]:
    """`live_messages` order: the summary first, then by seq."""
    return sorted(seqs, key=lambda seq: (not by_seq[seq].is_summary, seq))


def _transcript(row: MessageRecord) -> TranscriptMessage:
    return TranscriptMessage(
        seq=row.seq,
        role=row.role,
        content=row.content,
        token_count=row.token_count,
        is_summary=row.is_summary,
    )


def _fallback(ordered: Sequence[MessageRecord], start_seq: int) -> tuple[int, ...]:
    live = [r for r in ordered if not r.archived]
    start_live = any(r.seq == start_seq for r in live)
    return tuple(
        r.seq
        for r in live
        if (r.seq < start_seq and not r.is_summary) or (r.is_summary and start_live)
    )


# --- the turns to choose from ---------------------------------------------------------


@dataclass(frozen=True)
class TurnLine:
    turn: int
    at: datetime
    words: str
    files_changed: int | None
    """None: no record of the working tree after the turn."""
    archived: bool


async def recent_turns(
    db: Database, repo: Path, session_id: str, *, limit: int = RECENT_TURNS
) -> list[TurnLine]:
    """The session's latest turns, oldest first: number, time, first words, files."""
    from my_deepagent.sessions.references import typed_text
    from my_deepagent.store.messages import session_messages

    rows = await session_messages(db, session_id, include_archived=True)
    users = [r for r in rows if r.role == "user" and r.turn is not None][-limit:]
    changed = await asyncio.to_thread(
        _files_changed, repo, session_id, [u.turn or 0 for u in users]
    )
    return [
        TurnLine(
            turn=row.turn or 0,
            at=row.created_at,
            words=_first_words(typed_text(row.content)),
            files_changed=changed.get(row.turn or 0),
            archived=row.archived,
        )
        for row in users
    ]


def _files_changed(repo: Path, session_id: str, turns: list[int]) -> dict[int, int]:
    from my_deepagent.git.snapshot import WorkspaceError, changed_files, session_baseline

    try:
        baseline = session_baseline(repo, session_id)
        counts: dict[int, int] = {}
        for turn in turns:
            start, end = baseline.before.get(turn), baseline.after.get(turn)
            if start is not None and end is not None:
                counts[turn] = len(changed_files(repo, start, end))
        return counts
    except WorkspaceError:
        return {}


def _first_words(text: str) -> str:
    words = text.split()
    shown = " ".join(words[:FIRST_WORDS])
    return shown + (" …" if len(words) > FIRST_WORDS else "")


def turn_rows(lines: Sequence[TurnLine]) -> list[list[str]]:
    """The table of `recent_turns`: turn, at, message, files changed."""
    return [
        [
            str(line.turn) + (msg("chat.flag_archived") if line.archived else ""),
            line.at.strftime("%Y-%m-%d %H:%M:%S"),
            line.words,
            "?" if line.files_changed is None else str(line.files_changed),
        ]
        for line in lines
    ]


# --- asking the session ---------------------------------------------------------------


def parse_rewind_words(argument: str) -> RewindRequest:
    """`/rewind N [--files|--conversation|--both] [--force]`."""
    from my_deepagent.errors import MdaError

    words = argument.split()
    numbers = [w for w in words if not w.startswith("--")]
    options = [w for w in words if w.startswith("--")]
    known = {"--files", "--conversation", "--both", "--force"}
    if len(numbers) != 1 or not numbers[0].isdigit() or int(numbers[0]) < 1:
        raise MdaError(msg("chat.rewind_usage"))
    if set(options) - known:
        raise MdaError(msg("chat.rewind_usage"))
    if len({o for o in options if o != "--force"}) > 1:
        raise MdaError(msg("chat.rewind_one_part"))
    return rewind_request(int(numbers[0]), _part(options), force="--force" in options)


def _part(options: Sequence[str]) -> str:
    for option in ("--files", "--conversation"):
        if option in options:
            return option.removeprefix("--")
    return "both"


def rewind_request(turn: int, part: str, *, force: bool) -> RewindRequest:
    from my_deepagent.workflows.session_types import RewindRequest

    return RewindRequest(
        turn=turn,
        conversation=part in ("conversation", "both"),
        files=part in ("files", "both"),
        force=force,
    )


async def rewind(
    handle: WorkflowHandle[Any, SessionStatus], request: RewindRequest
) -> RewindResult:
    """Ask the session's workflow to rewind (a refusal is one line, `MdaError`)."""
    from my_deepagent.sessions.client import update
    from my_deepagent.workflows.session_types import REWIND_UPDATE, RewindResult

    return await update(handle, REWIND_UPDATE, request, RewindResult)


def rewind_lines(result: RewindResult) -> list[str]:
    """What a rewind did, one line for the conversation and one for the files (the
    session's short id is not said: the person just named it)."""
    lines: list[str] = []
    if result.conversation is not None:
        done = result.conversation
        lines.append(
            msg(
                "chat.rewound_conversation", turn=result.turn, archived=done.archived,
                restored=done.restored, visible=done.visible,
            )
        )  # fmt: skip
    if result.files is not None:
        files = result.files
        lines.append(
            msg(
                "chat.rewound_files", turn=result.turn, written=files.written,
                deleted=files.deleted, undo=files.undo_ref,
            )
        )  # fmt: skip
    return lines


def rewind_json(result: RewindResult, session_id: str) -> dict[str, Any]:
    return {"session_id": session_id, **result.model_dump(mode="json")}
