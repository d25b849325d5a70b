"""The activities of a session's rewind (`sessions/rewind.py` says what it does).

`session_rewind_files` makes the repository's working tree exactly what it was before
the turn, after checking that nothing outside the session changed it since (unless
forced) and recording the present state on `before-rewind-<stamp>`. A retry that finds
that record skips the check (the first attempt made it, then began to restore). A git
error (a timeout, a stale `index.lock`) is retried by the activity's retry policy: every
step of the rewind can be made again, so a retry completes a rewind that stopped
midway; only the last attempt's error is final (`chat.rewind_git_failed`).

`session_rewind_conversation` leaves visible the messages before the turn, in one
transaction with its marker row; a retry finds the marker, changes nothing and works
out the counts again from the rows. A marker seq taken by another row is refused.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from my_deepagent.activities.deps import ActivityDeps
from my_deepagent.catalogue import english
from my_deepagent.git.snapshot import (
    SNAPSHOT_NAMESPACE,
    WorkspaceError,
    outside_changes,
    ref_commit,
    rewind_working_tree,
    rewound_ref,
    session_baseline,
    turn_ref,
)
from my_deepagent.sessions.rewind import rewind_counts, visible_before
from my_deepagent.store.messages import apply_rewind, live_messages, session_messages
from my_deepagent.workflows.policies import IO_RETRY
from my_deepagent.workflows.session_types import (
    RewindConversationInput,
    RewindConversationOutput,
    RewindFilesInput,
    RewindFilesOutput,
)

SHOWN_FILES = 5


def _refuse(key: str, /, **fields: str | int) -> ApplicationError:
    """A refusal no retry would change: the catalogue's English, its key and fields in
    the details (the workflow passes them on for the client to say)."""
    said = {"key": key, "fields": fields}
    return ApplicationError(english(key, **fields), said, type="MdaError", non_retryable=True)


def _shown(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_FILES])
    more = len(names) - SHOWN_FILES
    return shown + (f" (+{more})" if more > 0 else "")


class SessionRewindActivities:
    def __init__(self, deps: ActivityDeps) -> None:
        self.deps = deps

    @activity.defn(name="session_rewind_files")
    async def session_rewind_files(self, input: RewindFilesInput) -> RewindFilesOutput:
        return await asyncio.to_thread(self._rewind_files, input)

    def _rewind_files(self, input: RewindFilesInput) -> RewindFilesOutput:
        repo, data_dir = Path(input.repo_path), self.deps.settings.paths.data_dir
        short = input.session_id[:8]
        ref = turn_ref(input.session_id, input.turn)
        undo = f"{SNAPSHOT_NAMESPACE}/{input.session_id}/before-rewind-{input.stamp}"
        try:
            if ref_commit(repo, ref) is None:
                raise _refuse("chat.rewind_no_files", session=short, turn=input.turn)
            if not input.force and ref_commit(repo, undo) is None:
                changed = outside_changes(repo, input.session_id, input.turn, data_dir)
                if changed:
                    raise _refuse(
                        "chat.rewind_outside_changes", session=short, turn=input.turn,
                        count=len(changed), files=_shown(changed),
                    )  # fmt: skip
            latest = session_baseline(repo, input.session_id).latest or input.turn
            done_ref = rewound_ref(input.session_id, latest, input.stamp)
            done = rewind_working_tree(repo, ref, undo, data_dir, done_ref=done_ref)
        except WorkspaceError as exc:
            if activity.info().attempt < (IO_RETRY.maximum_attempts or 1):
                raise  # a timeout, a stale lock: the retry completes what this one began
            raise _refuse("chat.rewind_git_failed", reason=str(exc)) from None
        return RewindFilesOutput(undo_ref=undo, written=done.written, deleted=len(done.deleted))

    @activity.defn(name="session_rewind_conversation")
    async def session_rewind_conversation(
        self, input: RewindConversationInput
    ) -> RewindConversationOutput:
        db = self.deps.db
        rows = await session_messages(db, input.session_id, include_archived=True)
        plan = visible_before(rows, input.turn)
        if plan is None:
            turns = sorted({r.turn for r in rows if r.role == "user" and r.turn is not None})
            raise _refuse(
                "chat.rewind_turn_has_no_message", session=input.session_id[:8],
                turn=input.turn, turns=", ".join(map(str, turns)) or "-",
            )  # fmt: skip
        try:
            changed = await apply_rewind(
                db,
                session_id=input.session_id,
                turn=input.turn,
                marker_seq=input.marker_seq,
                visible_seqs=plan.seqs,
                context=input.context,
            )
        except ValueError:
            raise _refuse(
                "chat.rewind_marker_taken", session=input.session_id[:8],
                seq=input.marker_seq, turn=input.turn,
            ) from None  # fmt: skip
        if changed is None:  # a retry: the first attempt did it
            changed = rewind_counts(rows, input.turn, input.marker_seq, plan.seqs)
        archived, restored = changed
        visible = len(await live_messages(db, input.session_id))
        return RewindConversationOutput(visible=visible, archived=archived, restored=restored)
