"""`mda keys set|list|delete PROVIDER` and `mda login|logout [PROVIDER]`: provider keys in
the OS keyring (see `my_deepagent.keys` for where mda looks for a key).

`set` reads the key without echoing it (or from standard input with `--stdin`, for
scripts: `pass show openai | mda keys set openai --stdin`); `list` shows, per provider,
where the key mda would use comes from and its fingerprint, never the key. `login`
is `set` that asks for the provider when none is given; `logout` deletes one
provider's stored key, or every one.
"""

from __future__ import annotations

import sys

import typer

from my_deepagent.errors import ConfigError

app = typer.Typer(help="Provider keys in the OS keyring.", no_args_is_help=True)

PROVIDER_HELP = "openrouter, openai, anthropic or openai-compatible."


@app.command("set")
def set_key(
    provider: str = typer.Argument(..., help=PROVIDER_HELP),
    stdin: bool = typer.Option(False, "--stdin", help="Read the key from standard input."),
) -> None:
    """Store PROVIDER's key in the OS keyring (asked for without echo)."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg

    name = keys.check_provider(provider)
    keys.keyring_backend()  # no keyring: say so before asking for the key
    key = keys.check_key_text(_read_key(name, stdin))
    keys.save_key(name, key)
    fingerprint = keys.key_fingerprint(key)
    typer.echo(msg("operations.keys_saved", provider=name, fingerprint=fingerprint))
    _warn_if_shadowed(name)


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Per provider: where the key mda would use comes from, and its fingerprint."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg
    from my_deepagent.cli.output import print_json, print_table
    from my_deepagent.settings import get_settings

    settings = get_settings()
    rows = []
    for name in keys.PROVIDER_SETTINGS:
        found = keys.find_key(name, settings)
        rows.append(
            {
                "provider": name,
                "source": found.source if found else None,
                "fingerprint": found.fingerprint if found else None,
            }
        )
    if as_json:
        print_json({"keyring_available": keys.keyring_available(), "keys": rows})
        return
    table = [
        [str(r["provider"]), str(r["source"] or "-"), str(r["fingerprint"] or "-")] for r in rows
    ]
    print_table(msg("operations.keys_table_title"), ["PROVIDER", "FROM", "FINGERPRINT"], table)
    if not keys.keyring_available():
        typer.echo(msg("operations.keys_no_keyring"))


@app.command("delete")
def delete(provider: str = typer.Argument(..., help=PROVIDER_HELP)) -> None:
    """Remove PROVIDER's key from the OS keyring."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg

    name = keys.check_provider(provider)
    if keys.delete_key(name):
        typer.echo(msg("operations.keys_deleted", provider=name))
    else:
        typer.echo(msg("operations.keys_none_stored", provider=name))
    _warn_if_shadowed(name)


def login(
    provider: str | None = typer.Argument(None, help=PROVIDER_HELP),
    stdin: bool = typer.Option(False, "--stdin", help="Read the key from standard input."),
) -> None:
    """Store a provider's key in the OS keyring (asks which provider when not given)."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg

    if provider is None:
        if stdin or not sys.stdin.isatty():
            raise ConfigError(msg("operations.login_name_provider"))
        providers = ", ".join(keys.PROVIDER_SETTINGS)
        provider = typer.prompt(msg("operations.login_prompt_provider", providers=providers))
    set_key(provider, stdin)


def logout(provider: str | None = typer.Argument(None, help=PROVIDER_HELP)) -> None:
    """Remove a provider's key from the OS keyring, or every provider's."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg

    names = [keys.check_provider(provider)] if provider else list(keys.PROVIDER_SETTINGS)
    removed = [name for name in names if keys.delete_key(name)]
    if removed:
        typer.echo(msg("operations.logout_deleted", providers=", ".join(removed)))
    elif provider:
        typer.echo(msg("operations.logout_no_provider_key", provider=provider))
    else:
        typer.echo(msg("operations.logout_none"))


def _read_key(provider: str, stdin: bool) -> str:
    if stdin or not sys.stdin.isatty():
        return sys.stdin.read()
    from my_deepagent.catalogue import msg

    return str(typer.prompt(msg("operations.keys_prompt", provider=provider), hide_input=True))


def _warn_if_shadowed(provider: str) -> None:
    """Say so when the environment or the config file holds a key that wins."""
    from my_deepagent import keys
    from my_deepagent.catalogue import msg
    from my_deepagent.settings import get_settings

    found = keys.find_key(provider, get_settings())
    if found is not None and found.source != "keyring":
        where = (
            keys.env_var(provider)
            if found.source == "environment"
            else str(get_settings().paths.config_file)
        )
        typer.echo(msg("operations.keys_shadowed", provider=provider, where=where), err=True)
