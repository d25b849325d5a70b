"""Which Temporal server mda uses: the SDK's envconfig (environment and the Temporal
config file) decides between configured and embedded mode; `connect_client()`
connects, starting the embedded server when that is the mode."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from my_deepagent.cli.main import main
from my_deepagent.embedded.server import (
    EmbeddedServerConfig,
    running_server,
    stop_server,
)
from my_deepagent.errors import ConfigError, ServerError
from my_deepagent.search_attributes import ALL_KEYS
from my_deepagent.settings import reset_settings
from my_deepagent.temporal_config import connect_client, embedded_config_or_fail, load_target

if TYPE_CHECKING:
    from conftest import TemporalTestServer


def test_nothing_configured_means_embedded(mda_home: Path) -> None:
    target = load_target()
    assert target.mode == "embedded"
    assert target.namespace == "default"
    assert target.address is None


def test_temporal_address_means_configured(mda_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "team")
    target = load_target()
    assert (target.mode, target.address, target.namespace) == (
        "configured",
        "temporal.example:7233",
        "team",
    )


def test_the_temporal_config_file_and_profile_are_read(
    mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "temporal.toml"
    config_file.write_text(
        '[profile.default]\nnamespace = "local"\n\n'
        '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n'
    )
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    local = load_target()
    assert (local.mode, local.namespace) == ("embedded", "local")

    monkeypatch.setenv("TEMPORAL_PROFILE", "prod")
    prod = load_target()
    assert (prod.mode, prod.address, prod.namespace) == ("configured", "prod.example:7233", "prod")

    monkeypatch.setenv("TEMPORAL_PROFILE", "missing")
    with pytest.raises(ConfigError, match=r"Profile 'missing' not found.*TEMPORAL_PROFILE"):
        load_target()


def test_a_broken_temporal_config_file_is_one_line(
    mda_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "temporal.toml"
    config_file.write_text("[profile.default\n")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    with pytest.raises(ConfigError) as caught:
        load_target()
    assert "\n" not in caught.value.message
    assert "TEMPORAL_CONFIG_FILE" in caught.value.message


async def test_connect_client_uses_the_configured_server(
    configured_temporal: TemporalTestServer,
) -> None:
    client = await connect_client()
    assert client.namespace == configured_temporal.namespace
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    # Configured mode never starts a server of its own.
    assert running_server(EmbeddedServerConfig.from_settings()) is None


async def test_an_unreachable_configured_server_is_one_line(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port_factory: Callable[[], int]
) -> None:
    address = f"127.0.0.1:{unused_tcp_port_factory()}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    with pytest.raises(ServerError) as caught:
        await connect_client()
    message = caught.value.message
    assert message.startswith(f"cannot reach the Temporal server at {address} (connection refused)")
    assert "TEMPORAL_ADDRESS" in message
    assert "\n" not in message


def test_the_embedded_server_is_refused_in_configured_mode(
    configured_temporal: TemporalTestServer,
) -> None:
    with pytest.raises(ServerError, match="Temporal is configured at"):
        embedded_config_or_fail()


def test_status_reports_a_configured_server(
    configured_temporal: TemporalTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unused_tcp_port_factory: Callable[[], int],
) -> None:
    assert main(["server", "status"]) == 0
    out = capsys.readouterr().out
    assert "configured" in out and configured_temporal.address in out

    address = f"127.0.0.1:{unused_tcp_port_factory()}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    assert main(["server", "status", "--json"]) == 3
    document = json.loads(capsys.readouterr().out)
    assert document["reachable"] is False
    assert document["error"].startswith(
        f"cannot reach the Temporal server at {address} (connection refused)"
    )


def test_status_reports_a_bad_setting_in_configured_mode(
    configured_temporal: TemporalTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MDA_TEMPORAL_RETENTION_DAYS", "forever")
    reset_settings()
    assert main(["server", "status"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "MDA_TEMPORAL_RETENTION_DAYS" in captured.err


async def test_embedded_mode_starts_the_server_with_the_profile_namespace(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, unused_tcp_port_factory: Callable[[], int]
) -> None:
    namespace = f"ns-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TEMPORAL_NAMESPACE", namespace)
    monkeypatch.setenv("MDA_TEMPORAL_PORT", str(unused_tcp_port_factory()))
    monkeypatch.setenv("MDA_TEMPORAL_UI_PORT", str(unused_tcp_port_factory()))
    monkeypatch.setenv("MDA_TEMPORAL_START_TIMEOUT_S", "60")
    reset_settings()
    config = EmbeddedServerConfig.from_settings(namespace=namespace)
    try:
        client = await connect_client()
        info = running_server(config)
        assert info is not None
        assert client.service_client.config.target_host == info.address
        assert client.namespace == namespace
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        assert {key.name for key in ALL_KEYS} <= set(listed.custom_attributes)
        again = await connect_client()  # the second call finds the running server
        assert running_server(config) == info
        assert again.namespace == namespace
    finally:
        stop_server(config)
