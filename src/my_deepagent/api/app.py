"""`create_app`: the FastAPI application behind `mda serve`.

The app holds one database and one Temporal client for its lifetime (`ApiState`):
the ones `mda serve` opened before listening, or its own, opened in its lifespan.
Every route calls the helpers the CLI calls; none has its own copy of a check.
Errors are one JSON line, `{"error": "..."}`, never a traceback: a user's mistake
(`MdaError`) is 400, an unknown id 404, a body that does not fit its model 422,
Temporal or a worker out of reach 503, anything unexpected 500 with no detail.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from my_deepagent.api.models import Health, Problem
from my_deepagent.api.security import BodyTooLarge, Guard
from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError, NotFoundError, ServerError

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.settings import Settings
    from my_deepagent.store.database import Database

STATIC = Path(__file__).parent / "static"
PAGES = ("runs", "run", "session", "sessions", "budget")
log = logging.getLogger("my_deepagent.api")


@dataclass
class ApiState:
    settings: Settings
    db: Database
    client: Client

    async def connect(self) -> Client:
        """The client, for helpers that ask for one only when they need it."""
        return self.client


def state(request: Request) -> ApiState:
    """The app's database and Temporal client (a route's dependency)."""
    found: ApiState = request.app.state.mda
    return found


def create_app(settings: Settings, *, token: str | None, state: ApiState | None = None) -> FastAPI:
    """The app; `token` (if any) is required on every `/api/` request. With `state`,
    the app uses that database and client; without, it opens its own for its life."""
    from my_deepagent import __version__
    from my_deepagent.api import assets, runs, sessions

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from my_deepagent.store.database import open_database
        from my_deepagent.temporal_config import connect_client

        if state is not None:
            app.state.mda = state
            yield
            return
        async with open_database(settings) as db:
            app.state.mda = ApiState(settings=settings, db=db, client=await connect_client())
            yield

    app = FastAPI(
        title="mda",
        version=__version__,
        summary="Durable coding agents on Temporal: runs with approval gates, and sessions.",
        lifespan=lifespan,
        responses={
            400: {"model": Problem},
            404: {"model": Problem},
            422: {"model": Problem},
            503: {"model": Problem},
        },
    )

    @app.get("/api/health", response_model=Health)
    async def health() -> Health:
        return Health(status="ok", version=__version__)

    app.include_router(runs.router)
    app.include_router(sessions.router)
    app.include_router(assets.router)
    _add_error_handlers(app)
    _add_pages(app)
    app.add_middleware(Guard, token=token)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    def problem(status: int, error: str) -> JSONResponse:
        return JSONResponse(Problem(error=" ".join(error.split())).model_dump(), status_code=status)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return problem(404, exc.message)

    @app.exception_handler(ServerError)
    async def unavailable(_: Request, exc: ServerError) -> JSONResponse:
        return problem(503, exc.message)

    @app.exception_handler(RPCError)
    async def temporal_error(_: Request, exc: RPCError) -> JSONResponse:
        return problem(503, msg("operations.api_temporal_no_answer", reason=exc.message))

    @app.exception_handler(MdaError)
    async def refused(_: Request, exc: MdaError) -> JSONResponse:
        return problem(400, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        what = first.get("msg", "invalid request")
        return problem(422, f"{where}: {what}" if where else what)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return problem(413, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in the API")
        return problem(500, msg("operations.api_internal_error", kind=type(exc).__name__))


def _add_pages(app: FastAPI) -> None:
    """The web GUI: a few static pages and their script, no build step."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "runs.html")

    for page in PAGES:
        app.add_api_route(f"/{page}", _page(page), include_in_schema=False, methods=["GET"])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _page(name: str) -> Callable[[], Awaitable[FileResponse]]:
    async def serve() -> FileResponse:
        return FileResponse(STATIC / f"{name}.html")

    return serve
