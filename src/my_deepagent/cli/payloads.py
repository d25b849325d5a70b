"""Encrypted Temporal payloads: `mda payload-key new|generate|list|export` and
`mda codec-server` (see `my_deepagent.payload_codec` for how payloads are sealed).

`new` puts a fresh key in the OS keyring and keeps the one it replaces for reading
old histories; `generate` prints a key for `MDA_PAYLOAD_KEY` without storing it (a
machine with no keyring, a container); `export` prints the current key, to give the
other machines of a deployment the same one; `list` shows key ids, never a key.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(help="Keys that seal Temporal payloads.", no_args_is_help=True)


@app.command("new")
def new() -> None:
    """A new current key in the OS keyring (the old one still opens old payloads)."""
    from my_deepagent.catalogue import msg
    from my_deepagent.payload_codec import key_id, rotate_keys

    keys = rotate_keys()
    current = key_id(keys.current)
    if keys.retired:
        typer.echo(msg("operations.payload_key_new_kept", key=current, count=len(keys.retired)))
    else:
        typer.echo(msg("operations.payload_key_new", key=current))
    typer.echo(msg("operations.payload_turn_on"))


@app.command("generate")
def generate() -> None:
    """Print a fresh key (base64) for MDA_PAYLOAD_KEY, storing it nowhere."""
    from my_deepagent.payload_codec import encode_key, new_key

    sys.stdout.write(encode_key(new_key()) + "\n")


@app.command("export")
def export() -> None:
    """Print the current key (base64), for MDA_PAYLOAD_KEY on another machine."""
    from my_deepagent.payload_codec import encode_key, payload_keys
    from my_deepagent.settings import get_settings

    sys.stdout.write(encode_key(payload_keys(get_settings()).current) + "\n")


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The key ids mda can open payloads with, and which one seals."""
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.payload_codec import key_id, payload_keys
    from my_deepagent.settings import get_settings

    settings = get_settings()
    keys = payload_keys(settings)
    rows = [
        {"id": key_id(key), "use": "seals and opens" if key == keys.current else "opens"}
        for key in (keys.current, *keys.retired)
    ]
    if as_json:
        print_json({"encrypt_payloads": settings.encrypt_payloads, "source": keys.source,
                    "keys": rows})  # fmt: skip
        return
    title = msg("operations.payload_table_title")
    print_table(title, ["id", "use"], [[row["id"], row["use"]] for row in rows])
    if settings.encrypt_payloads:
        typer.echo(msg("operations.payload_sealing_on", source=keys.source))
    else:
        typer.echo(msg("operations.payload_sealing_off", source=keys.source))


def codec_server(
    host: str = typer.Option("127.0.0.1", "--host", help="A loopback address."),
    port: int = typer.Option(8081, "--port", help="The port to listen on."),
    origin: list[str] = typer.Option(
        [], "--origin", help="A Web UI origin allowed to call it (default: the embedded UI's)."
    ),
) -> None:
    """Serve Temporal's remote codec endpoint on loopback, to see sealed payloads decoded.

    The Temporal Web UI and the `temporal` CLI (`--codec-endpoint`) then show them."""
    from my_deepagent.catalogue import msg
    from my_deepagent.codec_server import CodecServer
    from my_deepagent.payload_codec import EncryptionCodec, payload_keys
    from my_deepagent.settings import get_settings

    settings = get_settings()
    ui = settings.temporal_ui_port
    origins = origin or [f"http://localhost:{ui}", f"http://127.0.0.1:{ui}"]
    server = CodecServer(
        EncryptionCodec(payload_keys(settings)), host=host, port=port, origins=origins
    )
    shown = ", ".join(origins)
    typer.echo(msg("operations.codec_server_listening", url=server.url, origins=shown))
    typer.echo(msg("operations.codec_server_web_ui", url=server.url))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
