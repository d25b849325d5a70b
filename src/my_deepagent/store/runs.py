"""Runs: creation under the one-active-run rule, state changes, lookup by prefix.

The rule lives in the database (a partial unique index over the active states), not
in a check-then-insert, so two `mda start` at once cannot both win.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from my_deepagent.catalogue import english, msg
from my_deepagent.errors import MdaError, NotFoundError
from my_deepagent.store.database import Database
from my_deepagent.store.prefix import MIN_PREFIX, prefix_matches
from my_deepagent.store.records import ACTIVE_RUN_STATES, RunHeader, RunRecord, RunState
from my_deepagent.store.tables import RunRow, utc_now

TERMINAL_RUN_STATES = frozenset(RunState) - frozenset(ACTIVE_RUN_STATES)


def new_run_id() -> str:
    return uuid.uuid4().hex


def normalize_repo_path(repo_path: str | os.PathLike[str]) -> str:
    """The real path, so `.`, a symlink and the full path count as one repository."""
    return os.path.realpath(repo_path)


async def create_run(
    db: Database,
    *,
    repo_path: str | os.PathLike[str],
    base_branch: str,
    template_ref: str,
    requirements: str = "",
    bindings: dict[str, Any] | None = None,
    run_id: str | None = None,
    state: RunState = RunState.PENDING,
) -> RunRecord:
    """A new run; refused with a one-line `MdaError` when one is active on the same branch."""
    now = utc_now()
    row = RunRow(
        id=run_id or new_run_id(),
        repo_path=normalize_repo_path(repo_path),
        base_branch=base_branch,
        template_ref=template_ref,
        state=state.value,
        requirements=requirements,
        bindings=bindings or {},
        error=None,
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    try:
        async with db.write() as session:
            session.add(row)
            await session.flush()
            return RunRecord.model_validate(row)
    except IntegrityError:
        await _raise_if_active(db, row.repo_path, row.base_branch)
        raise


async def set_run_state(
    db: Database, run_id: str, state: RunState, *, error: str | None = None
) -> RunRecord:
    """Move a run to `state`; a terminal state stamps `finished_at`, an active one clears it.

    Re-activating a run (resume) is subject to the same one-active-run rule.
    """
    try:
        async with db.write() as session:
            row = await _get_row(session, run_id)
            now = utc_now()
            row.state = state.value
            row.error = error
            row.updated_at = now
            row.finished_at = now if state in TERMINAL_RUN_STATES else None
            await session.flush()
            return RunRecord.model_validate(row)
    except IntegrityError:
        run = await get_run(db, run_id)
        if run is not None:
            await _raise_if_active(db, run.repo_path, run.base_branch)
        raise


async def set_run_bindings(db: Database, run_id: str, bindings: dict[str, Any]) -> None:
    """Replace the run's launch snapshot (a resume bumps its generation)."""
    async with db.write() as session:
        row = await _get_row(session, run_id)
        row.bindings = bindings
        row.updated_at = utc_now()


async def get_run(db: Database, run_id: str) -> RunRecord | None:
    async with db.read() as session:
        row = await session.get(RunRow, run_id)
        return None if row is None else RunRecord.model_validate(row)


async def active_run(
    db: Database, repo_path: str | os.PathLike[str], base_branch: str
) -> RunRecord | None:
    async with db.read() as session:
        row = await session.scalar(
            select(RunRow).where(
                RunRow.repo_path == normalize_repo_path(repo_path),
                RunRow.base_branch == base_branch,
                RunRow.state.in_([s.value for s in ACTIVE_RUN_STATES]),
            )
        )
        return None if row is None else RunRecord.model_validate(row)


async def find_run(db: Database, ref: str) -> RunRecord:
    """A run by full id, `run-<id>` workflow id, or a unique prefix of at least 6 characters."""
    found = await prefix_matches(db, RunRow, ref, workflow_prefix="run-", limit=6, to=RunRecord)
    if found.too_short:
        raise MdaError(msg("runs.id_too_short", ref=repr(ref), min=MIN_PREFIX))
    records = found.rows
    if not records and not found.hexadecimal:
        raise NotFoundError(msg("runs.no_run_hexadecimal", ref=repr(ref)))
    if not records:
        raise NotFoundError(msg("runs.no_run", ref=repr(ref)))
    if len(records) > 1:
        shown = ", ".join(r.id[:12] for r in records[:5])
        if len(records) > 5:
            raise MdaError(msg("runs.ambiguous_prefix_more", ref=repr(ref), shown=shown))
        raise MdaError(msg("runs.ambiguous_prefix", ref=repr(ref), shown=shown))
    record: RunRecord = records[0]
    return record


async def list_runs(
    db: Database,
    *,
    repo_path: str | os.PathLike[str] | None = None,
    states: Sequence[RunState] | None = None,
    limit: int = 50,
) -> list[RunRecord]:
    """Newest first."""
    query = _newest_first(select(RunRow), repo_path, states, limit)
    async with db.read() as session:
        return [RunRecord.model_validate(row) for row in (await session.scalars(query)).all()]


async def list_run_headers(
    db: Database,
    *,
    repo_path: str | os.PathLike[str] | None = None,
    states: Sequence[RunState] | None = None,
    limit: int = 50,
) -> list[RunHeader]:
    """`list_runs` without requirements and bindings (never read, never decoded): a
    list of a thousand runs reads a few columns, not a thousand JSON documents."""
    columns = [getattr(RunRow, name) for name in RunHeader.model_fields]
    query = _newest_first(select(*columns), repo_path, states, limit)
    async with db.read() as session:
        rows = (await session.execute(query)).mappings().all()
    return [RunHeader.model_validate(dict(row)) for row in rows]


def _newest_first(
    query: Select[Any],
    repo_path: str | os.PathLike[str] | None,
    states: Sequence[RunState] | None,
    limit: int,
) -> Select[Any]:
    query = query.order_by(RunRow.created_at.desc(), RunRow.id).limit(limit)
    if repo_path is not None:
        query = query.where(RunRow.repo_path == normalize_repo_path(repo_path))
    if states is not None:
        query = query.where(RunRow.state.in_([s.value for s in states]))
    return query


async def _get_row(session: AsyncSession, run_id: str) -> RunRow:
    row = await session.get(RunRow, run_id)
    if row is None:
        # Also reached from the worker's ledger activity, whose language may not be the
        # person's: English.
        raise MdaError(english("runs.no_run", ref=repr(run_id)))
    return row


async def _raise_if_active(db: Database, repo_path: str, base_branch: str) -> None:
    active = await active_run(db, repo_path, base_branch)
    if active is not None:
        raise MdaError(
            msg("runs.already_active", repo=repo_path, base=base_branch, run=active.id)
        ) from None
