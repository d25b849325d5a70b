"""Encrypted Temporal payloads: AES-256-GCM, so a shared Temporal server sees no plaintext.

Off by default. With `encrypt_payloads = true` (or `MDA_ENCRYPT_PAYLOADS=1`) every
payload mda's client and worker write (workflow inputs and results, signals, updates,
activity arguments, heartbeat details, and failure messages) is sealed before it
leaves the process. A sealed payload is the whole original payload (its metadata
included), encrypted under a fresh 12-byte nonce, with the key's id in its metadata:

    metadata: {"encoding": "binary/encrypted", "encryption-key-id": "k1a2b3c4d5e6f"}
    data:     nonce || AES-256-GCM(key, nonce, original payload bytes)

Keys. The current key seals; every known key opens what it sealed, so keys can rotate
without losing old histories. The current key is `MDA_PAYLOAD_KEY` (base64 of 32
bytes), else the one in the OS keyring (`mda payload-key new`); older ones are
`MDA_PAYLOAD_OLD_KEYS` (comma-separated) and the keyring's retired keys. A key's id is
derived from the key, so machines that share a key agree on its id. Every client and
worker of one deployment needs the same keys: export the current one with
`mda payload-key export` and set it as `MDA_PAYLOAD_KEY` on the other machines.

Payloads that are not sealed (written before encryption was turned on) are read as
they are. Search attributes are not payloads Temporal lets a codec touch: they stay
readable (mda puts only the repository path and the kind of workflow there).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from my_deepagent.catalogue import english, msg
from my_deepagent.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from my_deepagent.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_FIELD = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12
ASSOCIATED_DATA = b"mda-payload-v1"
KEYRING_ENTRY = "payload-keys"
"""The OS keyring entry (service `my-deepagent`) holding the keys: JSON
`{"current": "<base64>", "retired": ["<base64>", ...]}`."""


def key_id(key: bytes) -> str:
    return "k" + hashlib.sha256(key).hexdigest()[:12]


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str, where: str) -> bytes:
    """The 32 bytes `text` (base64) stands for; a one-line error naming `where` if not."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(msg("operations.payload_key_invalid", where=where, size=KEY_BYTES))
    return key


@dataclass(frozen=True)
class PayloadKeys:
    current: bytes
    retired: tuple[bytes, ...] = ()
    source: str = "keyring"

    @property
    def by_id(self) -> dict[str, bytes]:
        return {key_id(key): key for key in (self.current, *self.retired)}


@dataclass
class EncryptionCodec(PayloadCodec):
    """Seal with the current key; open with whichever key sealed the payload."""

    keys: PayloadKeys
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.open(payload) for payload in payloads]

    def seal(self, payload: Payload) -> Payload:
        current = key_id(self.keys.current)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._cipher(current).encrypt(nonce, payload.SerializeToString(), ASSOCIATED_DATA)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_FIELD: current.encode()},
            data=nonce + sealed,
        )

    def open(self, payload: Payload) -> Payload:
        from cryptography.exceptions import InvalidTag

        if payload.metadata.get("encoding") != ENCODING:
            return payload
        wanted = payload.metadata.get(KEY_ID_FIELD, b"").decode("ascii", "replace")
        if wanted not in self.keys.by_id:
            raise ValueError(english("operations.payload_sealed_unknown_key", key=wanted))
        data = bytes(payload.data)
        try:
            plain = self._cipher(wanted).decrypt(
                data[:NONCE_BYTES], data[NONCE_BYTES:], ASSOCIATED_DATA
            )
        except InvalidTag:
            raise ValueError(english("operations.payload_tampered", key=wanted)) from None
        opened = Payload()
        opened.ParseFromString(plain)
        return opened

    def _cipher(self, kid: str) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        cipher = self._ciphers.get(kid)
        if cipher is None:
            cipher = self._ciphers[kid] = AESGCM(self.keys.by_id[kid])
        return cipher


def payload_keys(settings: Settings) -> PayloadKeys:
    """The keys from the environment or config, else the keyring; a one-line error
    naming both ways when there is none."""
    retired = tuple(
        decode_key(part, msg("operations.payload_where_old_keys"))
        for part in _secret(settings.payload_old_keys).split(",")
        if part.strip()
    )
    configured = _secret(settings.payload_key)
    if configured:
        current = decode_key(configured, "MDA_PAYLOAD_KEY")
        stored = _stored_keys(required=False)
        retired += stored.retired if stored is not None else ()
        return PayloadKeys(current, retired, source="environment")
    stored = _stored_keys(required=True)
    assert stored is not None
    return PayloadKeys(stored.current, stored.retired + retired, source="keyring")


def rotate_keys() -> PayloadKeys:
    """A new current key in the keyring; the one it replaces is kept for reading."""
    stored = _stored_keys(required=False)
    keys = PayloadKeys(
        new_key(), () if stored is None else (stored.current, *stored.retired), "keyring"
    )
    _write_keyring(keys)
    return keys


def _stored_keys(*, required: bool) -> PayloadKeys | None:
    """The keyring's payload keys; None when there are none (or no keyring) and they are
    not `required`."""
    from keyring.errors import KeyringError

    from my_deepagent.keys import KEYRING_SERVICE, keyring_backend

    try:
        text = keyring_backend().get_password(KEYRING_SERVICE, KEYRING_ENTRY)
    except (ConfigError, KeyringError):
        if not required:
            return None
        raise ConfigError(msg("operations.payload_no_key_no_keyring")) from None
    if text is None:
        if not required:
            return None
        raise ConfigError(msg("operations.payload_no_key"))
    try:
        stored = json.loads(text)
        retired = msg("operations.payload_where_retired")
        return PayloadKeys(
            decode_key(stored["current"], msg("operations.payload_where_keyring")),
            tuple(decode_key(k, retired) for k in stored.get("retired", [])),
        )
    except (ValueError, KeyError, TypeError, ConfigError):
        raise ConfigError(msg("operations.payload_keyring_unreadable")) from None


def _write_keyring(keys: PayloadKeys) -> None:
    from keyring.errors import KeyringError

    from my_deepagent.keys import KEYRING_SERVICE, keyring_backend

    value = json.dumps(
        {"current": encode_key(keys.current), "retired": [encode_key(k) for k in keys.retired]}
    )
    try:
        keyring_backend().set_password(KEYRING_SERVICE, KEYRING_ENTRY, value)
    except (ConfigError, KeyringError):
        raise ConfigError(msg("operations.payload_cannot_store")) from None


def _secret(value: object) -> str:
    from pydantic import SecretStr

    return value.get_secret_value().strip() if isinstance(value, SecretStr) else ""
