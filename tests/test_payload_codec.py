"""Sealed Temporal payloads: the codec, its keys (the tests' file keyring, and none at
all), `mda payload-key`, and `mda codec-server` over real HTTP."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import pydantic_data_converter

from file_keyring import no_keyring_env
from my_deepagent.cli.main import main
from my_deepagent.codec_server import CodecServer
from my_deepagent.errors import ConfigError
from my_deepagent.payload_codec import (
    ENCODING,
    KEY_ID_FIELD,
    EncryptionCodec,
    PayloadKeys,
    encode_key,
    key_id,
    new_key,
    payload_keys,
)
from my_deepagent.settings import get_settings, reset_settings
from my_deepagent.workflows.session_types import ChatMessage

SECRET_TEXT = "the plan for the merger, in confidence"
LEAKED = "ghp_" + "L" * 36  # built from parts, so scanners see no key in the source


def plain_payload(text: str = SECRET_TEXT) -> Payload:
    message = ChatMessage(client_id="c1", text=text, size=len(text))
    return pydantic_data_converter.payload_converter.to_payloads([message])[0]


def mda(*args: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    reset_settings()
    return main(list(args))


async def test_a_sealed_payload_holds_no_plaintext_and_opens_to_the_same_payload() -> None:
    codec = EncryptionCodec(PayloadKeys(new_key()))
    original = plain_payload()
    [sealed] = await codec.encode([original])
    assert SECRET_TEXT.encode() not in sealed.SerializeToString()
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID_FIELD].decode() == key_id(codec.keys.current)
    [opened] = await codec.decode([sealed])
    assert opened == original
    [again] = await codec.encode([original])
    assert again.data != sealed.data, "every seal takes a fresh nonce"


async def test_payloads_written_before_sealing_was_on_are_read_as_they_are() -> None:
    codec = EncryptionCodec(PayloadKeys(new_key()))
    original = plain_payload()
    assert await codec.decode([original]) == [original]


async def test_a_changed_payload_or_a_missing_key_is_one_clear_error() -> None:
    codec = EncryptionCodec(PayloadKeys(new_key()))
    [sealed] = await codec.encode([plain_payload()])
    tampered = Payload()
    tampered.CopyFrom(sealed)
    tampered.data = sealed.data[:-1] + bytes([sealed.data[-1] ^ 1])
    with pytest.raises(ValueError, match="fails its integrity check"):
        await codec.decode([tampered])
    stranger = EncryptionCodec(PayloadKeys(new_key()))
    with pytest.raises(ValueError, match=rf"payload key {key_id(codec.keys.current)}.*OLD_KEYS"):
        await stranger.decode([sealed])


async def test_after_a_rotation_old_payloads_still_open(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert mda("payload-key", "new", monkeypatch=monkeypatch) == 0
    first = payload_keys(get_settings())
    [sealed] = await EncryptionCodec(first).encode([plain_payload()])
    assert mda("payload-key", "new", monkeypatch=monkeypatch) == 0
    second = payload_keys(get_settings())
    assert second.current != first.current and second.retired == (first.current,)
    [opened] = await EncryptionCodec(second).decode([sealed])
    assert opened == plain_payload()
    [resealed] = await EncryptionCodec(second).encode([opened])
    assert resealed.metadata[KEY_ID_FIELD].decode() == key_id(second.current)
    capsys.readouterr()
    assert mda("payload-key", "list", "--json", monkeypatch=monkeypatch) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["keys"] == [
        {"id": key_id(second.current), "use": "seals and opens"},
        {"id": key_id(first.current), "use": "opens"},
    ]
    assert mda("payload-key", "export", monkeypatch=monkeypatch) == 0
    shown = capsys.readouterr().out
    assert base64.b64decode(shown.strip()) == second.current


def test_the_environment_key_wins_and_old_keys_come_from_the_environment_too(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current, old = new_key(), new_key()
    monkeypatch.setenv("MDA_PAYLOAD_KEY", encode_key(current))
    monkeypatch.setenv("MDA_PAYLOAD_OLD_KEYS", encode_key(old))
    reset_settings()
    keys = payload_keys(get_settings())
    assert (keys.current, keys.retired, keys.source) == (current, (old,), "environment")


@pytest.mark.parametrize(
    ("value", "named"),
    [("not base64!", "MDA_PAYLOAD_KEY"), (encode_key(b"short"), "MDA_PAYLOAD_KEY")],
)
def test_a_malformed_key_is_one_line_naming_the_fix(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, value: str, named: str
) -> None:
    monkeypatch.setenv("MDA_PAYLOAD_KEY", value)
    reset_settings()
    with pytest.raises(ConfigError) as raised:
        payload_keys(get_settings())
    message = str(raised.value)
    assert message.startswith(f"{named} is not a payload key (base64 of 32 bytes)")
    assert "mda payload-key new" in message and "\n" not in message


async def test_sealing_on_without_any_key_is_refused_before_connecting(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from my_deepagent.temporal_config import connect_client

    monkeypatch.setenv("MDA_ENCRYPT_PAYLOADS", "1")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # never reached
    reset_settings()
    with pytest.raises(ConfigError) as raised:
        await connect_client()
    error = str(raised.value)
    assert error.startswith("payload encryption is on but there is no payload key")
    assert "`mda payload-key new`" in error and "MDA_PAYLOAD_KEY" in error
    assert "\n" not in error


def test_without_a_keyring_a_key_is_generated_for_the_environment(
    mda_home: Path, tmp_path: Path
) -> None:
    env = no_keyring_env(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "my_deepagent", *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    refused = run("payload-key", "new")
    assert refused.returncode == 2
    assert "no usable OS keyring" in refused.stderr and "mda payload-key generate" in refused.stderr
    generated = run("payload-key", "generate")
    assert generated.returncode == 0
    env["MDA_PAYLOAD_KEY"] = generated.stdout.strip()
    listed = run("payload-key", "list")
    assert listed.returncode == 0, listed.stderr
    assert "current key from the environment" in listed.stdout
    assert generated.stdout.strip() not in listed.stdout


@pytest.fixture
def codec_server() -> Iterator[CodecServer]:
    server = CodecServer(
        EncryptionCodec(PayloadKeys(new_key())),
        host="127.0.0.1",
        port=0,
        origins=["http://localhost:8233"],
    ).start()
    try:
        yield server
    finally:
        server.stop()


def post(
    url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def as_json(*payloads: Payload) -> bytes:
    return json_format.MessageToJson(Payloads(payloads=list(payloads))).encode()


def from_json(body: bytes) -> list[Payload]:
    return list(json_format.Parse(body, Payloads()).payloads)


def test_the_codec_server_decodes_what_the_codec_sealed(codec_server: CodecServer) -> None:
    original = plain_payload()
    status, _, body = post(f"{codec_server.url}/encode", as_json(original))
    assert status == 200
    [sealed] = from_json(body)
    assert sealed.metadata["encoding"] == ENCODING
    assert SECRET_TEXT.encode() not in sealed.data
    status, headers, body = post(
        f"{codec_server.url}/decode",
        as_json(sealed),
        {"Origin": "http://localhost:8233", "Content-Type": "application/json"},
    )
    assert status == 200
    assert from_json(body) == [original]
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8233"


def test_the_codec_server_answers_no_other_site_and_no_bad_body(
    codec_server: CodecServer,
) -> None:
    sealed = codec_server.codec.seal(plain_payload())
    evil = {"Origin": "https://evil.example", "Content-Type": "application/json"}
    status, headers, body = post(f"{codec_server.url}/decode", as_json(sealed), evil)
    assert status == 403
    assert "Access-Control-Allow-Origin" not in headers
    assert SECRET_TEXT.encode() not in body
    status, headers, _ = post(
        f"{codec_server.url}/decode",
        b"",
        {
            "Origin": "http://localhost:8233",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
        method="OPTIONS",
    )
    assert status == 204
    assert "X-Namespace" in headers["Access-Control-Allow-Headers"]
    status, _, body = post(f"{codec_server.url}/decode", b"{not json")
    assert status == 400 and b"not a Payloads JSON object" in body
    status, _, _ = post(f"{codec_server.url}/elsewhere", as_json(sealed))
    assert status == 404


def test_the_codec_server_binds_loopback_only(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MDA_PAYLOAD_KEY", encode_key(new_key()))
    assert mda("codec-server", "--host", "0.0.0.0", monkeypatch=monkeypatch) == 2
    error = capsys.readouterr().err
    assert error.startswith("mda: error: the codec server decrypts for whoever asks")
    assert error.count("\n") == 1


def test_a_failure_quoting_a_key_reaches_history_scrubbed() -> None:
    from temporalio.api.failure.v1 import Failure

    from my_deepagent.temporal_converter import data_converter

    converter = data_converter(encrypted=False)
    try:
        try:
            raise OSError(f"the inner cause saw {LEAKED}")
        except OSError as inner:
            raise RuntimeError(f"provider said: bad key {LEAKED}") from inner
    except RuntimeError as exc:
        failure = Failure()
        converter.failure_converter.to_failure(exc, converter.payload_converter, failure)
    stored = failure.SerializeToString()
    assert LEAKED.encode() not in stored
    assert failure.message == "provider said: bad key [redacted]"
    assert failure.cause.message == "the inner cause saw [redacted]"


async def test_with_sealing_on_a_failure_keeps_only_a_sealed_message(
    mda_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from temporalio.api.failure.v1 import Failure

    from my_deepagent.temporal_converter import data_converter

    monkeypatch.setenv("MDA_PAYLOAD_KEY", encode_key(new_key()))
    reset_settings()
    converter = data_converter(encrypted=True)
    failure = Failure()
    converter.failure_converter.to_failure(
        RuntimeError(f"{SECRET_TEXT}, key {LEAKED}"), converter.payload_converter, failure
    )
    assert failure.message == "Encoded failure"
    [sealed] = await converter.payload_codec.encode([failure.encoded_attributes])  # type: ignore[union-attr]
    assert SECRET_TEXT.encode() not in sealed.SerializeToString()
    [opened] = await converter.payload_codec.decode([sealed])  # type: ignore[union-attr]
    shown = converter.payload_converter.from_payloads([opened])[0]
    assert shown["message"] == f"{SECRET_TEXT}, key [redacted]"
