"""The Korean `--help` of every command, option and argument (the English lives with
the code: docstrings and `help=`). Keys are where the help appears: `"mda keys set"`
is the command, `"mda keys set:stdin"` its `--stdin` option by parameter name."""

from __future__ import annotations

HELP_KO: dict[str, str] = {
    "help_option": "이 도움말을 보여주고 끝냅니다.",
    "mda": (
        "Temporal 위에서 동작하는 내구성 있는 코딩 에이전트: 승인 게이트가 있는 에이전트 실행과 "
        "세션을 다룹니다. `mda` 만 입력하면 현재 저장소에서 대화를 엽니다."
    ),
    "mda:version": "버전을 출력하고 끝냅니다.",
    "mda chat": "저장소에서 에이전트와 대화합니다: REPL로, 또는 -m 으로 메시지 하나를 보냅니다.",
    "mda chat:session": "이 세션을 이어 갑니다 (ID 또는 6자 이상의 앞부분).",
    "mda chat:agent": "페르소나 ID (`mda personas list`).",
    "mda chat:model": "provider:name 형식의 모델 (기본값: 페르소나의 모델).",
    "mda chat:offline": "오프라인 scripted 페르소나를 씁니다: 키도 네트워크도 쓰지 않습니다.",
    "mda chat:message": "이 메시지 하나를 보내고, 답을 출력한 뒤 끝냅니다.",
    "mda chat:json_output": "-m 과 함께: 답을 JSON으로 출력합니다.",
    "mda chat:repo": "작업할 git 저장소.",
    "mda chat:compact_at": "새 세션은 모델 컨텍스트 창의 이 비율을 넘으면 압축합니다 (기본값 0.7).",
    "mda chat:budget_usd": (
        "세션의 지출 한도, 미국 달러 단위 (--session 과 함께 쓰면: 한도를 올립니다)."
    ),
    "mda start": "저장소에서 워크플로 템플릿의 실행을 시작하고, 그 실행을 따라갑니다.",
    "mda start:template": "템플릿 ID 또는 id@version (`mda templates list`).",
    "mda start:repo": "작업할 git 저장소.",
    "mda start:requirements": "실행이 이뤄야 할 것.",
    "mda start:requirements_file": "이 파일에서 요구 사항을 읽습니다.",
    "mda start:base": "기준 브랜치 (기본값: 저장소의 현재 브랜치).",
    "mda start:persona": "역할에 페르소나를 연결합니다: ROLE=ID[@VERSION]. 여러 번 쓸 수 있습니다.",
    "mda start:offline": (
        "모든 역할이 오프라인 scripted 페르소나를 씁니다: 키도 네트워크도 쓰지 않습니다."
    ),
    "mda start:yes": "모든 게이트를 자동으로 승인합니다.",
    "mda start:detach": "실행이 시작되면 바로 돌아옵니다.",
    "mda start:json_output": "실행을 JSON으로 출력합니다.",
    "mda start:budget_usd": "실행의 지출 한도, 미국 달러 단위 (기본값: 설정).",
    "mda start:budget_policy": (
        "실행이 한도에 닿았을 때: block, warn_continue 또는 prompt (한도가 올라가기를 기다립니다)."
    ),
    "mda start:no_preview": "시작하기 전에 예상 비용을 출력하지 않습니다.",
    "mda resume": (
        "실행을 이어 갑니다: 아직 실행 중이면 따라가고, 아니면 끝나지 않은 첫 단계부터 다시 "
        "시작합니다."
    ),
    "mda resume:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda resume:budget_usd": "실행의 새 한도, 미국 달러 단위 (예: 한도에 막힌 뒤).",
    "mda approve": "대기 중인 게이트를 승인합니다: 실행이 다음 단계로 넘어갑니다.",
    "mda approve:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda approve:gate": "답할 게이트 (기본값: 대기 중인 게이트).",
    "mda approve:comment": "승인과 함께 남길 메모.",
    "mda reject": "대기 중인 게이트를 거부합니다: 실행은 거부된 상태로 끝납니다.",
    "mda reject:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda reject:gate": "답할 게이트 (기본값: 대기 중인 게이트).",
    "mda reject:reason": "이유. 보고서에 남습니다.",
    "mda request-changes": (
        "피드백과 함께 단계를 되돌려 보냅니다: 그 단계가 다시 실행됩니다 (최대 3회)."
    ),
    "mda request-changes:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda request-changes:gate": "답할 게이트 (기본값: 대기 중인 게이트).",
    "mda request-changes:feedback": "단계가 바꿔야 할 것.",
    "mda abort": "실행을 중단하고, 진행 중인 단계를 취소합니다.",
    "mda abort:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda abort:reason": "이유. 보고서에 남습니다.",
    "mda report": "실행의 최종 보고서를 출력합니다 (Markdown 또는 JSON).",
    "mda report:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda report:format": "md 또는 json.",
    "mda codec-server": (
        "Temporal의 원격 codec 엔드포인트를 루프백에서 제공해, 봉인된 페이로드를 "
        "복호화해 보여 줍니다.\n\n"
        "그러면 Temporal Web UI와 `temporal` CLI (`--codec-endpoint`)가 그 내용을 보여 줍니다."
    ),
    "mda codec-server:host": "루프백 주소.",
    "mda codec-server:port": "수신할 포트.",
    "mda codec-server:origin": "이 서버를 호출할 수 있는 Web UI origin (기본값: 내장 UI의 origin).",
    "mda doctor": (
        "Python, git, Temporal, 워커, 데이터베이스, 키, 제공자, 디스크, 샌드박스를 점검합니다."
    ),
    "mda doctor:offline": "모델 제공자에 접속하지 않습니다.",
    "mda doctor:as_json": "JSON을 출력합니다.",
    "mda init": "mda의 폴더와 설정 파일을 만들고, 모델 제공자마다 동의를 기록합니다.",
    "mda init:yes": "묻지 않고 모든 제공자를 허용합니다.",
    "mda init:allow": "이 제공자를 허용합니다 (여러 번 쓸 수 있습니다).",
    "mda login": (
        "제공자의 키를 OS 키링에 저장합니다 (제공자를 지정하지 않으면 어느 제공자인지 묻습니다)."
    ),
    "mda login:provider": "openrouter, openai, anthropic 또는 openai-compatible.",
    "mda login:stdin": "표준 입력에서 키를 읽습니다.",
    "mda logout": "제공자의 키를, 또는 모든 제공자의 키를 OS 키링에서 지웁니다.",
    "mda logout:provider": "openrouter, openai, anthropic 또는 openai-compatible.",
    "mda pricing": "모든 페르소나가 쓰는 모델의 가격을, 그 출처와 경과 시간과 함께 나열합니다.",
    "mda pricing:refresh": "먼저 OpenRouter의 현재 가격표를 읽습니다 (온라인).",
    "mda pricing:as_json": "JSON을 출력합니다.",
    "mda stats": "모델 호출, 토큰, 비용을 묶어서 보여 줍니다 (모든 실행과 세션).",
    "mda stats:by": "model, persona, day 또는 template 기준으로 묶습니다.",
    "mda stats:since": "이 UTC 날짜(YYYY-MM-DD)와 그 이후에 한 호출만.",
    "mda stats:as_json": "JSON을 출력합니다.",
    "mda sessions": "세션: 목록을 보고, 하나를 보여 주고, 이어 가거나 끝냅니다.",
    "mda sessions list": "세션을 가장 최근에 쓴 것부터 나열합니다.",
    "mda sessions list:limit": "최대 이 개수만큼, 최신 것부터.",
    "mda sessions list:as_json": "JSON을 출력합니다.",
    "mda sessions show": "세션과 그 메시지를 보여 줍니다.",
    "mda sessions show:session": "세션 ID 또는 고유한 앞부분 (6자 이상).",
    "mda sessions show:all_messages": "보관된 메시지와 압축 요약도 포함합니다.",
    "mda sessions show:as_json": "JSON을 출력합니다.",
    "mda sessions resume": (
        "세션으로 REPL을 엽니다: 지난 기록을 보여 주고, 다음 메시지부터 세션을 이어 갑니다."
    ),
    "mda sessions resume:session": "세션 ID 또는 고유한 앞부분 (6자 이상).",
    "mda sessions resume:agent": "이 페르소나로 바꿉니다.",
    "mda sessions resume:model": "이 모델로 바꿉니다.",
    "mda sessions end": "세션을 끝냅니다: 메시지는 남고, 새 메시지는 받지 않습니다.",
    "mda sessions end:session": "세션 ID 또는 고유한 앞부분 (6자 이상).",
    "mda sessions restore": (
        "저장소의 파일을 어떤 턴 이전의 상태로 되돌립니다; --turn 이 없으면 턴 목록을 "
        "보여 줍니다.\n\n"
        "에이전트의 삭제, `git stash drop`, `git clean -fdx` 를 되돌립니다."
    ),
    "mda sessions restore:session": "세션 ID 또는 고유한 앞부분 (6자 이상).",
    "mda sessions restore:turn": "파일을 이 턴 이전의 상태로 복원합니다.",
    "mda sessions rewind": (
        "세션을 한 턴 이전으로 되돌립니다: 대화, 파일, 또는 둘 다; --to 가 없으면 최근 턴을 "
        "보여 줍니다.\n\n"
        "그 턴부터의 메시지는 보관되고 (`mda sessions show --all`), 파일은 그 턴 이전의 "
        "작업 트리와 똑같아집니다 (무시된 파일은 지우지 않습니다)."
    ),
    "mda sessions rewind:session": "세션 ID 또는 고유한 앞부분 (6자 이상).",
    "mda sessions rewind:to": "이 턴 이전으로 되돌립니다.",
    "mda sessions rewind:files": "파일만 되돌립니다.",
    "mda sessions rewind:conversation": "대화만 되돌립니다.",
    "mda sessions rewind:both": "대화와 파일을 함께 되돌립니다 (기본값).",
    "mda sessions rewind:force": "세션 밖에서 바뀐 파일이 있어도 되돌립니다.",
    "mda sessions rewind:as_json": "JSON으로 출력합니다.",
    "mda runs": "실행: 목록을 보고, 하나를 보여 주고, 그 이벤트를 읽고, 하나를 포크합니다.",
    "mda runs list": "실행을 최신 것부터 나열합니다.",
    "mda runs list:state": (
        "이 상태의 실행만: ('running', 'awaiting_approval', 'completed', 'failed', 'rejected', "
        "'aborted')."
    ),
    "mda runs list:limit": "최대 이 개수만큼, 최신 것부터.",
    "mda runs list:as_json": "JSON을 출력합니다.",
    "mda runs show": "실행을 보여 줍니다: 상태, 단계, 대기 중인 게이트, Web UI 링크.",
    "mda runs show:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda runs show:follow": "실행이 끝날 때까지 이벤트를 따라갑니다.",
    "mda runs show:as_json": "JSON을 출력합니다.",
    "mda runs fork": (
        "이 실행의 한 단계에서 새 브랜치로 새 실행을 시작하고, 앞 단계들은 다시 씁니다.\n\n"
        "새 브랜치는 PHASE 앞 단계들의 산출물을 담은 실행의 커밋에서 시작합니다. 그 단계들은 "
        "다시 실행하지 않습니다 (산출물은 원래 실행의 것입니다). 템플릿, 바인딩, 승인은 원래 "
        "실행의 것을 쓰고, 요구 사항도 따로 주지 않으면 원래 실행의 것을 씁니다."
    ),
    "mda runs fork:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda runs fork:from_phase": "다시 시작할 단계. 그 앞 단계들은 다시 씁니다.",
    "mda runs fork:requirements": "새 요구 사항 (기본값: 원래 실행의 것).",
    "mda runs fork:requirements_file": "이 파일에서 새 요구 사항을 읽습니다.",
    "mda runs fork:persona": (
        "역할에 다른 페르소나를 연결합니다: ROLE=ID[@VERSION]. 여러 번 쓸 수 있습니다."
    ),
    "mda runs fork:budget_usd": "새 실행의 지출 한도, 미국 달러 단위 (기본값: 원래 실행의 것).",
    "mda runs fork:detach": "새 실행이 시작되면 바로 돌아옵니다.",
    "mda runs fork:json_output": "새 실행을 JSON으로 출력합니다.",
    "mda runs events": "실행의 이벤트를 순서대로 보여 줍니다 (상태 전이의 감사 기록).",
    "mda runs events:run": "실행 ID 또는 고유한 앞부분 (6자 이상).",
    "mda runs events:as_json": "JSON을 출력합니다.",
    "mda server": "Temporal 서버가 설정되지 않았을 때 mda가 실행하는 내장 Temporal 개발 서버.",
    "mda server start": (
        "서버를 시작하고 (멱등) 응답할 때까지 기다립니다.\n"
        "\n"
        "시작할 때마다 네임스페이스 보존 기간(MDA_TEMPORAL_RETENTION_DAYS)도 설정하고\n"
        "mda의 검색 속성을 등록합니다. 포트: MDA_TEMPORAL_PORT (7233) 와\n"
        "MDA_TEMPORAL_UI_PORT (8233)."
    ),
    "mda server stop": (
        "mda가 시작한 서버를 중지합니다 (SIGTERM, 10초 뒤 SIGKILL). 데이터는 남습니다."
    ),
    "mda server status": (
        "주소, Web UI, pid, 데이터베이스, 가동 시간을 보여 줍니다.\n"
        "\n"
        "종료 코드 0: 서버가 응답합니다.\n"
        "\n"
        "종료 코드 3: 실행 중인 내장 서버가 없거나, 설정된 서버에 연결할 수 없습니다.\n"
        "\n"
        "종료 코드 4: 서버 프로세스는 실행 중이지만 응답하지 않습니다."
    ),
    "mda server status:as_json": "JSON 문서를 출력합니다.",
    "mda server logs": "서버의 로그 파일을 출력합니다 (서버의 출력과 mda가 남긴 시작 줄).",
    "mda server logs:lines": "보여 줄 마지막 줄 수.",
    "mda server logs:follow": "새 줄을 계속 출력합니다.",
    "mda serve": "HTTP API와 웹 GUI를 제공합니다: 브라우저에서 따라가고, 승인하고, 대화합니다.",
    "mda serve:host": "들을 주소.",
    "mda serve:port": "포트 (0: 비어 있는 아무 포트).",
    "mda templates": "워크플로 템플릿: 실행의 단계, 역할, 산출물.",
    "mda templates list": "기본 제공 템플릿과 직접 만든 템플릿(<config>/templates)을 나열합니다.",
    "mda templates list:as_json": "표 대신 JSON을 출력합니다.",
    "mda templates show": "템플릿의 역할과 단계를 보여 줍니다: 산출물, 스키마, 승인, 프롬프트.",
    "mda templates show:ref": "템플릿 ID. @VERSION 을 붙이지 않으면 최신 버전입니다.",
    "mda templates show:as_json": "표 대신 JSON을 출력합니다.",
    "mda personas": "페르소나: 템플릿의 역할을 맡는 모델과 프롬프트.",
    "mda personas list": "기본 제공 페르소나와 직접 만든 페르소나(<config>/personas)를 나열합니다.",
    "mda personas list:as_json": "표 대신 JSON을 출력합니다.",
    "mda personas show": "페르소나를 보여 줍니다: 모델, 능력, 제한, 해시, 시스템 프롬프트.",
    "mda personas show:ref": "페르소나 ID. @VERSION 을 붙이지 않으면 최신 버전입니다.",
    "mda personas show:as_json": "표 대신 JSON을 출력합니다.",
    "mda worker": "워커를 (포그라운드로) 실행하거나, 백그라운드 워커를 중지하거나 보여 줍니다.",
    "mda worker:concurrency": (
        "동시에 실행하는 액티비티(단계, 턴, ...) 수 (기본값: 코어당 4개, 최소 4개)."
    ),
    "mda worker:max_concurrent_workflow_tasks": (
        "동시에 실행하는 워크플로 태스크 수 (기본값: SDK의 기본값인 100)."
    ),
    "mda worker stop": "백그라운드 워커를 중지합니다 (SIGTERM으로 정상 종료, 20초 뒤 SIGKILL).",
    "mda worker status": (
        "백그라운드 워커의 pid와 로그를 보여 줍니다. 종료 코드 3: 워커가 실행 중이 아닙니다."
    ),
    "mda worker status:as_json": "JSON 문서를 출력합니다.",
    "mda worker health": (
        "이 MDA_HOME의 워커가 Temporal 서버에 닿아 있으면 0으로, 아니면 1로 끝납니다.\n\n"
        "컨테이너의 헬스 체크나 liveness probe 용이며, 실패하면 한 줄을 출력합니다."
    ),
    "mda worker health:as_json": "JSON 문서를 출력합니다.",
    "mda db": "mda 자체 데이터베이스: 스키마 리비전과 마이그레이션.",
    "mda db status": "mda가 쓰는 데이터베이스, 그 스키마 리비전, 대기 중인 마이그레이션.",
    "mda db status:as_json": "JSON을 출력합니다.",
    "mda db upgrade": "대기 중인 마이그레이션을 적용합니다 (할 일이 없어도 오류가 아닙니다).",
    "mda db upgrade:as_json": "JSON을 출력합니다.",
    "mda keys": "OS 키링에 있는 제공자 키.",
    "mda keys set": (
        "PROVIDER의 키를 OS 키링에 저장합니다 (입력한 키를 화면에 표시하지 않고 묻습니다)."
    ),
    "mda keys set:provider": "openrouter, openai, anthropic 또는 openai-compatible.",
    "mda keys set:stdin": "표준 입력에서 키를 읽습니다.",
    "mda keys list": "제공자별로: mda가 쓸 키의 출처와 그 지문.",
    "mda keys list:as_json": "JSON을 출력합니다.",
    "mda keys delete": "PROVIDER의 키를 OS 키링에서 지웁니다.",
    "mda keys delete:provider": "openrouter, openai, anthropic 또는 openai-compatible.",
    "mda audit": "감사 기록: 모든 에이전트의 모든 도구 호출.",
    "mda audit tail": (
        "가장 최근의 도구 호출을 (오래된 것부터) 보여 주고, --follow 를 주면 이어서 새 호출도 보여 "
        "줍니다."
    ),
    "mda audit tail:run": "이 실행의 호출만 (ID 또는 앞부분).",
    "mda audit tail:session": "이 세션의 호출만 (ID 또는 앞부분).",
    "mda audit tail:lines": "보여 줄 최근 호출 수.",
    "mda audit tail:follow": "새 호출을 계속 출력합니다.",
    "mda audit tail:as_json": "한 줄에 JSON 객체 하나씩 출력합니다.",
    "mda payload-key": "Temporal 페이로드를 봉인하는 키.",
    "mda payload-key new": (
        "OS 키링에 새 현재 키를 만듭니다 (이전 키로도 이전 페이로드를 계속 열 수 있습니다)."
    ),
    "mda payload-key generate": (
        "MDA_PAYLOAD_KEY 에 쓸 새 키(base64)를 출력합니다. 어디에도 저장하지 않습니다."
    ),
    "mda payload-key export": "다른 컴퓨터의 MDA_PAYLOAD_KEY 에 쓸 현재 키(base64)를 출력합니다.",
    "mda payload-key list": "mda가 페이로드를 열 수 있는 키 ID와, 그중 봉인에 쓰는 키.",
    "mda payload-key list:as_json": "JSON을 출력합니다.",
    "mda budget": "예산 한도 대비 지출 (오늘, 페르소나별, 실행, 세션). 한도를 올릴 수도 있습니다.",
    "mda budget:as_json": "JSON을 출력합니다.",
    "mda budget raise": (
        "실행이나 세션이 기다리고 있는 한도를 올립니다 (세션이면 그 세션의 어느 한도든)."
    ),
    "mda budget raise:target": "실행 또는 세션 ID, 또는 고유한 앞부분.",
    "mda budget raise:usd": "새 한도, 미국 달러 단위.",
    "mda budget raise:scope": (
        "run, session, day 또는 persona_day (기본값: 기다리고 있는 한도의 범위)."
    ),
}

FRAMEWORK_KO: dict[str, str] = {
    "DEPRECATED_STRING": "(사용 중단) ",
    "DEFAULT_STRING": "[기본값: {}]",
    "ENVVAR_STRING": "[환경 변수: {}]",
    "REQUIRED_LONG_STRING": "[필수]",
    "ARGUMENTS_PANEL_TITLE": "인자",
    "OPTIONS_PANEL_TITLE": "옵션",
    "COMMANDS_PANEL_TITLE": "명령",
}
