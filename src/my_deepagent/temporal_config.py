"""Which Temporal server mda talks to, and the one way to get a client for it.

The connection follows the SDK's own `temporalio.envconfig`: `TEMPORAL_ADDRESS`,
`TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, the `TEMPORAL_TLS*` variables, and the
profile (`TEMPORAL_PROFILE`) of the Temporal config file (`TEMPORAL_CONFIG_FILE`,
by default `~/.config/temporalio/temporal.toml`), the same settings the `temporal`
CLI reads. So one install talks to the embedded server, docker-compose or Temporal
Cloud without mda-specific settings.

When none of that names an address, mda is in *embedded mode*: it runs its own dev
server on loopback (`embedded/server.py`) and never talks to a server it did not start. The
namespace still comes from the profile (default `default`); TLS and API key settings
without an address are ignored, since the embedded server is plain loopback gRPC.

The client and its data converter load inside the connect functions: `load_target()`
alone (what `mda server status` needs to pick the mode) then costs the SDK's
envconfig module, not the whole client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from my_deepagent.catalogue import msg
from my_deepagent.errors import ConfigError, ServerError

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.converter import DataConverter
    from temporalio.envconfig import ClientConnectConfig

    from my_deepagent.embedded.server import EmbeddedServerConfig

CONFIGURED_CONNECT_TIMEOUT = timedelta(seconds=10)


@dataclass(frozen=True)
class TemporalTarget:
    """The outcome of reading the Temporal client configuration (no network involved)."""

    mode: Literal["embedded", "configured"]
    namespace: str
    connect_config: ClientConnectConfig
    """For configured mode: the arguments for `Client.connect` (address, TLS, API key)."""

    @property
    def address(self) -> str | None:
        """The configured address; None in embedded mode (the server decides its port)."""
        return self.connect_config.get("target_host")


def load_target() -> TemporalTarget:
    """Read the Temporal profile from the environment and the Temporal config file."""
    from temporalio.envconfig import ClientConfigProfile

    try:
        profile = ClientConfigProfile.load()
    except RuntimeError as exc:  # the bridge's ConfigError: bad TOML, unknown profile
        text = str(exc).strip()
        first_line = text.splitlines()[0] if text else msg("operations.invalid")
        raise ConfigError(msg("operations.temporal_config_invalid", problem=first_line)) from None
    connect_config = profile.to_client_connect_config()
    namespace = profile.namespace or "default"
    mode: Literal["embedded", "configured"] = "configured" if profile.address else "embedded"
    return TemporalTarget(mode=mode, namespace=namespace, connect_config=connect_config)


def embedded_config_or_fail() -> EmbeddedServerConfig:
    """The embedded server's config from settings, or a `ServerError` when a Temporal
    server is configured (mda then never runs its own)."""
    from my_deepagent.embedded.server import EmbeddedServerConfig

    target = load_target()
    if target.mode == "configured":
        raise ServerError(msg("operations.temporal_configured_elsewhere", address=target.address))
    return EmbeddedServerConfig.from_settings(namespace=target.namespace)


async def connect_client(
    *, data_converter: DataConverter | None = None, target: TemporalTarget | None = None
) -> Client:
    """A client for mda's Temporal server, starting the embedded one if that is the mode.

    The default data converter is the pydantic one: workflow and activity inputs are
    pydantic models, and the worker must use the same converter as every client.
    """
    from temporalio.client import Client

    data_converter = data_converter or _default_data_converter()
    target = target or load_target()
    if target.mode == "embedded":
        from my_deepagent.embedded.server import EmbeddedServerConfig, ensure_server

        info = await ensure_server(EmbeddedServerConfig.from_settings(namespace=target.namespace))
        return await Client.connect(
            info.address, namespace=target.namespace, data_converter=data_converter
        )
    return await connect_configured(target, data_converter=data_converter)


async def connect_configured(
    target: TemporalTarget, *, data_converter: DataConverter | None = None
) -> Client:
    """Connect to the configured server; unreachable is a one-line `ServerError`.

    `connect_timeout` bounds only the TCP connect, not the SDK's first call after it
    (30 s on a server that accepts but hangs), so the whole connect gets the timeout.
    """
    import asyncio

    from temporalio.client import Client

    config = target.connect_config
    address = config["target_host"]
    try:
        async with asyncio.timeout(CONFIGURED_CONNECT_TIMEOUT.total_seconds()):
            return await Client.connect(
                address,
                namespace=target.namespace,
                api_key=config.get("api_key"),
                tls=config.get("tls"),
                rpc_metadata=config.get("rpc_metadata", {}),
                data_converter=data_converter or _default_data_converter(),
                connect_timeout=CONFIGURED_CONNECT_TIMEOUT,
            )
    except (RuntimeError, TimeoutError) as exc:
        reason = connect_failure_reason(exc)
        raise ServerError(
            msg("operations.temporal_unreachable", address=address, reason=reason)
        ) from None


def _default_data_converter() -> DataConverter:
    from my_deepagent.settings import get_settings
    from my_deepagent.temporal_converter import data_converter

    return data_converter(encrypted=get_settings().encrypt_payloads)


def connect_failure_reason(exc: BaseException) -> str:
    """A few words for a `Client.connect` failure (the SDK's message is a Rust debug dump)."""
    timed_out = msg("operations.reason_timed_out")
    if isinstance(exc, TimeoutError):
        return timed_out
    text = str(exc)
    lowered = text.lower()
    for needle, reason in (
        ("connection refused", msg("operations.reason_refused")),
        ("dns error", msg("operations.reason_unknown_host")),
        ("timed out", timed_out),
        ("deadline", timed_out),
        ("certificate", msg("operations.reason_tls_certificate")),
        ("tls", msg("operations.reason_tls_handshake")),
    ):
        if needle in lowered:
            return reason
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first_line[:160]
