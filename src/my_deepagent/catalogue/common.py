"""Messages of the CLI's own frame: how an error, a note or a warning is introduced."""

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
}
