"""`mda init [--yes] [--allow PROVIDER]...`: mda's folders, a commented config file, and
consent, per model provider, to send it repository content (`my_deepagent.consent`).

Asked on a terminal, one provider at a time; `--yes` allows every provider and
`--allow` the ones named, for scripts. Running it again keeps earlier answers and an
existing config file.
"""

from __future__ import annotations

import sys

import typer

CONFIG_TEMPLATE = """\
# mda's configuration. Every setting can also come from an MDA_<NAME> environment
# variable, which wins over this file. Uncomment what you need.

# Provider keys: better kept in the OS keyring (`mda keys set PROVIDER`).
# openrouter_api_key = "..."

# A local OpenAI-compatible server (llama.cpp, vLLM, Ollama) for openai-compatible:<model>.
# openai_compatible_base_url = "http://127.0.0.1:8080/v1"

# Spending caps in US dollars, and what a cap does when reached
# (block, warn_continue or prompt).
# budget_run_usd = 5
# budget_day_usd = 20
# budget_policy = "prompt"

# Compact a session's context past this share of the model's window.
# compact_threshold = 0.7

# mda's database (unset: SQLite in mda's data folder).
# database_url = "postgresql+asyncpg://mda:password@localhost/mda"
"""


def init(
    yes: bool = typer.Option(False, "--yes", "-y", help="Allow every provider, without asking."),
    allow: list[str] = typer.Option([], "--allow", help="Allow this provider (repeatable)."),
) -> None:
    """Create mda's folders and config file, and record consent per model provider."""
    from my_deepagent.catalogue import msg
    from my_deepagent.consent import PROVIDERS, consent_file, grant, granted
    from my_deepagent.keys import check_provider
    from my_deepagent.settings import get_settings

    settings = get_settings()
    paths = settings.paths
    for folder in (paths.config_dir, paths.data_dir, paths.log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if not paths.config_file.exists():
        paths.config_file.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        typer.echo(msg("operations.init_wrote", path=paths.config_file))
    named = [check_provider(name) for name in allow]
    before = granted(settings)
    if yes:
        chosen = list(PROVIDERS)
    elif named:
        chosen = named
    elif sys.stdin.isatty():
        chosen = [p for p in PROVIDERS if p in before or _ask(p)]
    else:
        chosen = []
        typer.echo(msg("operations.init_not_a_terminal"))
    answers = grant(settings, chosen) if chosen else before
    for provider in PROVIDERS:
        when = answers.get(provider)
        if when:
            typer.echo(msg("operations.init_allowed", provider=provider, when=when))
        else:
            typer.echo(msg("operations.init_not_allowed", provider=provider))
    typer.echo(msg("operations.init_consent_file", path=consent_file(settings)))


def _ask(provider: str) -> bool:
    from my_deepagent.catalogue import msg

    return bool(typer.confirm(msg("operations.init_ask", provider=provider), default=False))
