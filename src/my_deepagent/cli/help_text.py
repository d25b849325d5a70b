"""`--help` in the person's language.

The English help lives with each command, where its code is: the docstring and the
`help=` of every option and argument. The Korean help lives in the catalogue
(`catalogue/help_ko.py`), keyed by where it appears:

    "mda keys set"          the command's help
    "mda keys set:stdin"    the help of its `--stdin` option (by the parameter's name)
    "help_option"           `--help` itself, on every command

`localised` rewrites a command tree's help in place before click prints any of it,
and typer's own words (the panel titles, `[default: ...]`, `[required]`) while it is
open. A test walks the whole tree, so a command or option added without its Korean
help fails it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from typer import rich_utils
from typer._click import Command, Context
from typer.core import TyperGroup as Group

from my_deepagent.catalogue import Language
from my_deepagent.catalogue.help_ko import FRAMEWORK_KO, HELP_KO

HELP_OPTION = "help_option"
"""The key of `--help`'s own help, the same on every command."""


def help_entries(root: Command) -> Iterator[tuple[str, str, object]]:
    """Every (key, English help, owner) of the tree a person can see: visible
    commands and groups, and their visible options and arguments with a help."""

    def walk(command: Command, path: str) -> Iterator[tuple[str, str, object]]:
        yield path, command.help or "", command
        for param in command.params:
            text = getattr(param, "help", None)
            if text and not getattr(param, "hidden", False):
                yield f"{path}:{param.name}", text, param
        if isinstance(command, Group):
            for name, child in command.commands.items():
                if not child.hidden:
                    yield from walk(child, f"{path} {name}")

    yield from walk(root, root.name or "mda")


@contextmanager
def localised(root: Command, language: Language) -> Iterator[None]:
    """Put `language`'s help on every command and parameter of `root` (English is
    what the code already holds), and typer's own words until the block ends: they
    are module settings of typer, shared by the whole process."""
    if language == "en":
        yield
        return
    for key, _, owner in help_entries(root):
        translated = HELP_KO.get(key)
        if translated is not None:
            owner.help = translated  # type: ignore[attr-defined]
            if isinstance(owner, Command):
                owner.short_help = None
    _localise_help_options(root)
    before = {name: getattr(rich_utils, name) for name in FRAMEWORK_KO}
    for name, text in FRAMEWORK_KO.items():
        setattr(rich_utils, name, text)
    try:
        yield
    finally:
        for name, text in before.items():
            setattr(rich_utils, name, text)


def _localise_help_options(command: Command) -> None:
    option = command.get_help_option(Context(command, help_option_names=["-h", "--help"]))
    if option is not None:
        option.help = HELP_KO[HELP_OPTION]
    if isinstance(command, Group):
        for child in command.commands.values():
            _localise_help_options(child)
