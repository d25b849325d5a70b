"""Shared fixtures. Every test gets its own MDA_HOME so no test sees another's files.

Temporal: one real dev server for the whole session (`temporal_server`), started by
mda's own `server.py`; `temporal_client` connects to it; `configured_temporal` points
mda's configuration (TEMPORAL_ADDRESS) at it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from my_deepagent.settings import reset_settings
from suite_database import SUITE_DATABASE

if TYPE_CHECKING:
    from temporalio.client import Client

    from my_deepagent.embedded.server import EmbeddedServerConfig, ServerInfo

pytest_plugins = [
    "store_fixtures",  # `db`, `store_url`, `postgres_server`
    "run_harness",  # `run_env`
    "korean_helpers",  # `korean`, `repo`
    "api_harness",  # `api`
]

_MDA_ENV_PREFIXES = ("MDA_", "TEMPORAL_")
TEST_LANGUAGE = "en"
"""Messages are English in every test (whatever the machine's locale) unless a test
asks for Korean with MDA_LANG=ko."""
os.environ["MDA_LANG"] = TEST_LANGUAGE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only what can touch mda's database (see `SUITE_DATABASE`)."""
    if SUITE_DATABASE != "postgresql":
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        on_database = "mda_home" in getattr(item, "fixturenames", ())
        embedded_only = item.get_closest_marker("embedded_database") is not None
        (keep if on_database and not embedded_only else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture
def mda_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """A fresh MDA_HOME, with no MDA_* or TEMPORAL_* variables leaking in from outside;
    with MDA_TEST_DATABASE=postgresql, a PostgreSQL database of its own too."""
    import os

    for name in list(os.environ):
        if name.startswith(_MDA_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MDA_LANG", TEST_LANGUAGE)
    home = tmp_path / "mda-home"
    monkeypatch.setenv("MDA_HOME", str(home))
    # The Temporal SDK also reads ~/.config/temporalio/temporal.toml: point it nowhere.
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "no-temporal.toml"))
    if SUITE_DATABASE == "postgresql":
        monkeypatch.setenv("MDA_DATABASE_URL", request.getfixturevalue("postgres_database"))
    _use_test_keyring(tmp_path, monkeypatch)
    reset_settings()
    yield home
    reset_settings()


def _use_test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file keyring of the test's own (`file_keyring.py`), here and in the processes
    it starts, so no test reads or writes the machine's keyring."""
    import os

    import keyring

    from file_keyring import FileKeyring

    tests_dir = str(Path(__file__).resolve().parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [tests_dir, os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "file_keyring.FileKeyring")
    monkeypatch.setenv("FILE_KEYRING_PATH", str(tmp_path / "keyring.json"))
    keyring.set_keyring(FileKeyring())


@dataclass(frozen=True)
class TemporalTestServer:
    """The session's Temporal dev server, started by mda's own `server.py`."""

    config: EmbeddedServerConfig
    info: ServerInfo

    @property
    def address(self) -> str:
        return self.info.address

    @property
    def namespace(self) -> str:
        return self.config.namespace


@pytest.fixture(scope="session")
async def temporal_server(
    tmp_path_factory: pytest.TempPathFactory, unused_tcp_port_factory: Callable[[], int]
) -> AsyncIterator[TemporalTestServer]:
    """One embedded Temporal dev server for the whole run, on free loopback ports.

    Use a fresh task queue and workflow id per test. Stopped (SIGTERM) at session end.
    """
    from my_deepagent.embedded.server import EmbeddedServerConfig, start_server, stop_server
    from my_deepagent.settings import Paths

    config = EmbeddedServerConfig(
        paths=Paths.resolve(tmp_path_factory.mktemp("temporal-session")),
        port=unused_tcp_port_factory(),
        ui_port=unused_tcp_port_factory(),
        start_timeout_s=60.0,  # a loaded 2-core CI box
    )
    result = await start_server(config)
    try:
        yield TemporalTestServer(config=config, info=result.info)
    finally:
        stop_server(config)


@pytest.fixture(scope="session")
async def temporal_client(temporal_server: TemporalTestServer) -> Client:
    """A client of the session server, with mda's (pydantic) data converter."""
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    return await Client.connect(
        temporal_server.address,
        namespace=temporal_server.namespace,
        data_converter=pydantic_data_converter,
    )


@pytest.fixture
def configured_temporal(
    mda_home: Path, temporal_server: TemporalTestServer, monkeypatch: pytest.MonkeyPatch
) -> TemporalTestServer:
    """`mda_home`, with TEMPORAL_ADDRESS naming the session server.

    mda code under test (and `mda` subprocesses) then runs in configured mode against
    the shared server instead of starting an embedded one per test.
    """
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", temporal_server.namespace)
    reset_settings()
    return temporal_server


if TYPE_CHECKING:
    from openai_stub import OpenAIStub


@pytest.fixture
def openai_stub(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    """A real OpenAI-compatible server on loopback (tests/openai_stub.py), running for
    one test, with MDA_OPENAI_COMPATIBLE_BASE_URL pointing at it."""
    from my_deepagent.consent import grant
    from my_deepagent.settings import get_settings
    from openai_stub import OpenAIStub

    server = OpenAIStub().start()
    monkeypatch.setenv("MDA_OPENAI_COMPATIBLE_BASE_URL", server.base_url)
    reset_settings()
    grant(get_settings(), ["openai-compatible"])  # the user said yes to their own server
    try:
        yield server
    finally:
        server.stop()
