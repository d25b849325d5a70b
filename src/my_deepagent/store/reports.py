"""Run reports in the database: one row per run, replaced when the run is reported again
(a resumed run ends with a new report). The files in the reports folder are copies
for people; this row is what the API serves."""

from __future__ import annotations

from typing import Any

from my_deepagent.store.database import Database
from my_deepagent.store.tables import ReportRow, utc_now


async def save_report(db: Database, run_id: str, document: dict[str, Any], markdown: str) -> None:
    now = utc_now()
    statement = (
        db.insert(ReportRow)
        .values(run_id=run_id, document=document, markdown=markdown, created_at=now)
        .on_conflict_do_update(
            index_elements=["run_id"],
            set_={"document": document, "markdown": markdown, "created_at": now},
        )
    )
    async with db.write() as session:
        await session.execute(statement)


async def get_report(db: Database, run_id: str) -> tuple[dict[str, Any], str] | None:
    """(JSON document, Markdown) of the run's report, if one was written."""
    async with db.read() as session:
        row = await session.get(ReportRow, run_id)
        return None if row is None else (dict(row.document), row.markdown)
