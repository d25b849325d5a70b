"""Messages of runs: `mda start`, following a run, gates, `mda runs`, reports, templates,
personas, prices, budgets and stats."""

from __future__ import annotations

from my_deepagent.catalogue import Text

_STARTING: dict[str, Text] = {
    "runs.policy_needs_cap": Text(
        "--budget-policy applies to the run's cap: give --budget-usd too",
        "--budget-policy는 실행의 한도에 적용됩니다: --budget-usd도 함께 지정하세요",
    ),
    "runs.requirements_twice": Text(
        "give the requirements once: -r TEXT or --requirements-file F, not both",
        "요구 사항은 한 번만 주세요: -r TEXT와 --requirements-file F 중 하나만 쓰세요",
    ),
    "runs.requirements_unreadable": Text(
        "cannot read requirements file {file}: {reason}",
        "요구 사항 파일 {file}을(를) 읽을 수 없습니다: {reason}",
    ),
    "runs.requirements_not_utf8": Text(
        "requirements file {file} is not UTF-8 text (convert it)",
        "요구 사항 파일 {file}은(는) UTF-8 텍스트가 아닙니다 (UTF-8로 변환하세요)",
    ),
    "runs.no_requirements": Text(
        "no requirements: pass -r TEXT or --requirements-file F",
        "요구 사항이 없습니다: -r TEXT 또는 --requirements-file F로 주세요",
    ),
    "runs.requirements_too_long": Text(
        "the requirements are over {kib} KiB: shorten them "
        "or point to documents in the repository instead",
        "요구 사항이 {kib} KiB를 넘습니다: 줄이거나, 대신 저장소 안의 문서를 가리키세요",
    ),
    "runs.requirements_secret_replaced": Text(
        "a secret in the requirements was replaced with {redacted}: "
        "runs never hold keys (keep them in the environment or `mda keys set`)",
        "요구 사항에 들어 있던 비밀 값을 {redacted}(으)로 바꿨습니다: 실행은 키를 보관하지 "
        "않습니다 (키는 환경 변수나 `mda keys set`에 두세요)",
    ),
    "runs.already_active": Text(
        "a run is already active on {repo} {base}: {run} "
        "(wait for it, abort it with `mda abort {run}`, or use another --base)",
        "{repo} {base}에는 이미 진행 중인 실행이 있습니다: {run} "
        "(끝날 때까지 기다리거나, `mda abort {run}` 명령으로 중단하거나, 다른 --base를 쓰세요)",
    ),
    "runs.nothing_to_resume": Text(
        "run {run} is {state}: there is nothing to resume",
        "실행 {run}의 상태는 {state}입니다: 다시 시작할 것이 없습니다",
    ),
    "runs.no_worker": Text(
        "no worker polls task queue {queue}; the run waits until one does "
        "(start one with `mda worker`)",
        "태스크 큐 {queue}을(를) 폴링하는 워커가 없습니다. 워커가 나타날 때까지 실행은 "
        "기다립니다 (`mda worker` 명령으로 워커를 시작하세요)",
    ),
    "runs.worker_exited": Text(
        "the mda worker (pid {pid}) exited at start ({status}); see {log}",
        "mda 워커(pid {pid})가 시작하자마자 종료되었습니다({status}). 자세한 내용은 {log}에서 "
        "확인하세요",
    ),
    "runs.worker_no_poll": Text(
        "the mda worker (pid {pid}) did not poll within {seconds} s; "
        "see {log}, or run `mda worker stop` and try again",
        "mda 워커(pid {pid})가 {seconds}초 안에 폴링하지 않았습니다. {log}에서 내용을 확인하거나, "
        "`mda worker stop` 명령을 실행한 뒤 다시 시도하세요",
    ),
    "runs.started": Text("Run {run} started: {web_ui}", "실행 {run}을(를) 시작했습니다: {web_ui}"),
    "runs.resumed": Text(
        "Run {run} resumed from its first unfinished phase: {web_ui}",
        "실행 {run}을(를) 끝나지 않은 첫 단계부터 다시 시작했습니다: {web_ui}",
    ),
    "runs.still_running": Text(
        "Run {run} is still running: {web_ui}", "실행 {run}은(는) 아직 실행 중입니다: {web_ui}"
    ),
    "runs.ended": Text("Run {run} {state}{reason}.", "실행 {run}: {state}{reason}."),
    "runs.ended_with_report": Text(
        "Run {run} {state}{reason}. Report: {report}",
        "실행 {run}: {state}{reason}. 보고서: {report}",
    ),
    "runs.workflow_in_namespace": Text(
        "workflow {workflow} in namespace {namespace}",
        "네임스페이스 {namespace}의 워크플로 {workflow}",
    ),
}

_FORKING: dict[str, Text] = {
    "runs.forked": Text(
        "Run {run} forked from run {parent} at phase {phase}: {web_ui}",
        "실행 {run}을(를) 실행 {parent}의 단계 {phase}에서 포크했습니다: {web_ui}",
    ),
    "runs.fork_unknown_phase": Text(
        "template {template} has no phase {phase}: its phases are {phases}",
        "템플릿 {template}에는 단계 {phase}이(가) 없습니다: 단계는 {phases}입니다",
    ),
    "runs.fork_no_artifact": Text(
        "phase {phase} of run {run} has no completed artifact to reuse: "
        "fork from {phase} or an earlier phase",
        "실행 {run}의 단계 {phase}에는 다시 쓸 완료된 산출물이 없습니다: "
        "{phase} 단계나 그보다 앞 단계에서 포크하세요",
    ),
    "runs.fork_no_commit": Text(
        "run {run} recorded no commit for the artifact of phase {phase} "
        "(it ran before mda recorded them): fork from {phase} or an earlier phase",
        "실행 {run}은(는) 단계 {phase} 산출물의 커밋을 기록하지 않았습니다 "
        "(mda가 커밋을 기록하기 전에 실행됨): {phase} 단계나 그보다 앞 단계에서 포크하세요",
    ),
    "runs.fork_commit_lacks_artifact": Text(
        "commit {commit} of run {run} does not hold the artifact {path} of phase {phase} "
        "as it was validated (was the file ignored, or the branch rewritten?): fork from "
        "{phase} or an earlier phase",
        "실행 {run}의 커밋 {commit}에 단계 {phase}의 산출물 {path}이(가) 검증된 그대로 "
        "들어 있지 않습니다 (파일이 무시되었거나 브랜치가 다시 쓰였나요?): {phase} 단계나 "
        "그보다 앞 단계에서 포크하세요",
    ),
    "runs.fork_commit_missing": Text(
        "commit {commit} is no longer in {root} (was the run's branch deleted?): "
        "fork from an earlier phase, or start a new run",
        "커밋 {commit}이(가) 더 이상 {root}에 없습니다 (실행의 브랜치를 지웠나요?): "
        "더 앞 단계에서 포크하거나 새 실행을 시작하세요",
    ),
    "runs.fork_artifact_gone": Text(
        "run {run} no longer has the artifact of phase {phase} that this fork reuses "
        "(fork it again, or start a new run)",
        "실행 {run}에 이 포크가 다시 쓰는 단계 {phase}의 산출물이 더 이상 없습니다 "
        "(다시 포크하거나 새 실행을 시작하세요)",
    ),
}

_FINDING: dict[str, Text] = {
    # The part before " (" is reused by `mda budget raise` (see runs.no_run_or_session).
    "runs.id_too_short": Text(
        "run id {ref} is too short: give at least {min} characters (see `mda runs list`)",
        "실행 id {ref}이(가) 너무 짧습니다: {min}자 이상 입력하세요 (`mda runs list` 참고)",
    ),
    "runs.no_run_hexadecimal": Text(
        "no run {ref} (run ids are hexadecimal; see `mda runs list`)",
        "실행 {ref}이(가) 없습니다 (실행 id는 16진수입니다. `mda runs list` 참고)",
    ),
    "runs.no_run": Text(
        "no run {ref} (see `mda runs list`)", "실행 {ref}이(가) 없습니다 (`mda runs list` 참고)"
    ),
    "runs.ambiguous_prefix": Text(
        "run id prefix {ref} is ambiguous: it matches {shown} (give more characters)",
        "실행 id 접두사 {ref}이(가) 모호합니다: {shown}에 해당합니다 (더 길게 입력하세요)",
    ),
    "runs.ambiguous_prefix_more": Text(
        "run id prefix {ref} is ambiguous: it matches {shown} and more (give more characters)",
        "실행 id 접두사 {ref}이(가) 모호합니다: {shown} 등 여러 실행에 해당합니다 "
        "(더 길게 입력하세요)",
    ),
    "runs.no_run_or_session": Text(
        "{reason} and no such session", "{reason}. 그런 세션도 없습니다"
    ),
}

_LISTING: dict[str, Text] = {
    "runs.unknown_state": Text(
        "unknown state {state} (use one of: {states})",
        "알 수 없는 상태 {state}입니다 ({states} 중 하나를 쓰세요)",
    ),
    "runs.table_runs": Text("Runs", "실행 목록"),
    "runs.table_events": Text("Events of run {run}", "실행 {run}의 이벤트"),
    "runs.view_run": Text("run       {run}", "실행      {run}"),
    "runs.view_state": Text("state     {state}{error}", "상태      {state}{error}"),
    "runs.view_template": Text("template  {template}", "템플릿    {template}"),
    "runs.view_repo": Text(
        "repo      {repo} (base {base})", "저장소    {repo} (기준 브랜치 {base})"
    ),
    "runs.view_web_ui": Text("web UI    {web_ui}", "웹 UI     {web_ui}"),
    "runs.view_forked": Text(
        "forked    from run {run} at phase {phase}", "포크      실행 {run}의 단계 {phase}에서"
    ),
    "runs.view_gate": Text(
        "gate      {gate} waiting (mda approve {run})",
        "게이트    {gate} 대기 중 (mda approve {run})",
    ),
    "runs.view_budget": Text(
        "budget    waiting: {gate} (mda budget raise {run} --usd {usd}, or mda abort)",
        "예산      대기 중: {gate} (mda budget raise {run} --usd {usd}, 또는 mda abort)",
    ),
    "runs.view_phase": Text(
        "  {phase:<12} {state:<18} round {round}", "  {phase:<12} {state:<18} 라운드 {round}"
    ),
    "runs.unknown_report_format": Text(
        "unknown --format {format} (use md or json)",
        "알 수 없는 --format {format}입니다 (md 또는 json을 쓰세요)",
    ),
    "runs.no_report_yet": Text(
        "run {run} has no report yet (it is {state}); see `mda runs show {short}`",
        "실행 {run}의 보고서가 아직 없습니다 (현재 상태: {state}). "
        "`mda runs show {short}` 명령을 참고하세요",
    ),
}

_GATES: dict[str, Text] = {
    "runs.feedback_empty": Text(
        "--feedback is empty: say what the phase should change",
        "--feedback이 비어 있습니다: 단계에서 무엇을 바꿔야 하는지 적으세요",
    ),
    "runs.action_approve": Text("approve", "승인"),
    "runs.action_reject": Text("reject", "거부"),
    "runs.action_request_changes": Text("request changes", "변경 요청"),
    "runs.action_abort": Text("abort", "중단"),
    "runs.workflow_never_started": Text("never started", "시작된 적 없음"),
    "runs.run_has_ended": Text(
        "run {run} has ended ({state}, workflow {ended}): nothing to {action}; "
        "see `mda report {run}`",
        "실행 {run}은(는) 이미 끝났습니다 ({state}, 워크플로 {ended}): {action}할 대상이 "
        "없습니다. `mda report {run}` 명령으로 보고서를 확인하세요",
    ),
    "runs.no_gate_pending": Text(
        "no gate is pending on run {run} ({doing}); try again at the gate",
        "실행 {run}에 대기 중인 게이트가 없습니다 ({doing}). 게이트에 이르면 다시 시도하세요",
    ),
    "runs.doing_phase": Text("it is running phase {phase}", "단계 {phase}을(를) 실행 중입니다"),
    "runs.doing_state": Text("it is {state}", "현재 상태: {state}"),
    "runs.last_round": Text(
        "phase {phase} of run {run} has had its last round; approve or reject gate {gate}",
        "실행 {run}의 단계 {phase}은(는) 마지막 라운드까지 마쳤습니다. "
        "게이트 {gate}을(를) 승인하거나 거부하세요",
    ),
    "runs.gate_not_pending": Text(
        "gate {gate} is not pending on run {run}; the pending gate is {pending} "
        "(omit --gate to answer it)",
        "실행 {run}에서 게이트 {gate}은(는) 대기 중이 아닙니다. 대기 중인 게이트는 "
        "{pending}입니다 (그 게이트에 답하려면 --gate를 빼세요)",
    ),
    "runs.sent_to_gate": Text(
        "Sent {action} to gate {gate} of run {run}.",
        "실행 {run}의 게이트 {gate}에 {action} 신호를 보냈습니다.",
    ),
    "runs.sent_to_run": Text(
        "Sent {action} to run {run}.", "실행 {run}에 {action} 신호를 보냈습니다."
    ),
}

_FOLLOWING: dict[str, Text] = {
    "runs.no_workflow": Text(
        "run {run} has no workflow in Temporal (it never started)",
        "실행 {run}의 워크플로가 Temporal에 없습니다 (시작된 적이 없습니다)",
    ),
    "runs.gate_answered_elsewhere": Text(
        "Gate {gate} was answered elsewhere.", "게이트 {gate}에는 다른 곳에서 답했습니다."
    ),
    "runs.budget_gate_answered_elsewhere": Text(
        "The budget gate was answered elsewhere.", "예산 게이트에는 다른 곳에서 답했습니다."
    ),
    "runs.ask_gate": Text(
        "Gate {gate} (phase {phase}, round {round}): "
        "[a]pprove, [r]eject, request [c]hanges, a[b]ort, or [w]ait? ",
        "게이트 {gate} (단계 {phase}, 라운드 {round}): "
        "승인 [a], 거부 [r], 변경 요청 [c], 중단 [b], 대기 [w] 중 무엇을 할까요? ",
    ),
    "runs.ask_gate_last_round": Text(
        "Gate {gate} (phase {phase}, round {round}): [a]pprove, [r]eject, a[b]ort, or [w]ait? ",
        "게이트 {gate} (단계 {phase}, 라운드 {round}): "
        "승인 [a], 거부 [r], 중단 [b], 대기 [w] 중 무엇을 할까요? ",
    ),
    "runs.ask_reason": Text("Reason (optional): ", "이유 (선택): "),
    "runs.ask_feedback": Text("What should change? ", "무엇을 바꿔야 하나요? "),
    "runs.waiting_gate": Text(
        "Waiting: answer with `mda approve {run}` (or reject, ...)",
        "기다립니다: `mda approve {run}` 명령(또는 reject 등)으로 답하세요",
    ),
    "runs.run_waits_budget": Text("The run waits: {gate}.", "실행이 기다리고 있습니다: {gate}."),
    "runs.ask_budget": Text(
        "New {scope} cap in US dollars (e.g. {suggested}), a[b]ort, or [w]ait? ",
        "새 {scope} 한도를 미국 달러로 입력하세요 (예: {suggested}). 중단은 [b], 대기는 [w]: ",
    ),
    "runs.waiting_budget": Text(
        "Waiting: raise it with `mda budget raise {run} --usd AMOUNT`",
        "기다립니다: `mda budget raise {run} --usd AMOUNT` 명령으로 한도를 올리세요",
    ),
    "runs.what_new_cap": Text("the new cap", "새 한도"),
    "runs.new_cap_above": Text(
        "the new cap must be above ${cap}", "새 한도는 ${cap}보다 커야 합니다"
    ),
}

_BUDGETS: dict[str, Text] = {
    "runs.table_spending": Text("Spending against the caps", "한도 대비 지출"),
    "runs.raise_run_ended": Text(
        "run {run} has ended ({state}): nothing waits on a cap; "
        "`mda resume {run} --budget-usd {usd}` continues it with that cap",
        "실행 {run}은(는) 이미 끝났습니다 ({state}): 한도를 기다리는 것이 없습니다. "
        "`mda resume {run} --budget-usd {usd}` 명령으로 그 한도를 두고 실행을 이어 가세요",
    ),
    "runs.not_waiting_on_cap": Text(
        "run {run} is not waiting on a budget cap: a raise now would change nothing",
        "실행 {run}은(는) 예산 한도를 기다리고 있지 않습니다: 지금 올려도 달라지는 것이 없습니다",
    ),
    "runs.waits_on_other_scope": Text(
        "run {run} waits on its {scope} cap, not {asked}: omit --scope",
        "실행 {run}이(가) 기다리는 한도는 {asked}이(가) 아니라 {scope}입니다: --scope를 빼세요",
    ),
    "runs.raise_not_above": Text(
        "the new cap must be above the current {scope} cap of ${cap} "
        "(the waiting call needs ${needed})",
        "새 한도는 현재 {scope} 한도 ${cap}보다 커야 합니다 "
        "(기다리는 호출에 ${needed}이(가) 필요합니다)",
    ),
    "runs.raised_run_cap": Text(
        "Raised the {scope} cap of run {run} to ${usd}: it goes on.",
        "실행 {run}의 {scope} 한도를 ${usd}(으)로 올렸습니다: 실행이 계속됩니다.",
    ),
    "runs.session_ended_caps": Text(
        "session {session} has ended: its caps no longer matter",
        "세션 {session}은(는) 이미 끝났습니다: 그 한도는 더 이상 의미가 없습니다",
    ),
    "runs.set_session_cap": Text(
        "Set the {scope} cap of session {session} to ${usd}.",
        "세션 {session}의 {scope} 한도를 ${usd}(으)로 정했습니다.",
    ),
    "runs.label_today": Text("today ({date} UTC)", "오늘 ({date} UTC)"),
    "runs.label_persona_today": Text("persona {persona} today", "페르소나 {persona} (오늘)"),
    "runs.label_run": Text("run {run} ({state})", "실행 {run} ({state})"),
    "runs.label_session": Text("session {session}", "세션 {session}"),
    "runs.standing_no_cap": Text(
        "{name}: {spent} spent (no cap)", "{name}: {spent} 사용 (한도 없음)"
    ),
    "runs.standing_of_cap": Text(
        "{name}: {spent} of {cap} ({share}%, {policy})",
        "{name}: {cap} 중 {spent} 사용 ({share}%, {policy})",
    ),
    "runs.table_preview": Text(
        "Cost estimate (typical calls per phase; repairs and extra rounds come on top)",
        "비용 추정 (단계마다 일반적인 호출 수 기준이며, 수리와 추가 라운드 비용은 별도입니다)",
    ),
    "runs.preview_total": Text(
        "Estimated total: {total}; caps: {caps}", "예상 합계: {total}; 한도: {caps}"
    ),
    "runs.preview_unknown": Text("unknown", "알 수 없음"),
    "runs.preview_no_caps": Text(
        "none (set MDA_BUDGET_RUN_USD, ...)", "없음 (MDA_BUDGET_RUN_USD 등을 설정하세요)"
    ),
}

_ASSETS: dict[str, Text] = {
    "runs.table_templates": Text("Templates", "템플릿"),
    "runs.table_personas": Text("Personas", "페르소나"),
    "runs.show_hash": Text("hash: {hash}", "해시: {hash}"),
    "runs.template_roles": Text("roles:", "역할:"),
    "runs.template_role": Text(
        "  {role}: needs {capabilities}", "  {role}: 필요한 기능 {capabilities}"
    ),
    "runs.template_role_default": Text(
        "  {role}: needs {capabilities}, default persona {persona}",
        "  {role}: 필요한 기능 {capabilities}, 기본 페르소나 {persona}",
    ),
    "runs.template_phases": Text("phases:", "단계:"),
    "runs.template_phase": Text(
        "  {number}. {key}: {title} (role {role})", "  {number}. {key}: {title} (역할 {role})"
    ),
    "runs.template_artifact": Text(
        "     artifact: {path} (schema {schema})", "     산출물: {path} (스키마 {schema})"
    ),
    "runs.template_reads": Text("     reads: {inputs}", "     읽는 산출물: {inputs}"),
    "runs.template_approval": Text("     approval: {approval}", "     승인: {approval}"),
    "runs.approval_none": Text("none", "없음"),
    "runs.approval_required": Text("required", "필요"),
    "runs.approval_timeout": Text(
        "required, {on_timeout} after {seconds} s", "필요, {seconds}초 후 {on_timeout}"
    ),
    "runs.temperature_default": Text("provider default", "제공자 기본값"),
    "runs.persona_model": Text(
        "model: {model} (provider {provider})", "모델: {model} (제공자 {provider})"
    ),
    "runs.persona_capabilities": Text("capabilities: {capabilities}", "기능: {capabilities}"),
    "runs.persona_limits": Text(
        "limits: max ${cost} per call, {tokens} output tokens per call, "
        "{calls} model calls per phase or turn",
        "한도: 호출당 최대 ${cost}, 호출당 출력 토큰 {tokens}개, "
        "단계 또는 턴당 모델 호출 {calls}회",
    ),
    "runs.persona_temperature": Text("temperature: {temperature}", "온도: {temperature}"),
    "runs.persona_system_prompt": Text("system prompt:", "시스템 프롬프트:"),
    "runs.prices_read": Text(
        "Read {count} model prices from OpenRouter.",
        "OpenRouter에서 모델 가격 {count}개를 읽었습니다.",
    ),
    "runs.table_prices": Text(
        "Prices (US dollars per million tokens)", "가격 (백만 토큰당 미국 달러)"
    ),
    "runs.unknown_group": Text(
        "unknown --by {by}: use one of {groups}",
        "알 수 없는 --by {by}입니다: {groups} 중 하나를 쓰세요",
    ),
    "runs.since_not_date": Text(
        "--since {value} is not a date: write it as YYYY-MM-DD",
        "--since {value}은(는) 날짜가 아닙니다: YYYY-MM-DD 형식으로 쓰세요",
    ),
    "runs.table_calls": Text("Model calls by {by}", "{by}별 모델 호출"),
    "runs.table_calls_since": Text(
        "Model calls by {by} since {since}", "{since} 이후 {by}별 모델 호출"
    ),
}

_REPORT: dict[str, Text] = {
    "runs.report_title": Text("# Run {run}", "# 실행 {run}"),
    "runs.report_template": Text("- template: {template}", "- 템플릿: {template}"),
    "runs.report_repository": Text(
        "- repository: {repo} (base {base})", "- 저장소: {repo} (기준 브랜치 {base})"
    ),
    "runs.report_forked": Text(
        "- forked from run {run} at phase {phase}", "- 포크 원본: 실행 {run}의 단계 {phase}"
    ),
    "runs.report_reused": Text(
        "- reused from run {run} (not run again)", "- 실행 {run}에서 가져옴 (다시 실행하지 않음)"
    ),
    "runs.report_state": Text("- state: **{state}**{error}", "- 상태: **{state}**{error}"),
    "runs.report_times": Text(
        "- started: {started}; finished: {finished}", "- 시작: {started}; 끝: {finished}"
    ),
    "runs.report_not_yet": Text("not yet", "아직 안 끝남"),
    "runs.report_duration": Text("- duration: {duration}", "- 걸린 시간: {duration}"),
    "runs.report_sandboxed": Text("- agent shell: sandboxed", "- 에이전트 셸: 샌드박스 안"),
    "runs.report_unconfined": Text(
        "- agent shell: **unconfined** (MDA_SANDBOX=off, the user's explicit choice) in {phases}",
        "- 에이전트 셸: **샌드박스 없음** (MDA_SANDBOX=off, 사용자가 직접 고른 설정), "
        "해당 단계: {phases}",
    ),
    "runs.report_calls": Text(
        "- model calls: {calls}; tokens: {input} in, {output} out ({cached} cached)",
        "- 모델 호출: {calls}회; 토큰: 입력 {input}, 출력 {output} (캐시 {cached})",
    ),
    "runs.report_cost": Text("- cost: {cost}", "- 비용: {cost}"),
    "runs.report_cost_unknown": Text(
        "unknown ({count} calls without a price)", "알 수 없음 (가격 없는 호출 {count}회)"
    ),
    "runs.report_phases": Text("## Phases", "## 단계"),
    "runs.report_table_header": Text(
        "| phase | round | state | persona | model | calls | tokens in | tokens out | cost "
        "| duration |",
        "| 단계 | 회차 | 상태 | 페르소나 | 모델 | 호출 | 입력 토큰 | 출력 토큰 | 비용 "
        "| 걸린 시간 |",
    ),
    "runs.report_phase": Text("### {phase} (round {round})", "### {phase} ({round}회차)"),
    "runs.report_no_artifact": Text("- artifact: none", "- 산출물: 없음"),
    "runs.report_artifact": Text(
        "- artifact: `{path}` ({size} bytes, sha256 {sha256}, revision {revision})",
        "- 산출물: `{path}` ({size}바이트, sha256 {sha256}, 수정본 {revision})",
    ),
    "runs.report_not_validated": Text("- validation: not validated", "- 검증: 검증하지 않음"),
    "runs.report_valid": Text("- validation: valid", "- 검증: 유효함"),
    "runs.report_invalid": Text(
        "- validation: invalid ({count} errors)", "- 검증: 유효하지 않음 (오류 {count}개)"
    ),
    "runs.report_approval": Text(
        "- approval {gate}: {state}{by}{said}", "- 승인 {gate}: {state}{by}{said}"
    ),
    "runs.report_approval_by": Text(" by {source}", " ({source}의 결정)"),
    "runs.report_error": Text("- error: {error}", "- 오류: {error}"),
    "runs.report_seconds": Text("{seconds}s", "{seconds}초"),
    "runs.report_minutes": Text("{minutes}m{seconds}s", "{minutes}분 {seconds}초"),
    "runs.report_hours": Text("{hours}h{minutes}m", "{hours}시간 {minutes}분"),
}

MESSAGES: dict[str, Text] = {
    **_STARTING,
    **_FORKING,
    **_FINDING,
    **_LISTING,
    **_GATES,
    **_FOLLOWING,
    **_BUDGETS,
    **_ASSETS,
    **_REPORT,
}
