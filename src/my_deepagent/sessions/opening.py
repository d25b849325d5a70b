"""Opening a session for the CLI: a new one in the current repository, or an existing
one by id or prefix, with its workflow running and a worker polling. A new session
is planned (`plan_session`), then created (`create_planned`): the HTTP API creates
its sessions with the same two steps.

Everything the user can get wrong (not a repository, an unknown persona, a missing
key, an unknown or ended session) fails here in one line, before any row or
workflow is created.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle

    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.sessions.client import SessionChoice
    from my_deepagent.store.database import Database
    from my_deepagent.store.records import SessionRecord
    from my_deepagent.workflows.session_types import SessionStatus


@dataclass
class OpenSession:
    client: Client
    db: Database
    catalog: Catalog
    record: SessionRecord
    handle: WorkflowHandle[Any, SessionStatus]
    created: bool
    note: str | None = None

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def root(self) -> Path:
        return Path(self.record.repo_path)

    async def refresh(self) -> SessionRecord:
        from my_deepagent.store.sessions import get_session

        found = await get_session(self.db, self.record.id)
        if found is not None:
            self.record = found
        return self.record


@dataclass(frozen=True)
class OpenRequest:
    session: str | None = None
    agent: str | None = None
    model: str | None = None
    offline: bool = False
    repo: Path = Path()
    compact_at: float | None = None
    """A new session's compaction threshold (share of the window); None: the setting."""
    budget_usd: Decimal | None = None
    """The session's cap (`--budget-usd`): a new session's, or a raise of an existing one."""


@dataclass(frozen=True)
class SessionPlan:
    """A new session, checked and not yet created: its repository, persona and model,
    and the settings the request asked for."""

    repo: Path
    choice: SessionChoice
    request: OpenRequest


def plan_session(catalog: Catalog, request: OpenRequest) -> SessionPlan:
    """Check a new session's repository, persona, model, key and consent (one line
    each when wrong) before anything exists."""
    from my_deepagent.git import resolve_repo
    from my_deepagent.sessions.client import choose_agent

    repo = resolve_repo(request.repo).root
    choice = choose_agent(
        catalog, agent=request.agent, model=request.model, offline=request.offline
    )
    return SessionPlan(repo=repo, choice=choice, request=request)


async def create_planned(db: Database, plan: SessionPlan) -> SessionRecord:
    """The planned session's row, with its cap when the request set one."""
    from my_deepagent.budget_caps import configured_caps
    from my_deepagent.sessions.client import create_session
    from my_deepagent.settings import get_settings

    budget = None
    if plan.request.budget_usd is not None:
        caps = configured_caps(get_settings(), session_usd=plan.request.budget_usd)
        budget = caps.model_dump(mode="json")
    return await create_session(
        db, plan.repo, plan.choice, compact_threshold=plan.request.compact_at, budget=budget
    )


@asynccontextmanager
async def open_session(request: OpenRequest) -> AsyncIterator[OpenSession]:
    from my_deepagent.client import client_with_worker
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.sessions.client import ensure_running, set_cap, switch_agent
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.store.sessions import find_session

    catalog = load_user_catalog()
    async with open_database(get_settings()) as db:
        record: SessionRecord | None = None
        if request.session is not None:
            record = await find_session(db, request.session)
            if record.state == "ended":
                raise MdaError(msg("chat.session_ended", session=record.id))
        else:
            plan = plan_session(catalog, request)
        client, polled = await client_with_worker()
        created = record is None
        note = None if polled else msg("chat.no_worker")
        if record is None:
            record = await create_planned(db, plan)
            note = plan.choice.note or note
        handle = await ensure_running(client, db, record)
        opened = OpenSession(client, db, catalog, record, handle, created, note)
        if not created and (request.agent or request.model):
            await switch_agent(opened, agent=request.agent, model=request.model)
        if not created and request.budget_usd is not None:
            await set_cap(opened, "session", request.budget_usd)
        yield opened
