"""Messages of sessions: the REPL, `mda chat`, `mda sessions`, and a session's refusals."""

from __future__ import annotations

from my_deepagent.catalogue import Text

_COMPACTION_KEEPS_EN = (
    "compaction keeps the {keep} most recent and needs at least {least} older ones"
)
_COMPACTION_KEEPS_KO = (
    "압축은 최근 메시지 {keep}개를 남기며, 그보다 오래된 메시지가 {least}개 이상 있어야 합니다"
)
_REFERENCE_ROOT_KO = "({root} 아래의 파일만 참조할 수 있습니다)"
_QUOTE_INSTEAD_KO = "(대신 필요한 부분만 인용하세요)"

MESSAGES: dict[str, Text] = {
    # How the REPL introduces a line.
    "chat.repl_error": Text("error: {message}", "오류: {message}"),
    "chat.repl_note": Text("note: {message}", "참고: {message}"),
    "chat.repl_warning": Text("warning: {message}", "경고: {message}"),
    "chat.repl_unexpected": Text(
        "error: {kind}: {first} (the session is kept; try again)",
        "오류: {kind}: {first} (세션은 그대로 있습니다. 다시 시도하세요)",
    ),
    # The REPL's banner and its history.
    "chat.banner_new": Text(
        "New session {session} · {persona} on {model} · {repo}",
        "새 세션 {session} · {persona} ({model}) · {repo}",
    ),
    "chat.banner_resumed": Text(
        "Session {session} · {persona} on {model} · {repo}",
        "세션 {session} · {persona} ({model}) · {repo}",
    ),
    "chat.banner_help": Text(
        "Type a message, /help for commands, Ctrl-D to leave.",
        "메시지를 입력하세요. 명령 목록은 /help, 나가려면 Ctrl-D를 누르세요.",
    ),
    "chat.no_price": Text(
        "mda has no price for {model}: this session's cost shows as unknown "
        "(`mda pricing --refresh` reads OpenRouter's prices)",
        "mda에 {model}의 가격 정보가 없어 이 세션의 비용은 알 수 없음으로 표시됩니다 "
        "(`mda pricing --refresh`로 OpenRouter의 가격을 읽어 옵니다)",
    ),
    "chat.sandbox_off": Text(
        "the agent's shell runs UNCONFINED (MDA_SANDBOX=off): it can read and change "
        "anything your user can. Unset MDA_SANDBOX to confine it again.",
        "에이전트의 셸이 격리되지 않은 채 실행됩니다 (MDA_SANDBOX=off). 현재 사용자가 할 수 "
        "있는 모든 것을 읽고 바꿀 수 있습니다. 다시 격리하려면 MDA_SANDBOX 설정을 지우세요.",
    ),
    "chat.unconfined_earlier": Text(
        "earlier turns ran the agent's shell unconfined (since {when})",
        "이전 턴에서 에이전트의 셸이 격리되지 않은 채 실행되었습니다 ({when}부터)",
    ),
    "chat.history_hidden": Text(
        "({hidden} earlier messages; `mda sessions show {session}`)",
        "(이전 메시지 {hidden}개는 생략했습니다. 전체 보기: `mda sessions show {session}`)",
    ),
    "chat.history_summary": Text("summary: {content}", "요약: {content}"),
    "chat.history_you": Text("you: {content}", "나: {content}"),
    "chat.history_agent": Text("agent: {content}", "에이전트: {content}"),
    "chat.session_kept": Text(
        "Session {session} kept. Resume it: mda sessions resume {session}",
        "세션 {session}은(는) 그대로 남아 있습니다. 이어서 하려면: mda sessions resume {session}",
    ),
    # A turn at the REPL.
    "chat.attached": Text("(attached {files})", "(첨부: {files})"),
    "chat.turn_cancelled": Text(
        "(turn cancelled; the session goes on)", "(턴을 취소했습니다. 세션은 계속됩니다)"
    ),
    "chat.cancelling": Text("(cancelling the turn...)", "(턴을 취소하는 중...)"),
    "chat.turn_waits": Text("The turn waits: {gate}.", "턴이 기다리고 있습니다: {gate}."),
    "chat.raise_or_cancel": Text(
        "Raise it with `mda budget raise {session} --usd AMOUNT`, or cancel the turn (Ctrl-C).",
        "`mda budget raise {session} --usd AMOUNT`로 한도를 올리거나 턴을 취소하세요 (Ctrl-C).",
    ),
    "chat.ask_new_cap": Text(
        "New {scope} cap in US dollars (e.g. {example}), or Enter to cancel the turn: ",
        "새 {scope} 한도를 미국 달러로 입력하세요 (예: {example}). 턴을 취소하려면 Enter: ",
    ),
    "chat.the_new_cap": Text("the new cap", "새 한도"),
    "chat.the_scope": Text("the scope", "범위"),
    "chat.cap_not_above": Text(
        "the new cap must be above ${cap}", "새 한도는 ${cap}보다 커야 합니다"
    ),
    "chat.cap_raised_goes_on": Text(
        "(the {scope} cap is now ${usd}; the turn goes on)",
        "({scope} 한도가 이제 ${usd}입니다. 턴을 계속합니다)",
    ),
    # The REPL's slash commands.
    "chat.show_agent": Text("agent: {persona} (on {model})", "에이전트: {persona} ({model})"),
    "chat.show_model": Text("model: {model}", "모델: {model}"),
    "chat.switched": Text(
        "now talking to {persona} on {model} (a new agent context, same conversation)",
        "이제 {persona}({model})와 대화합니다 (새 에이전트 컨텍스트, 같은 대화)",
    ),
    "chat.cleared": Text(
        "cleared: the visible messages are archived and the agent starts afresh",
        "지웠습니다: 보이던 메시지는 보관했고 에이전트는 새로 시작합니다",
    ),
    "chat.nothing_compacted": Text("nothing compacted: {reason}", "압축하지 않았습니다: {reason}"),
    "chat.secret_in_note": Text(
        "a secret in the note was replaced; memory never holds keys",
        "메모에 있던 비밀 값을 다른 표시로 바꿨습니다. 메모리에는 키를 저장하지 않습니다",
    ),
    "chat.remembered": Text(
        "remembered as {slug} ({file}); the agent sees it from the next turn",
        "{slug}({file})(으)로 기억했습니다. 에이전트는 다음 턴부터 이 메모를 봅니다",
    ),
    "chat.forgot": Text("forgot {slug}", "{slug}을(를) 잊었습니다"),
    "chat.no_memory_notes": Text(
        "no memory notes yet ({folder}); /remember <text> adds one",
        "아직 메모가 없습니다 ({folder}). /remember <text>로 추가하세요",
    ),
    "chat.memory_notes": Text("{count} memory notes in {folder}:", "{folder}의 메모 {count}개:"),
    "chat.memory_note_line": Text(
        "{slug}: {title} ({chars} characters)", "{slug}: {title} ({chars}자)"
    ),
    "chat.stats_session": Text(
        "session {session} · {turns} turns · {visible} visible messages ({archived} archived) "
        "· {compactions} compactions",
        "세션 {session} · 턴 {turns}회 · 보이는 메시지 {visible}개 (보관 {archived}개) "
        "· 압축 {compactions}회",
    ),
    "chat.stats_context": Text(
        "context: {tokens} of {window} tokens ({share}%)",
        "컨텍스트: {window} 토큰 중 {tokens} 토큰 ({share}%)",
    ),
    "chat.stats_used": Text(
        "used: {input} input, {output} output, {cached} cached tokens",
        "사용량: 입력 {input}, 출력 {output}, 캐시 {cached} 토큰",
    ),
    "chat.stats_cost": Text(
        "cost: {cost} over {calls} model calls", "비용: 모델 호출 {calls}회에 {cost}"
    ),
    "chat.stats_cost_unpriced": Text(
        "cost: {cost} over {calls} model calls (+ {unpriced} calls of unknown cost)",
        "비용: 모델 호출 {calls}회에 {cost} (+ 비용을 알 수 없는 호출 {unpriced}회)",
    ),
    "chat.no_caps": Text(
        "no caps are set (`/budget raise 2` caps this session at $2)",
        "설정된 한도가 없습니다 (`/budget raise 2`로 이 세션의 한도를 $2로 정할 수 있습니다)",
    ),
    "chat.budget_raise_usage": Text(
        "/budget raise <usd> [run|session|day|persona_day], e.g. /budget raise 2",
        "사용법: /budget raise <usd> [run|session|day|persona_day] (예: /budget raise 2)",
    ),
    "chat.cap_set": Text(
        "the {scope} cap of this session is now ${usd}",
        "이 세션의 {scope} 한도가 이제 ${usd}입니다",
    ),
    "chat.no_runs": Text(
        "no runs in this repository yet (`mda start TEMPLATE` starts one)",
        "이 저장소에는 아직 실행이 없습니다 (`mda start TEMPLATE`으로 시작하세요)",
    ),
    # What each slash command does (`/help`).
    "chat.help_help": Text("show these commands", "이 명령 목록을 보여 줍니다"),
    "chat.help_quit": Text(
        "leave the REPL (the session stays; resume it later)",
        "REPL을 나갑니다 (세션은 남아 있어 나중에 이어서 할 수 있습니다)",
    ),
    "chat.help_exit": Text("same as /quit", "/quit과 같습니다"),
    "chat.help_agent": Text(
        "show the current persona, or switch to another (fresh context)",
        "현재 페르소나를 보여 주거나 다른 페르소나로 바꿉니다 (새 컨텍스트)",
    ),
    "chat.help_model": Text(
        "show the current model, or switch to another (fresh context)",
        "현재 모델을 보여 주거나 다른 모델로 바꿉니다 (새 컨텍스트)",
    ),
    "chat.help_clear": Text(
        "archive the visible messages and start a fresh context",
        "보이는 메시지를 보관하고 새 컨텍스트를 시작합니다",
    ),
    "chat.help_stats": Text(
        "messages, tokens and cost of this session", "이 세션의 메시지, 토큰, 비용을 보여 줍니다"
    ),
    "chat.help_budget": Text(
        "spending against the caps, or raise one (default: the session's)",
        "한도 대비 지출을 보여 주거나 한도 하나를 올립니다 (기본: 세션 한도)",
    ),
    "chat.help_runs": Text("recent runs in this repository", "이 저장소의 최근 실행을 보여 줍니다"),
    "chat.help_compact": Text(
        "summarise older messages now to free context",
        "오래된 메시지를 지금 요약해 컨텍스트를 비웁니다",
    ),
    "chat.help_remember": Text(
        "save a note to this project's memory", "이 프로젝트의 메모리에 메모를 저장합니다"
    ),
    "chat.help_forget": Text(
        "remove a note from this project's memory", "이 프로젝트의 메모리에서 메모를 지웁니다"
    ),
    "chat.help_memory": Text(
        "list this project's memory notes", "이 프로젝트의 메모 목록을 보여 줍니다"
    ),
    "chat.help_path": Text(
        "send a repository file along with your message",
        "저장소의 파일을 메시지와 함께 보냅니다",
    ),
    "chat.help_newline": Text(
        "new line (or end the line with \\); Enter sends",
        "줄 바꿈 (또는 줄 끝에 \\를 쓰세요). Enter를 누르면 보냅니다",
    ),
    # A slash command typed wrong.
    "chat.slash_unknown": Text(
        "unknown command /{word} (see /help; start the line with a space to send it as a message)",
        "알 수 없는 명령 /{word}입니다 (/help 참고. 메시지로 보내려면 줄을 공백으로 시작하세요)",
    ),
    "chat.slash_needs_argument": Text(
        "/{name} needs an argument: {usage}", "/{name}에는 인자가 필요합니다: {usage}"
    ),
    "chat.slash_no_argument": Text(
        "/{name} takes no argument (got {got})", "/{name}은(는) 인자를 받지 않습니다 (입력: {got})"
    ),
    "chat.slash_one_word": Text(
        "/{name} takes one word, not {got}: {usage}",
        "/{name}은(는) 한 단어만 받습니다 (입력: {got}): {usage}",
    ),
    "chat.slash_one_line": Text(
        "/{name} takes one line: {usage}", "/{name}은(는) 한 줄만 받습니다: {usage}"
    ),
    "chat.nothing_to_remember": Text(
        "nothing to remember: /remember <text>", "기억할 내용이 없습니다: /remember <text>"
    ),
    "chat.forget_which": Text(
        "/forget <slug>: which note? (see /memory)",
        "/forget <slug>: 어떤 메모인가요? (/memory 참고)",
    ),
    # `mda chat`.
    "chat.compact_at_new_only": Text(
        "--compact-at applies to a new session: drop it or --session",
        "--compact-at은 새 세션에만 적용됩니다: --compact-at이나 --session 중 하나를 빼세요",
    ),
    "chat.json_needs_message": Text(
        "--json needs -m TEXT (the REPL prints for people)",
        "--json에는 -m TEXT가 필요합니다 (REPL은 사람이 읽는 출력만 냅니다)",
    ),
    "chat.turn_waits_raise_with": Text(
        "the turn waits: {gate}; raise it with `mda budget raise {session} --usd {cap}`",
        "턴이 기다리고 있습니다: {gate}. `mda budget raise {session} --usd {cap}`로 "
        "한도를 올리세요",
    ),
    "chat.one_shot_session": Text("session {session}", "세션 {session}"),
    "chat.not_compacted": Text(
        "context not compacted: {reason}", "컨텍스트를 압축하지 않았습니다: {reason}"
    ),
    "chat.compacted": Text(
        "context compacted: {archived} messages summarised and archived, "
        "{before} -> {after} tokens ({saved} saved)",
        "컨텍스트를 압축했습니다: 메시지 {archived}개를 요약해 보관했고, "
        "{before} -> {after} 토큰 ({saved} 토큰 절약)",
    ),
    # `mda sessions`.
    "chat.sessions_title": Text("Sessions", "세션"),
    "chat.show_header": Text("Session {session} ({state})", "세션 {session} ({state})"),
    "chat.show_title": Text("title: {title}", "제목: {title}"),
    "chat.show_no_title": Text("title: (none yet)", "제목: (아직 없음)"),
    "chat.show_agent_line": Text("agent: {persona} on {model}", "에이전트: {persona} ({model})"),
    "chat.show_repository": Text("repository: {repo}", "저장소: {repo}"),
    "chat.show_turns": Text(
        "turns: {turns} · context {context} tokens · used {input} in / {output} out",
        "턴: {turns}회 · 컨텍스트 {context} 토큰 · 사용량 입력 {input} / 출력 {output}",
    ),
    "chat.show_unconfined": Text(
        "agent shell: UNCONFINED since {when} (MDA_SANDBOX=off)",
        "에이전트 셸: {when}부터 격리되지 않음 (MDA_SANDBOX=off)",
    ),
    "chat.show_spent": Text("spent: {spent}", "지출: {spent}"),
    "chat.show_spent_of": Text(
        "spent: {spent} of {cap} ({policy})", "지출: {cap} 중 {spent} ({policy})"
    ),
    "chat.show_waiting": Text(
        "waiting: {gate} (mda budget raise {session} --usd {cap})",
        "대기 중: {gate} (mda budget raise {session} --usd {cap})",
    ),
    "chat.flag_summary": Text(" [summary]", " [요약]"),
    "chat.flag_archived": Text(" [archived]", " [보관됨]"),
    "chat.session_ended_now": Text("Session {session} ended.", "세션 {session}을(를) 끝냈습니다."),
    "chat.session_already_ended": Text(
        "Session {session} had already ended.", "세션 {session}은(는) 이미 끝난 세션입니다."
    ),
    "chat.restore_nothing": Text(
        "Session {session} has no recorded working tree yet.",
        "세션 {session}에는 아직 기록된 작업 트리가 없습니다.",
    ),
    "chat.restore_title": Text(
        "Working trees of session {session} in {repo}", "{repo}에 있는 세션 {session}의 작업 트리"
    ),
    "chat.restore_hint": Text(
        "Restore one with: mda sessions restore {session} --turn N",
        "하나를 복원하려면: mda sessions restore {session} --turn N",
    ),
    "chat.restore_no_turn": Text(
        "session {session} has no record of the working tree before turn {turn} "
        "(recorded turns: {turns}; list them with `mda sessions restore {session}`)",
        "세션 {session}에는 턴 {turn} 이전의 작업 트리 기록이 없습니다 "
        "(기록된 턴: {turns}. 목록은 `mda sessions restore {session}`으로 보세요)",
    ),
    "chat.restore_no_turn_yet": Text(
        "session {session} has no record of the working tree before turn {turn} "
        "(recorded turns: none yet; list them with `mda sessions restore {session}`)",
        "세션 {session}에는 턴 {turn} 이전의 작업 트리 기록이 없습니다 "
        "(기록된 턴: 아직 없음. 목록은 `mda sessions restore {session}`으로 보세요)",
    ),
    "chat.restored": Text(
        "Restored {count} files in {repo} as they were before turn {turn}; files created "
        "since were kept. The files as they were just now are recorded at {undo}.",
        "{repo}의 파일 {count}개를 턴 {turn} 이전 상태로 복원했습니다. 그 뒤에 만든 파일은 "
        "그대로 두었습니다. 복원 직전 상태의 파일은 {undo}에 기록해 두었습니다.",
    ),
    # Rewinding a session (`/rewind`, `mda sessions rewind`).
    "chat.help_rewind": Text(
        "list the recent turns, or go back to before one: its conversation, its files or both",
        "최근 턴을 보여 주거나, 한 턴 이전으로 돌아갑니다: 대화, 파일, 또는 둘 다",
    ),
    "chat.rewind_title": Text(
        "Turns of session {session} (files: how many the turn changed)",
        "세션 {session}의 턴 (파일: 그 턴이 바꾼 파일 수)",
    ),
    "chat.rewind_nothing_yet": Text(
        "Session {session} has no turns to rewind yet.",
        "세션 {session}에는 아직 되돌릴 턴이 없습니다.",
    ),
    "chat.rewind_hint": Text(
        "Rewind with: mda sessions rewind {session} --to N [--files|--conversation|--both]",
        "되돌리려면: mda sessions rewind {session} --to N [--files|--conversation|--both]",
    ),
    "chat.rewind_repl_hint": Text(
        "Rewind with: /rewind N [--files|--conversation|--both] [--force]",
        "되돌리려면: /rewind N [--files|--conversation|--both] [--force]",
    ),
    "chat.rewind_usage": Text(
        "usage: /rewind [N [--files|--conversation|--both] [--force]] (N: a turn number)",
        "사용법: /rewind [N [--files|--conversation|--both] [--force]] (N: 턴 번호)",
    ),
    "chat.rewind_one_part": Text(
        "give at most one of --files, --conversation and --both",
        "--files, --conversation, --both 중 하나만 주세요",
    ),
    "chat.rewind_ask_turn": Text(
        "Rewind to before which turn? (empty: none) ", "어느 턴 이전으로 되돌릴까요? (비우면 취소) "
    ),
    "chat.rewind_ask_part": Text(
        "The conversation, the files or both? [c/f/B] ", "대화, 파일, 또는 둘 다? [c/f/B] "
    ),
    "chat.rewind_not_done": Text("nothing was rewound", "아무것도 되돌리지 않았습니다"),
    "chat.rewound_conversation": Text(
        "conversation rewound to before turn {turn}: {archived} messages archived, "
        "{restored} brought back, {visible} visible; the agent starts a new context "
        "(`mda sessions show --all` still shows everything)",
        "대화를 턴 {turn} 이전으로 되돌렸습니다: 메시지 {archived}개 보관, {restored}개 복귀, "
        "{visible}개 표시. 에이전트는 새 컨텍스트로 시작합니다 "
        "(`mda sessions show --all`은 모두 보여 줍니다)",
    ),
    "chat.rewound_files": Text(
        "files rewound to before turn {turn}: {written} written, {deleted} removed; the "
        "files as they were just now are recorded at {undo}",
        "파일을 턴 {turn} 이전으로 되돌렸습니다: {written}개 씀, {deleted}개 지움. 되돌리기 "
        "직전 상태의 파일은 {undo}에 기록해 두었습니다",
    ),
    "chat.rewind_ended": Text(
        "session {session} has ended and cannot be rewound; its files can still be "
        "restored: mda sessions restore {session} --turn N",
        "세션 {session}은(는) 끝나서 되돌릴 수 없습니다. 파일은 복원할 수 있습니다: "
        "mda sessions restore {session} --turn N",
    ),
    "chat.rewind_busy": Text(
        "session {session} is busy (a turn or a command runs or waits): rewind once it "
        "is idle, or cancel the turn first (Ctrl-C)",
        "세션 {session}이(가) 작업 중입니다 (턴이나 명령이 실행 중이거나 대기 중): 끝난 뒤 "
        "되돌리거나, 먼저 턴을 취소하세요 (Ctrl-C)",
    ),
    "chat.rewind_nothing": Text(
        "nothing to rewind: ask for the conversation, the files or both",
        "되돌릴 것이 없습니다: 대화, 파일, 또는 둘 다를 고르세요",
    ),
    "chat.rewind_no_turns": Text(
        "session {session} has no turn {turn}: it has had no turns yet",
        "세션 {session}에는 턴 {turn}이(가) 없습니다: 아직 턴이 없습니다",
    ),
    "chat.rewind_no_turn": Text(
        "session {session} has no turn {turn}: its turns are 1 to {last} "
        "(list them with `mda sessions rewind {session}`)",
        "세션 {session}에는 턴 {turn}이(가) 없습니다: 턴은 1부터 {last}까지입니다 "
        "(목록은 `mda sessions rewind {session}`으로 보세요)",
    ),
    "chat.rewind_turn_has_no_message": Text(
        "session {session} has no message of turn {turn} (turns with one: {turns})",
        "세션 {session}에는 턴 {turn}의 메시지가 없습니다 (메시지가 있는 턴: {turns})",
    ),
    "chat.rewind_no_files": Text(
        "session {session} has no record of the files before turn {turn}: rewind the "
        "conversation only (--conversation)",
        "세션 {session}에는 턴 {turn} 이전의 파일 기록이 없습니다: 대화만 되돌리세요 "
        "(--conversation)",
    ),
    "chat.rewind_outside_changes": Text(
        "{count} files changed outside session {session} since turn {turn}: {files}; "
        "the check compares their contents, so commit or copy them, then rewind with --force "
        "(or only the conversation)",
        "턴 {turn} 이후 세션 {session} 밖에서 파일 {count}개가 바뀌었습니다: {files}. 내용을 "
        "비교하므로 커밋하거나 복사해 둔 뒤 --force로 되돌리세요 (또는 대화만)",
    ),
    "chat.rewind_marker_taken": Text(
        "session {session} was not rewound: seq {seq} is not the marker of this rewind "
        "to before turn {turn} (another row holds it; nothing was changed)",
        "세션 {session}을(를) 되돌리지 않았습니다: seq {seq}은(는) 턴 {turn} 이전으로 "
        "되돌리는 이 작업의 표시가 아닙니다 (다른 행이 차지하고 있어 아무것도 바꾸지 "
        "않았습니다)",
    ),
    "chat.rewind_git_failed": Text(
        "the files could not be rewound: {reason} (nothing is lost: `git for-each-ref "
        "refs/mda` lists the records)",
        "파일을 되돌리지 못했습니다: {reason} (잃은 것은 없습니다: `git for-each-ref "
        "refs/mda`가 기록을 보여 줍니다)",
    ),
    # Looking a session up.
    "chat.session_id_too_short": Text(
        "session id {text} is too short: give at least {least} characters of the session id "
        "(see mda sessions list)",
        "세션 ID {text}이(가) 너무 짧습니다: 세션 ID를 {least}자 이상 쓰세요 "
        "(mda sessions list 참고)",
    ),
    "chat.no_session_matches": Text(
        "no session matches {text} (see mda sessions list)",
        "{text}와(과) 일치하는 세션이 없습니다 (mda sessions list 참고)",
    ),
    "chat.session_id_ambiguous": Text(
        "session id {text} is ambiguous: it matches {shown} (give more characters)",
        "세션 ID {text}이(가) 모호합니다: {shown}와(과) 일치합니다 (글자를 더 쓰세요)",
    ),
    "chat.session_id_ambiguous_more": Text(
        "session id {text} is ambiguous: it matches {shown} and more (give more characters)",
        "세션 ID {text}이(가) 모호합니다: {shown} 외 여러 세션과 일치합니다 (글자를 더 쓰세요)",
    ),
    "chat.no_session": Text(
        "no session {session} (see mda sessions list)",
        "세션 {session}이(가) 없습니다 (mda sessions list 참고)",
    ),
    # Opening a session: the persona, the model, the worker.
    "chat.offline_needs_scripted": Text(
        "--offline needs a scripted model, not {spec} (drop --model or --offline)",
        "--offline에는 scripted 모델이 필요합니다. {spec}은(는) 쓸 수 없습니다 "
        "(--model이나 --offline을 빼세요)",
    ),
    "chat.no_chat_persona": Text(
        "no persona can chat: add one, or pass --agent ID",
        "대화할 수 있는 페르소나가 없습니다: 하나를 추가하거나 --agent ID를 지정하세요",
    ),
    "chat.no_scripted_chat_persona": Text(
        "no scripted persona can chat: add one, or pass --agent ID",
        "대화할 수 있는 scripted 페르소나가 없습니다: 하나를 추가하거나 --agent ID를 지정하세요",
    ),
    "chat.scripted_fallback": Text(
        "{reason}; until then this session uses {persona}, a scripted model that only "
        "echoes and reads files",
        "{reason}. 그때까지 이 세션은 입력을 되풀이하고 파일을 읽기만 하는 scripted 모델 "
        "{persona}을(를) 씁니다",
    ),
    "chat.no_worker": Text(
        "no worker polls mda's task queue: messages wait until one does (`mda worker`)",
        "mda의 작업 큐를 폴링하는 워커가 없습니다: 워커가 생길 때까지 메시지는 기다립니다 "
        "(`mda worker`)",
    ),
    "chat.session_ended": Text(
        "session {session} has ended: start a new one with `mda chat`",
        "세션 {session}은(는) 끝났습니다: `mda chat`으로 새 세션을 시작하세요",
    ),
    "chat.session_not_running": Text(
        "session {session} is not running: `mda sessions resume {short}` restarts it",
        "세션 {session}이(가) 실행 중이 아닙니다: `mda sessions resume {short}`으로 다시 "
        "시작하세요",
    ),
    # A message that cannot be sent.
    "chat.message_empty": Text(
        "the message is empty: type something to send",
        "메시지가 비어 있습니다: 보낼 내용을 입력하세요",
    ),
    "chat.message_too_large": Text(
        "the message is {size} KiB, over the {limit} KiB limit: send a shorter message or "
        "reference files with @path",
        "메시지가 {size} KiB로 한도 {limit} KiB를 넘습니다: 더 짧게 보내거나 @path로 "
        "파일을 참조하세요",
    ),
    "chat.message_too_large_bytes": Text(
        "the message is {size} bytes, over the {limit} KiB limit: send a shorter message or "
        "reference files with @path",
        "메시지가 {size}바이트로 한도 {limit} KiB를 넘습니다: 더 짧게 보내거나 @path로 "
        "파일을 참조하세요",
    ),
    "chat.message_kind": Text(
        "a message has either inline text or a body reference",
        "메시지에는 인라인 텍스트와 본문 참조 중 하나만 있어야 합니다",
    ),
    "chat.message_not_inline": Text(
        "a message over 16 KiB must travel as a body reference",
        "16 KiB가 넘는 메시지는 본문 참조로 보내야 합니다",
    ),
    "chat.message_redacted": Text(
        "a secret in your message was replaced with {marker} before sending: the model, "
        "the session's history and its records never hold keys (keep them in the "
        "environment or `mda keys set`)",
        "메시지에 있던 비밀 값을 보내기 전에 {marker}(으)로 바꿨습니다: 모델, 세션 기록, "
        "저장된 기록 어디에도 키는 남지 않습니다 (키는 환경 변수나 `mda keys set`에 두세요)",
    ),
    # A turn the session refuses, and what to do at a budget stop.
    "chat.turn_failed": Text("the turn failed: {reason}", "턴이 실패했습니다: {reason}"),
    "chat.turn_stopped": Text("the turn stopped: {reason}", "턴이 멈췄습니다: {reason}"),
    "chat.raise_cap_and_wait": Text(
        "the turn waits: raise the cap ({command}) or cancel the turn",
        "턴이 기다리고 있습니다: 한도를 올리거나 ({command}) 턴을 취소하세요",
    ),
    "chat.raise_cap_then_send": Text(
        "raise the cap ({command}), then send the next message to continue",
        "한도를 올린 뒤 ({command}) 다음 메시지를 보내 계속하세요",
    ),
    "chat.body_missing": Text(
        "no message body {ref} in mda's database (resend)",
        "mda 데이터베이스에 메시지 본문 {ref}이(가) 없습니다 (다시 보내세요)",
    ),
    # Compaction.
    "chat.compaction_failed": Text("compaction failed: {reason}", "압축에 실패했습니다: {reason}"),
    "chat.compaction_threshold_range": Text(
        "compaction threshold {threshold} is out of range: use a fraction of the context "
        "window above 0 and at most 1 (the default is 0.7)",
        "압축 임계값 {threshold}이(가) 범위를 벗어났습니다: 컨텍스트 창에 대한 비율로 "
        "0보다 크고 1 이하인 값을 쓰세요 (기본값은 0.7)",
    ),
    "chat.compaction_session_has_one": Text(
        "the session has only {count} message; " + _COMPACTION_KEEPS_EN,
        "세션에 메시지가 {count}개뿐입니다. " + _COMPACTION_KEEPS_KO,
    ),
    "chat.compaction_session_has": Text(
        "the session has only {count} messages; " + _COMPACTION_KEEPS_EN,
        "세션에 메시지가 {count}개뿐입니다. " + _COMPACTION_KEEPS_KO,
    ),
    "chat.compaction_none_older": Text(
        "no messages are older than the {keep} most recent; compaction needs at least {least}",
        "최근 메시지 {keep}개보다 오래된 메시지가 없습니다. 압축하려면 {least}개 이상 "
        "있어야 합니다",
    ),
    "chat.compaction_one_older": Text(
        "only {count} message is older than the {keep} most recent; "
        "compaction needs at least {least}",
        "최근 메시지 {keep}개보다 오래된 메시지가 {count}개뿐입니다. 압축하려면 {least}개 "
        "이상 있어야 합니다",
    ),
    "chat.compaction_few_older": Text(
        "only {count} messages are older than the {keep} most recent; "
        "compaction needs at least {least}",
        "최근 메시지 {keep}개보다 오래된 메시지가 {count}개뿐입니다. 압축하려면 {least}개 "
        "이상 있어야 합니다",
    ),
    "chat.summariser_window_small": Text(
        "a summariser context window of {window} tokens is too small for a summary "
        "request: choose a summariser persona whose model has a larger window",
        "요약 모델의 컨텍스트 창 {window} 토큰은 요약 요청에 너무 작습니다: 컨텍스트 창이 "
        "더 큰 모델을 쓰는 요약 페르소나를 고르세요",
    ),
    "chat.no_summarizer": Text(
        "no persona can summarize: set MDA_SUMMARY_MODEL=provider:model",
        "요약할 수 있는 페르소나가 없습니다: MDA_SUMMARY_MODEL=provider:model을 설정하세요",
    ),
    # Project memory.
    "chat.nothing_to_forget": Text(
        "nothing to forget: /forget <slug> (see /memory)",
        "잊을 메모를 지정하지 않았습니다: /forget <slug> (/memory 참고)",
    ),
    "chat.memory_bad_name": Text(
        "'{name}' is not a memory note name; /forget <slug> removes one note (see /memory)",
        "'{name}'은(는) 메모 이름이 아닙니다. /forget <slug>는 메모 하나를 지웁니다 (/memory 참고)",
    ),
    "chat.memory_index_kept": Text(
        "{index} is the index and cannot be forgotten; /forget <slug> removes one note",
        "{index}은(는) 색인이라 잊을 수 없습니다. /forget <slug>는 메모 하나를 지웁니다",
    ),
    "chat.memory_no_note": Text(
        "no memory note '{name}' (see /memory)", "메모 '{name}'이(가) 없습니다 (/memory 참고)"
    ),
    "chat.memory_write_empty": Text(
        "a memory write names a note to remember or to forget",
        "메모리 쓰기에는 기억하거나 잊을 메모가 있어야 합니다",
    ),
    # `@path` references.
    "chat.reference_secret": Text(
        "@{path} may hold credentials: mda does not send it to the model "
        "(quote the part that matters, without secrets)",
        "@{path}에는 자격 증명이 있을 수 있어 mda가 모델에 보내지 않습니다 "
        "(비밀 값을 뺀 필요한 부분만 인용하세요)",
    ),
    "chat.references_too_large": Text(
        "the files referenced with @ total more than {limit} "
        "(reference fewer files, or quote the parts that matter)",
        "@로 참조한 파일이 모두 합쳐 {limit}를 넘습니다 (파일을 줄이거나 필요한 부분만 인용하세요)",
    ),
    "chat.reference_outside": Text(
        "@{path} is outside the repository (only files under {root} can be referenced)",
        "@{path}은(는) 저장소 밖에 있습니다 " + _REFERENCE_ROOT_KO,
    ),
    "chat.reference_symlink_outside": Text(
        "@{path} leads through a symlink to {target}, outside the repository "
        "(only files under {root} can be referenced)",
        "@{path}은(는) 심볼릭 링크를 거쳐 저장소 밖의 {target}을(를) 가리킵니다 "
        + _REFERENCE_ROOT_KO,
    ),
    "chat.reference_missing": Text(
        "@{path}: no such file in the repository "
        "(check the path; write \\@{path} to keep a literal @)",
        "@{path}: 저장소에 그런 파일이 없습니다 "
        "(경로를 확인하세요. @를 글자 그대로 쓰려면 \\@{path}로 쓰세요)",
    ),
    "chat.reference_unreadable": Text(
        "@{path}: cannot read it ({reason})", "@{path}: 읽을 수 없습니다 ({reason})"
    ),
    "chat.reference_directory": Text(
        "@{path} is a directory (reference the files in it, e.g. @{folder}/<file>)",
        "@{path}은(는) 디렉터리입니다 (그 안의 파일을 참조하세요. 예: @{folder}/<file>)",
    ),
    "chat.reference_not_regular": Text(
        "@{path} is not a regular file (only files can be referenced)",
        "@{path}은(는) 일반 파일이 아닙니다 (파일만 참조할 수 있습니다)",
    ),
    "chat.reference_hard_link": Text(
        "@{path} is a hard link (its content may belong to a file outside the "
        "repository): reference a regular copy instead",
        "@{path}은(는) 하드 링크입니다 (내용이 저장소 밖 파일의 것일 수 있습니다): "
        "대신 일반 복사본을 참조하세요",
    ),
    "chat.reference_too_large": Text(
        "@{path} is {size}, over the {limit} limit for a referenced file "
        "(quote the part that matters instead)",
        "@{path}은(는) {size}로 참조 파일 한도 {limit}를 넘습니다 " + _QUOTE_INSTEAD_KO,
    ),
    "chat.reference_over_limit": Text(
        "@{path} is over the {limit} limit for a referenced file "
        "(quote the part that matters instead)",
        "@{path}은(는) 참조 파일 한도 {limit}를 넘습니다 " + _QUOTE_INSTEAD_KO,
    ),
    "chat.reference_binary": Text(
        "@{path} is a binary file (only UTF-8 text can be referenced)",
        "@{path}은(는) 바이너리 파일입니다 (UTF-8 텍스트만 참조할 수 있습니다)",
    ),
    "chat.size_bytes": Text("{count} bytes", "{count}바이트"),
    # The progress line of a running turn.
    "chat.progress_model_call": Text("{count} model call", "모델 호출 {count}회"),
    "chat.progress_model_calls": Text("{count} model calls", "모델 호출 {count}회"),
    "chat.progress_tool_call": Text("{count} tool call", "도구 호출 {count}회"),
    "chat.progress_tool_calls": Text("{count} tool calls", "도구 호출 {count}회"),
    "chat.progress_thinking": Text("thinking", "생각하는 중"),
    "chat.progress_tokens": Text(
        "{input} in / {output} out tokens", "입력 {input} / 출력 {output} 토큰"
    ),
    "chat.progress_seconds": Text("{seconds}s", "{seconds}초"),
    "chat.progress_minutes": Text("{minutes}m{seconds}s", "{minutes}분 {seconds}초"),
}
