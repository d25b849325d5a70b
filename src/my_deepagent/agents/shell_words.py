"""Split a shell command line into simple commands, so safety rules see every program.

The safety rules (`safety_rules.py`) judge programs and their arguments, so a refused
program must not hide behind `;`, `&&`, a pipe, a newline, a subshell, a `$( )`, a
backtick or a here-document. This is not a shell: it over-splits rather than
under-splits. A quoted `";"` counts as a separator and comments are kept as words, which
can only add commands to check, never hide one.

Command substitutions (`$( )`, backticks, `<( )`, `>( )`) are cut out and replaced by a
placeholder word before tokenising; their bodies are returned for the caller to check
as commands of their own. Here-document bodies are data, not commands: they are dropped
(an unquoted one may still run substitutions, so those are extracted first).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

PUNCTUATION = "();<>|&\n"
PLACEHOLDER = "__mda_substitution_{}__"
PLACEHOLDER_PATTERN = re.compile(r"__mda_substitution_(\d+)__")

_HEREDOC = re.compile(r"(?<!<)<<(-?)[ \t]*(['\"]?)([A-Za-z_][\w.-]*)\2")
_FD_DUPLICATE = re.compile(r"^(\d+|-)$")


class ShellParseError(ValueError):
    """The command line has unbalanced quotes or substitutions."""


@dataclass(frozen=True)
class SimpleCommand:
    """One program invocation: its words, its redirections, and how it is joined."""

    argv: tuple[str, ...]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    piped: bool = False
    """True when its standard input is the previous command's output (`a | b`)."""


@dataclass(frozen=True)
class ParsedShell:
    commands: tuple[SimpleCommand, ...]
    substitutions: tuple[str, ...]


def parse(command: str) -> ParsedShell:
    """The simple commands of `command` and the bodies of its substitutions."""
    without_literal_heredocs, unquoted_bodies = _strip_heredocs(command)
    text, substitutions = _extract_substitutions(without_literal_heredocs)
    for body in unquoted_bodies:
        substitutions.extend(_extract_substitutions(body)[1])
    return ParsedShell(_split_commands(_tokens(text)), tuple(substitutions))


def _strip_heredocs(command: str) -> tuple[str, list[str]]:
    """The command without here-document bodies, and the bodies that expand `$( )`."""
    kept: list[str] = []
    expanding: list[str] = []
    pending: list[tuple[str, bool, bool]] = []
    body: list[str] = []
    for line in command.split("\n"):
        if pending:
            delimiter, strip_tabs, quoted = pending[0]
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                if not quoted:
                    expanding.append("\n".join(body))
                body = []
                pending.pop(0)
            else:
                body.append(line)
            continue
        kept.append(line)
        for match in _HEREDOC.finditer(line):
            pending.append((match.group(3), match.group(1) == "-", bool(match.group(2))))
    if body and pending and not pending[0][2]:
        expanding.append("\n".join(body))
    return "\n".join(kept), expanding


def _extract_substitutions(text: str) -> tuple[str, list[str]]:
    """`text` with each substitution replaced by a placeholder, and the bodies."""
    bodies: list[str] = []
    out: list[str] = []
    i = 0
    in_single = in_double = False
    while i < len(text):
        char = text[i]
        if char == "\\" and not in_single:
            out.append(text[i : i + 2])
            i += 2
            continue
        if char == "'" and not in_double:
            in_single = not in_single
        elif char == '"' and not in_single:
            in_double = not in_double
        elif not in_single:
            opener = text[i : i + 2]
            if opener == "$(" or (opener in ("<(", ">(") and not in_double):
                end = _closing_paren(text, i + 2)
                bodies.append(text[i + 2 : end])
                out.append(PLACEHOLDER.format(len(bodies) - 1))
                i = end + 1
                continue
            if char == "`":
                end = text.find("`", i + 1)
                if end < 0:
                    raise ShellParseError("unbalanced backtick")
                bodies.append(text[i + 1 : end])
                out.append(PLACEHOLDER.format(len(bodies) - 1))
                i = end + 1
                continue
        out.append(char)
        i += 1
    return "".join(out), bodies


def _closing_paren(text: str, start: int) -> int:
    depth = 1
    quote = ""
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\" and quote != "'":
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ShellParseError("unbalanced $( or <(")


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=PUNCTUATION)
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise ShellParseError(str(exc)) from exc


def _is_operator(token: str) -> bool:
    return bool(token) and all(char in PUNCTUATION for char in token)


def _separates(operator: str) -> bool:
    redirect_only = operator.replace("&>", "").replace(">&", "").replace("<&", "")
    return any(char in redirect_only for char in "();\n|&") and operator != ">|"


def _split_commands(tokens: list[str]) -> tuple[SimpleCommand, ...]:
    commands: list[SimpleCommand] = []
    argv: list[str] = []
    reads: list[str] = []
    writes: list[str] = []
    piped = False

    def flush() -> None:
        if argv or reads or writes:
            commands.append(SimpleCommand(tuple(argv), tuple(reads), tuple(writes), piped))
        argv.clear()
        reads.clear()
        writes.clear()

    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_operator(token):
            argv.append(token)
            i += 1
            continue
        if _separates(token):
            flush()
            piped = "|" in token and "||" not in token
        if ("<" in token or ">" in token) and i + 1 < len(tokens):
            target = tokens[i + 1]
            if not _is_operator(target):
                i += 1
                if "<<" in token:
                    pass
                elif ">" in token:
                    if not (token.endswith("&") and _FD_DUPLICATE.match(target)):
                        writes.append(target)
                elif not (token.endswith("&") and _FD_DUPLICATE.match(target)):
                    reads.append(target)
        i += 1
    flush()
    return tuple(commands)
