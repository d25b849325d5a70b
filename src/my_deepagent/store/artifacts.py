"""Artifacts: the JSON a phase wrote, kept with its sha256, size and validation result.

Workflows carry only a reference (path, sha256, size); the body lives here so the
report and the GUI can show it after the worktree is gone. One row per (phase,
round, revision); revision 1 is the repair turn's rewrite. A retried write of the
same revision replaces the row (the last write is the one the workflow saw), and a
changed body clears a validation made for the old one.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Select, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from my_deepagent.store.database import Database
from my_deepagent.store.records import ArtifactRecord
from my_deepagent.store.tables import ArtifactRow, utc_now


def body_digest(body: str) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of the body's UTF-8 encoding: what the file holds."""
    data = body.encode("utf-8")
    return hashlib.sha256(data).hexdigest(), len(data)


async def record_artifact(
    db: Database,
    *,
    run_id: str,
    phase_key: str,
    round: int = 0,
    revision: int = 0,
    path: str,
    body: str,
) -> ArtifactRecord:
    sha256, size = body_digest(body)
    insert = db.insert(ArtifactRow).values(
        run_id=run_id,
        phase_key=phase_key,
        round=round,
        revision=revision,
        path=path,
        sha256=sha256,
        size=size,
        body=body,
        valid=None,
        errors=None,
        created_at=utc_now(),
        validated_at=None,
    )
    same_body = ArtifactRow.sha256 == sha256
    upsert = insert.on_conflict_do_update(
        index_elements=["run_id", "phase_key", "round", "revision"],
        set_={
            "path": path,
            "sha256": sha256,
            "size": size,
            "body": body,
            "valid": case((same_body, ArtifactRow.valid), else_=None),
            "errors": case((same_body, ArtifactRow.errors), else_=None),
            "validated_at": case((same_body, ArtifactRow.validated_at), else_=None),
        },
    )
    async with db.write() as session:
        await session.execute(upsert)
        return await _select_one(session, run_id, phase_key, round, revision)


async def set_validation(
    db: Database,
    *,
    run_id: str,
    phase_key: str,
    round: int = 0,
    revision: int = 0,
    errors: list[str],
) -> ArtifactRecord:
    """Store the validation result: valid when `errors` is empty."""
    async with db.write() as session:
        row = await session.scalar(_where(run_id, phase_key, round, revision))
        if row is None:
            raise LookupError(f"no artifact for run {run_id} phase {phase_key} round {round}")
        row.valid = not errors
        row.errors = list(errors)
        row.validated_at = utc_now()
        await session.flush()
        return ArtifactRecord.model_validate(row)


async def get_artifact(
    db: Database, *, run_id: str, phase_key: str, round: int = 0, revision: int = 0
) -> ArtifactRecord | None:
    async with db.read() as session:
        row = await session.scalar(_where(run_id, phase_key, round, revision))
        return None if row is None else ArtifactRecord.model_validate(row)


async def list_artifacts(db: Database, run_id: str) -> list[ArtifactRecord]:
    """Oldest first: the last artifact of a phase is its final one."""
    query = select(ArtifactRow).where(ArtifactRow.run_id == run_id).order_by(ArtifactRow.id)
    async with db.read() as session:
        return [ArtifactRecord.model_validate(r) for r in (await session.scalars(query)).all()]


def _where(run_id: str, phase_key: str, round: int, revision: int) -> Select[ArtifactRow]:
    return select(ArtifactRow).where(
        ArtifactRow.run_id == run_id,
        ArtifactRow.phase_key == phase_key,
        ArtifactRow.round == round,
        ArtifactRow.revision == revision,
    )


async def _select_one(
    session: AsyncSession, run_id: str, phase_key: str, round: int, revision: int
) -> ArtifactRecord:
    row = await session.scalar(_where(run_id, phase_key, round, revision))
    assert row is not None
    return ArtifactRecord.model_validate(row)
