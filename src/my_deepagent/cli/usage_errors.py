"""click's usage errors, said from the catalogue in the person's language.

click (vendored in typer) writes its errors in English, from its own f-strings. Each
kind is recognised here by the exception's class and the fields it carries (the
option, the parameter, the pydantic error behind a bad value) and said with a
catalogue message; an error this module does not know keeps click's English text.
"""

from __future__ import annotations

import re

from typer._click import exceptions as click_errors

from my_deepagent.catalogue import msg

_REQUIRES = re.compile(r"^Option '(?P<option>[^']+)' requires (?P<count>an|\d+) arguments?\.$")
_NO_VALUE = re.compile(r"^Option '(?P<option>[^']+)' does not take a value\.$")
_NO_COMMAND = re.compile(r"^No such command '(?P<name>.+)'\.$")
_EXTRA = re.compile(r"^Got unexpected extra argument\(s\) \((?P<extra>.*)\)$", re.DOTALL)
_TAKES = re.compile(r"^Argument '(?P<argument>[^']+)' takes (?P<count>\d+) values\.$")


def usage_error_text(error: click_errors.UsageError) -> str:
    """One line for a usage error, in the person's language."""
    if isinstance(error, click_errors.NoSuchOption):
        if error.possibilities:
            possible = ", ".join(sorted(error.possibilities))
            return msg("cli.no_such_option_possible", option=error.option_name, possible=possible)
        return msg("cli.no_such_option", option=error.option_name)
    if isinstance(error, click_errors.MissingParameter):
        return _missing(error)
    if isinstance(error, click_errors.BadParameter):
        hint = _hint(error)
        problem = _value_problem(error)
        return msg("cli.bad_value", hint=hint, problem=problem) if hint else problem
    return _by_message(error.message) or error.format_message()


def _missing(error: click_errors.MissingParameter) -> str:
    hint = _hint(error)
    kind = error.param_type or (error.param.param_type_name if error.param else "")
    if kind == "option":
        text = msg("cli.missing_option", hint=hint)
    else:
        text = msg("cli.missing_argument", hint=hint)
    choices = getattr(getattr(error.param, "type_descriptor", None), "choices", None)
    if choices:
        text += " " + msg("cli.choose_from", choices=", ".join(str(c) for c in choices))
    return text


def _hint(error: click_errors.BadParameter) -> str:
    if error.param_hint is not None:
        hint = error.param_hint
        return hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)
    return error.param.get_error_hint() if error.param is not None else ""


def _value_problem(error: click_errors.BadParameter) -> str:
    """What is wrong with the value: from the pydantic error behind it when mda knows
    its kind, else the error's own words."""
    from pydantic import ValidationError

    cause = error.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return error.message
    first = cause.errors()[0]
    kind, context = first["type"], first.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float"):
        return msg("cli.value_not_integer")
    if kind == "float_parsing":
        return msg("cli.value_not_number")
    if kind == "bool_parsing":
        return msg("cli.value_not_boolean")
    if kind == "greater_than_equal" and "ge" in context:
        return msg("cli.value_at_least", limit=context["ge"])
    if kind == "greater_than" and "gt" in context:
        return msg("cli.value_above", limit=context["gt"])
    if kind == "less_than_equal" and "le" in context:
        return msg("cli.value_at_most", limit=context["le"])
    if kind == "less_than" and "lt" in context:
        return msg("cli.value_below", limit=context["lt"])
    if kind in ("literal_error", "enum") and "expected" in context:
        return msg("cli.value_one_of", expected=context["expected"])
    return error.message


def _by_message(message: str) -> str | None:
    """The errors click raises as a plain `UsageError` or `Bad*Usage`, known by their
    English words (the exception carries nothing else)."""
    if found := _REQUIRES.match(message):
        count = found["count"]
        if count == "an":
            return msg("cli.option_needs_value", option=found["option"])
        return msg("cli.option_needs_values", option=found["option"], count=int(count))
    if found := _NO_VALUE.match(message):
        return msg("cli.option_takes_no_value", option=found["option"])
    if found := _NO_COMMAND.match(message):
        return msg("cli.no_such_command", name=found["name"])
    if found := _EXTRA.match(message):
        return msg("cli.extra_arguments", extra=found["extra"])
    if found := _TAKES.match(message):
        return msg("cli.argument_takes", argument=found["argument"], count=int(found["count"]))
    if message == "Missing command.":
        return msg("cli.missing_command")
    return None
