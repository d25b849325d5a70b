"""`mda doctor`: what this machine needs for mda, checked one thing at a time.

Each check ends `ok`, `warn` (mda works, but something is missing or will be started
on demand) or `fail` (something mda needs is broken), with one line of detail and,
unless it is ok, the fix. Nothing is started or changed: a stopped embedded server is
a warning, since mda starts it when a command needs it; so is a missing key for a
provider some shipped persona uses, since a user may use only one provider.
Provider reachability is an HTTP request, made only online (`--offline` skips it and
says so).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError
from my_deepagent.settings import Settings

Status = Literal["ok", "warn", "fail"]
MIN_FREE_BYTES = 1_000_000_000
LOW_FREE_BYTES = 100_000_000
PROVIDER_TIMEOUT_S = 10.0


class Check(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    status: Status
    detail: str
    fix: str | None = None


def _ok(name: str, detail: str) -> Check:
    return Check(name=name, status="ok", detail=detail)


def check_python() -> Check:
    """Reported only: the install itself requires Python 3.11 or newer."""
    version = ".".join(map(str, sys.version_info[:3]))
    return _ok("python", f"{version} ({sys.executable})")


def check_git() -> Check:
    found = shutil.which("git")
    if found is None:
        return Check(
            name="git",
            status="fail",
            detail=msg("operations.doctor_not_found"),
            fix=msg("operations.doctor_install_git"),
        )
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    return _ok("git", done.stdout.strip() or found)


def check_disk(settings: Settings) -> Check:
    folder = settings.paths.data_dir
    probe = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(probe).free
    detail = msg("operations.doctor_disk_free", free=f"{free / 1e9:.1f}", folder=folder)
    fix = msg("operations.doctor_free_disk")
    if free < LOW_FREE_BYTES:
        return Check(name="disk", status="fail", detail=detail, fix=fix)
    if free < MIN_FREE_BYTES:
        return Check(name="disk", status="warn", detail=detail, fix=fix)
    return _ok("disk", detail)


def check_sandbox(settings: Settings) -> Check:
    from my_deepagent.sandbox.launcher import choose_sandbox

    if settings.sandbox == "off":
        return Check(
            name="sandbox",
            status="warn",
            detail=msg("operations.doctor_sandbox_off"),
            fix=msg("operations.doctor_sandbox_unset"),
        )
    choice = choose_sandbox("auto")
    if choice.kind is None:
        none = msg("operations.doctor_sandbox_none")
        return Check(name="sandbox", status="fail", detail=none, fix=choice.shown_problem)
    return _ok("sandbox", choice.kind)


async def check_temporal(settings: Settings) -> list[Check]:
    """The server (and the temporal binary, in embedded mode), then a polling worker."""
    from my_deepagent.client import live_worker_identities
    from my_deepagent.temporal_config import connect_configured, load_target

    target = load_target()
    checks: list[Check] = []
    if target.mode == "embedded":
        from temporalio.client import Client

        from my_deepagent.embedded.processes import find_temporal_binary
        from my_deepagent.embedded.server import EmbeddedServerConfig, running_server

        try:
            checks.append(_ok("temporal binary", str(find_temporal_binary())))
        except MdaError as exc:
            missing = msg("operations.doctor_missing")
            checks.append(
                Check(name="temporal binary", status="fail", detail=missing, fix=exc.message)
            )
        info = running_server(EmbeddedServerConfig.from_settings(settings))
        if info is None:
            checks.append(
                Check(
                    name="temporal server",
                    status="warn",
                    detail=msg("operations.doctor_server_not_running"),
                    fix=msg("operations.doctor_server_on_demand"),
                )
            )
            return checks
        try:
            client = await Client.connect(info.address, namespace=target.namespace)
        except RuntimeError as exc:
            fix = msg("operations.doctor_server_restart")
            reason = str(exc).splitlines()[0] if str(exc) else exc
            detail = msg(
                "operations.doctor_server_embedded_failed", address=info.address, reason=reason
            )
            checks.append(Check(name="temporal server", status="fail", detail=detail, fix=fix))
            return checks
        detail = msg("operations.doctor_server_embedded", address=info.address, pid=info.pid)
        checks.append(_ok("temporal server", detail))
    else:
        address = target.connect_config["target_host"]
        try:
            client = await connect_configured(target)
        except MdaError as exc:
            detail = msg("operations.doctor_server_configured_unreachable", address=address)
            checks.append(
                Check(name="temporal server", status="fail", detail=detail, fix=exc.message)
            )
            return checks
        checks.append(
            _ok("temporal server", msg("operations.doctor_server_configured", address=address))
        )
    workers = await live_worker_identities(client, settings.task_queue)
    checks.append(
        _worker_check(workers, repr(settings.task_queue), embedded=target.mode == "embedded")
    )
    return checks


def _worker_check(workers: set[str], queue: str, *, embedded: bool) -> Check:
    """A worker polls mda's task queue: in embedded mode mda starts one when needed."""
    if workers:
        names = ", ".join(sorted(workers))
        return _ok("worker", msg("operations.doctor_worker_polling", queue=queue, names=names))
    none = msg("operations.doctor_worker_none", queue=queue)
    if embedded:
        fix = msg("operations.doctor_worker_on_demand")
        return Check(name="worker", status="warn", detail=none, fix=fix)
    fix = msg("operations.doctor_worker_start")
    return Check(name="worker", status="fail", detail=none, fix=fix)


async def check_database(settings: Settings) -> Check:
    from my_deepagent.store.database import connect, database_url, describe, reach, schema_state

    if settings.database_url is None and not settings.paths.database_file.exists():
        path = settings.paths.database_file
        return _ok("database", msg("operations.doctor_database_on_first_use", path=path))
    db = connect(database_url(settings))
    try:
        state = await reach(db, schema_state(db))
    except MdaError as exc:
        unreachable = msg("operations.doctor_unreachable")
        return Check(name="database", status="fail", detail=unreachable, fix=exc.message)
    finally:
        await db.engine.dispose()
    where = describe(db)
    if state.pending:
        return Check(name="database", status="fail", detail=where, fix=state.upgrade_hint(where))
    return _ok(
        "database", msg("operations.doctor_database_at", where=where, revision=state.current)
    )


def check_keys(settings: Settings) -> list[Check]:
    """A key for each provider the personas mda can see use (shipped and the user's)."""
    from my_deepagent.domain.catalog import load_user_catalog
    from my_deepagent.keys import PROVIDER_SETTINGS, find_key, missing_key_message

    try:
        personas = load_user_catalog().personas()
    except MdaError as exc:
        unreadable = msg("operations.doctor_unreadable")
        return [Check(name="personas", status="fail", detail=unreadable, fix=exc.message)]
    used = {p.provider for p in personas} & set(PROVIDER_SETTINGS)
    checks = []
    for provider in sorted(used - {"openai-compatible"}):
        try:
            found = find_key(provider, settings)
        except MdaError as exc:
            unreadable = msg("operations.doctor_unreadable")
            checks.append(
                Check(name=f"key {provider}", status="fail", detail=unreadable, fix=exc.message)
            )
            continue
        if found is None:
            fix = missing_key_message(provider, settings)
            none = msg("operations.doctor_key_none")
            checks.append(Check(name=f"key {provider}", status="warn", detail=none, fix=fix))
        else:
            detail = msg(
                "operations.doctor_key_from", source=found.source, fingerprint=found.fingerprint
            )
            checks.append(_ok(f"key {provider}", detail))
    return checks


async def check_providers(settings: Settings, *, offline: bool) -> list[Check]:
    """One request to each provider that has a key: does it answer, and take the key?"""
    from my_deepagent.agents.models import ANTHROPIC_BASE_URL, OPENAI_BASE_URL
    from my_deepagent.keys import find_key

    endpoints = {
        "openrouter": (f"{settings.openrouter_base_url.rstrip('/')}/key", "Authorization"),
        "openai": (f"{OPENAI_BASE_URL}/models", "Authorization"),
        "anthropic": (f"{ANTHROPIC_BASE_URL}/v1/models", "x-api-key"),
    }
    checks = []
    for provider, (url, header) in endpoints.items():
        try:
            found = find_key(provider, settings)
        except MdaError:  # the keys check has said why
            continue
        if found is None:
            continue
        name = f"reach {provider}"
        if offline:
            checks.append(_ok(name, msg("operations.doctor_skipped_offline")))
            continue
        checks.append(await _request(name, url, header, found.value, provider))
    return checks


async def _request(name: str, url: str, header: str, key: str, provider: str) -> Check:
    import httpx

    value = f"Bearer {key}" if header == "Authorization" else key
    headers = {header: value}
    if provider == "anthropic":
        headers["anthropic-version"] = "2023-06-01"
    try:
        async with httpx.AsyncClient(timeout=PROVIDER_TIMEOUT_S) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check(
            name=name, status="fail", detail=f"{url}: {reason}",
            fix=msg("operations.doctor_check_network"),
        )  # fmt: skip
    if response.status_code in (401, 403):
        return Check(
            name=name, status="fail", detail=f"{url}: HTTP {response.status_code}",
            fix=msg("operations.doctor_key_refused", provider=provider),
        )  # fmt: skip
    if response.status_code >= 400:
        return Check(
            name=name, status="warn", detail=f"{url}: HTTP {response.status_code}",
            fix=msg("operations.doctor_provider_error", provider=provider),
        )  # fmt: skip
    return _ok(name, f"{url}: HTTP {response.status_code}")


async def run_checks(settings: Settings, *, offline: bool) -> list[Check]:
    checks = [check_python(), check_git()]
    try:
        checks += await check_temporal(settings)
    except MdaError as exc:
        error = msg("operations.doctor_error")
        checks.append(Check(name="temporal server", status="fail", detail=error, fix=exc.message))
    checks.append(await check_database(settings))
    checks += await asyncio.to_thread(check_keys, settings)
    checks += await check_providers(settings, offline=offline)
    checks += [check_disk(settings), await asyncio.to_thread(check_sandbox, settings)]
    return checks
