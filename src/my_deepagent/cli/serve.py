"""`mda serve`: the HTTP API and the web GUI (see `my_deepagent.api`).

It listens on loopback unless told otherwise; any other address needs `MDA_API_TOKEN`
(at least 16 characters), which every API request must then carry. The database
and the Temporal server are reached before it listens, so either missing is one
line, not a half-started server. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import socket

import typer

MIN_TOKEN_CHARS = 16


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="The port (0: any free one)."),
) -> None:
    """Serve the HTTP API and the web GUI: follow, approve and chat from a browser."""
    import asyncio

    from my_deepagent.api.security import is_loopback
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import ConfigError
    from my_deepagent.settings import get_settings

    settings = get_settings()
    token = settings.api_token.get_secret_value().strip() if settings.api_token else ""
    if token and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(msg("operations.api_token_short", least=MIN_TOKEN_CHARS))
    if not is_loopback(host) and not token:
        raise ConfigError(msg("operations.api_needs_token", host=host))
    listening = _listen(host, port)
    asyncio.run(_serve(listening, token or None))


def _listen(host: str, port: int) -> socket.socket:
    from my_deepagent.catalogue import msg
    from my_deepagent.errors import ConfigError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off only on sockets that say they are TCP,
    # and each small answer would otherwise wait for the client's delayed ACK (~40 ms).
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise ConfigError(
            msg("operations.api_cannot_listen", host=host, port=port, reason=exc.strerror)
        ) from None
    listening.listen(128)
    return listening


async def _serve(listening: socket.socket, token: str | None) -> None:
    import uvicorn

    from my_deepagent.api.app import ApiState, create_app
    from my_deepagent.catalogue import msg
    from my_deepagent.settings import get_settings
    from my_deepagent.store.database import open_database
    from my_deepagent.temporal_config import connect_client

    settings = get_settings()
    host, port = listening.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    async with open_database(settings) as db:
        state = ApiState(settings=settings, db=db, client=await connect_client())
        app = create_app(settings, token=token, state=state)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        server = uvicorn.Server(config)
        typer.echo(msg("operations.serving", url=f"http://{shown}:{port}"))
        await server.serve(sockets=[listening])
