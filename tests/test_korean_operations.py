"""What a Korean-speaking person sees from mda's operations commands: keys, login,
init and consent, the database, the settings, the embedded server and the worker,
sealed payloads, the audit trail and doctor.

Each error case runs the CLI in-process with MDA_LANG=ko and bad input: the command
fails with one line, `mda: 오류: ` and the catalogue's Korean text. A few commands that
succeed are read in Korean too, while what machines read (JSON ids and status words,
the labels of a status listing) stays English.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from korean_helpers import error_line
from my_deepagent.catalogue import msg
from my_deepagent.cli.main import main
from my_deepagent.consent import consent_file
from my_deepagent.settings import get_settings, reset_settings

KEY = "sk-test-" + "0123456789abcdefghijklmnop"  # built, so scanners see no key
PAYLOAD_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="  # base64 of 32 bytes


def run(*argv: str, stdin: str = "") -> int:
    sys.stdin = io.StringIO(stdin)
    reset_settings()
    return main(list(argv))


def korean_error(capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = "") -> str:
    """The message of the one Korean error line `mda argv...` ends with."""
    return error_line(run(*argv, stdin=stdin), capsys)


def test_keys_refuse_an_unknown_provider_and_a_bad_key_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = "openrouter, openai, anthropic, openai-compatible"
    assert korean_error(capsys, "keys", "set", "opena1", "--stdin", stdin=KEY) == msg(
        "operations.unknown_provider", provider="'opena1'", known=known
    )
    assert "알 수 없는 제공자 'opena1'" in msg(
        "operations.unknown_provider", provider="'opena1'", known=known
    )
    empty = korean_error(capsys, "keys", "set", "openai", "--stdin", stdin="  \n")
    assert empty == msg("operations.key_empty") and "키가 비어 있습니다" in empty
    spaced = korean_error(capsys, "keys", "set", "openai", "--stdin", stdin="sk-one two")
    assert spaced == msg("operations.key_has_whitespace")
    assert korean_error(capsys, "keys", "delete", "nobody").startswith("알 수 없는 제공자")


def test_login_without_a_provider_names_it_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "login", "--stdin", stdin=KEY)
    assert message == msg("operations.login_name_provider")
    assert message.startswith("제공자를 지정하세요: mda login PROVIDER")


def test_keys_say_what_they_did_in_korean(korean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("keys", "delete", "openai") == 0
    assert capsys.readouterr().out == "OS 키링에 openai 키가 없습니다\n"
    assert run("keys", "set", "openai", "--stdin", stdin=KEY) == 0
    out = capsys.readouterr().out
    assert out.startswith("openai 키를 OS 키링에 저장했습니다 (sha256:")
    assert run("logout") == 0
    assert capsys.readouterr().out == "OS 키링에서 삭제했습니다: openai\n"


def test_init_with_an_unknown_provider_or_a_broken_consent_file_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert korean_error(capsys, "init", "--allow", "nobody").startswith(
        "알 수 없는 제공자 'nobody'"
    )
    path = consent_file(get_settings())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    message = korean_error(capsys, "init", "--yes")
    assert message == msg("operations.consent_file_invalid", path=path)
    assert "올바른 JSON이 아닙니다" in message


def test_init_reports_consent_in_korean(korean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("init", "--allow", "openai") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("config.toml 파일을 만들었습니다")
    assert any(line.startswith("openai: ") and line.endswith("부터 허용됨") for line in lines)
    assert "openrouter: 허용 안 됨" in lines
    assert lines[-1] == msg("operations.init_consent_file", path=consent_file(get_settings()))


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("mysql://mda@localhost/mda", "operations.database_url_unsupported"),
        ("::not a url::", "operations.database_url_invalid"),
    ],
)
def test_db_status_refuses_a_database_url_it_cannot_use_in_korean(
    korean: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    key: str,
) -> None:
    monkeypatch.setenv("MDA_DATABASE_URL", url)
    message = korean_error(capsys, "db", "status")
    assert message.startswith("MDA_DATABASE_URL ")
    assert message == (
        msg(key, url="'mysql://mda@localhost/mda'") if "unsupported" in key else msg(key)
    )


def test_db_status_names_an_unreachable_database_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "pw-" + "not-shown"
    monkeypatch.setenv("MDA_DATABASE_URL", f"postgresql://mda:{password}@127.0.0.1:9/mda")
    message = korean_error(capsys, "db", "status")
    assert message.startswith("mda 데이터베이스 postgresql+asyncpg://mda:***@127.0.0.1:9/mda 에")
    assert "연결할 수 없습니다" in message and "MDA_DATABASE_URL 을 고치세요" in message
    assert password not in message


def test_an_invalid_setting_is_named_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_TEMPORAL_RETENTION_DAYS", "forever")
    message = korean_error(capsys, "server", "status")
    assert message.startswith("'temporal_retention_days' 설정이 올바르지 않습니다: ")
    assert "MDA_TEMPORAL_RETENTION_DAYS 환경 변수나" in message


def test_server_start_refuses_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_TEMPORAL_PORT", "7999")
    monkeypatch.setenv("MDA_TEMPORAL_UI_PORT", "7999")
    assert korean_error(capsys, "server", "start") == msg("operations.ports_equal", port=7999)

    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.example:7233")
    message = korean_error(capsys, "server", "start")
    assert message == msg(
        "operations.temporal_configured_elsewhere", address="temporal.example:7233"
    )
    assert "mda는 자체 서버를 실행하지 않습니다" in message


def test_server_status_of_an_unreachable_configured_server_in_korean(
    korean: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    unused_tcp_port: int,
) -> None:
    address = f"127.0.0.1:{unused_tcp_port}"
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    assert run("server", "status") == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == msg("operations.status_mode_configured")
    assert lines[1] == f"address    {address}"  # the labels stay as they are
    assert lines[-1].startswith(
        f"reachable  아니요: {address} 의 Temporal 서버에 연결할 수 없습니다"
    )
    assert "(연결 거부됨)" in lines[-1]
    assert run("server", "status", "--json") == 3
    document = json.loads(capsys.readouterr().out)
    assert document["mode"] == "configured" and document["reachable"] is False


def test_server_stop_and_logs_with_nothing_running_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("server", "stop") == 0
    assert capsys.readouterr().out == "실행 중인 내장 Temporal 서버가 없습니다\n"
    assert run("server", "logs") == 0
    assert "아직 Temporal 서버 로그가 없습니다" in capsys.readouterr().err


def test_worker_health_and_status_without_a_worker_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "worker", "health")
    data_dir = get_settings().paths.data_dir
    assert message == msg("operations.worker_unhealthy", data_dir=data_dir, seconds="30")
    assert "최근 30초 동안" in message
    assert run("worker", "status") == 3
    assert capsys.readouterr().out == msg("operations.worker_not_running_start_hint") + "\n"


def test_payload_keys_refuse_a_malformed_key_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_PAYLOAD_KEY", "not base64!")
    message = korean_error(capsys, "payload-key", "export")
    assert message == msg("operations.payload_key_invalid", where="MDA_PAYLOAD_KEY", size=32)
    assert "페이로드 키가 아닙니다" in message

    monkeypatch.setenv("MDA_PAYLOAD_KEY", PAYLOAD_KEY)
    monkeypatch.setenv("MDA_PAYLOAD_OLD_KEYS", "short")
    message = korean_error(capsys, "payload-key", "list")
    assert message.startswith("MDA_PAYLOAD_OLD_KEYS 의 키 값이 페이로드 키가 아닙니다")


def test_payload_key_list_speaks_korean_and_keeps_its_json(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_PAYLOAD_KEY", PAYLOAD_KEY)
    assert run("payload-key", "list") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == msg("operations.payload_sealing_off", source="environment")
    assert "봉인이 꺼져 있습니다" in out and "seals and opens" in out  # a table cell: data
    assert run("payload-key", "list", "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["keys"][0]["use"] == "seals and opens"


def test_the_codec_server_refuses_a_public_address_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_PAYLOAD_KEY", PAYLOAD_KEY)
    message = korean_error(capsys, "codec-server", "--host", "0.0.0.0")
    assert message == msg("operations.codec_server_loopback_only", host="0.0.0.0")
    assert "루프백 주소에만 바인딩합니다" in message


def test_audit_tail_refuses_both_filters_in_korean(
    korean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    message = korean_error(capsys, "audit", "tail", "--run", "x", "--session", "y")
    assert (
        message == msg("operations.audit_run_and_session") == "--run 과 --session 중 하나만 주세요"
    )


@pytest.mark.embedded_database
def test_doctor_speaks_korean_and_its_json_keeps_ids_and_status_words(
    korean: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDA_SANDBOX", "off")
    assert run("doctor", "--offline") == 0
    lines = capsys.readouterr().out.splitlines()
    server = next(line for line in lines if "temporal server:" in line)
    assert server == (
        "warn  temporal server: 내장 서버, 실행 중 아님  -> "
        + msg("operations.doctor_server_on_demand")
    )
    sandbox = next(line for line in lines if "sandbox:" in line)
    assert "꺼짐: 에이전트의 셸이 제한 없이 실행됩니다" in sandbox
    assert run("doctor", "--offline", "--json") == 0
    checks = {check["name"]: check for check in json.loads(capsys.readouterr().out)}
    assert checks["temporal server"]["status"] == "warn"
    assert checks["database"]["detail"].endswith("처음 쓸 때 만들어집니다")
    assert checks["key openrouter"]["fix"].startswith("openrouter 키가 없습니다")
