"""Messages of the CLI's own frame: how an error, a note or a warning is introduced,
and click's usage errors (a missing argument, an unknown option, a bad value)."""

from __future__ import annotations

from my_deepagent.catalogue import Text

MESSAGES: dict[str, Text] = {
    "cli.error": Text("mda: error: {message}", "mda: 오류: {message}"),
    "cli.note": Text("mda: note: {message}", "mda: 참고: {message}"),
    "cli.warning": Text("mda: warning: {message}", "mda: 경고: {message}"),
    "cli.see_help": Text(" (see '{command} --help')", " ('{command} --help' 참고)"),
    "cli.aborted": Text("aborted", "중단했습니다"),
    "cli.interrupted": Text("interrupted", "중단되었습니다"),
    "cli.unexpected": Text(
        "{kind}: {first} (set MDA_DEBUG=1 for the traceback)",
        "{kind}: {first} (트레이스백을 보려면 MDA_DEBUG=1 을 설정하세요)",
    ),
    "cli.no_message": Text("no message", "메시지 없음"),
    "cli.no_such_option": Text("No such option: {option}", "그런 옵션이 없습니다: {option}"),
    "cli.no_such_option_possible": Text(
        "No such option: {option} (Possible options: {possible})",
        "그런 옵션이 없습니다: {option} (가능한 옵션: {possible})",
    ),
    "cli.missing_argument": Text("Missing argument {hint}.", "인자 {hint} 가 빠졌습니다."),
    "cli.missing_option": Text("Missing option {hint}.", "옵션 {hint} 가 빠졌습니다."),
    "cli.choose_from": Text("Choose from: {choices}.", "다음 중에서 고르세요: {choices}."),
    "cli.bad_value": Text(
        "Invalid value for {hint}: {problem}", "{hint} 의 값이 잘못되었습니다: {problem}"
    ),
    "cli.value_not_integer": Text(
        "Input should be a valid integer, unable to parse string as an integer",
        "정수여야 합니다",
    ),
    "cli.value_not_number": Text(
        "Input should be a valid number, unable to parse string as a number", "숫자여야 합니다"
    ),
    "cli.value_not_boolean": Text(
        "Input should be a valid boolean, unable to interpret input",
        "참 또는 거짓(true/false)이어야 합니다",
    ),
    "cli.value_at_least": Text(
        "Input should be greater than or equal to {limit}", "{limit} 이상이어야 합니다"
    ),
    "cli.value_above": Text("Input should be greater than {limit}", "{limit} 보다 커야 합니다"),
    "cli.value_at_most": Text(
        "Input should be less than or equal to {limit}", "{limit} 이하여야 합니다"
    ),
    "cli.value_below": Text("Input should be less than {limit}", "{limit} 보다 작아야 합니다"),
    "cli.value_one_of": Text("Input should be {expected}", "다음 중 하나여야 합니다: {expected}"),
    "cli.option_needs_value": Text(
        "Option '{option}' requires an argument.", "옵션 '{option}' 에는 값이 필요합니다."
    ),
    "cli.option_needs_values": Text(
        "Option '{option}' requires {count} arguments.",
        "옵션 '{option}' 에는 값이 {count}개 필요합니다.",
    ),
    "cli.option_takes_no_value": Text(
        "Option '{option}' does not take a value.", "옵션 '{option}' 은 값을 받지 않습니다."
    ),
    "cli.no_such_command": Text("No such command '{name}'.", "'{name}' 이라는 명령이 없습니다."),
    "cli.extra_arguments": Text(
        "Got unexpected extra argument(s) ({extra})", "필요 없는 인자가 더 있습니다 ({extra})"
    ),
    "cli.argument_takes": Text(
        "Argument '{argument}' takes {count} values.",
        "인자 '{argument}' 는 값을 {count}개 받습니다.",
    ),
    "cli.missing_command": Text("Missing command.", "명령이 빠졌습니다."),
}
