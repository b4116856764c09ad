"""Signed checkpoints of the audit log: C2SP ``tlog-checkpoint`` bodies in C2SP signed notes,
signed with Ed25519.

A checkpoint says "the log named ``origin`` had ``size`` entries and this Merkle root", and its
signature lets anyone holding the verifier key check that later logs extend it (a consistency
proof) and that it was not made up afterwards. Checkpoints are written outside the database, so
someone who can rewrite the database cannot rewrite them too::

    modgate.example/audit            ← origin (the key's name)
    1234                             ← tree size
    2c5x…=                           ← base64 root hash
                                     ← blank line: the signed text ends above it
    — modgate.example/audit AbCd…=   ← key name, base64(4-byte key id ‖ 64-byte signature)

Keys use the note formats too: the signing key file holds
``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ 32-byte seed)>``, the verifier key is
``<name>+<hex id>+<base64(0x01 ‖ 32-byte public key)>``, the key id being the first four bytes
of ``SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from modgate.errors import InvalidCheckpointException

ED25519 = 0x01
KEY_NAME = re.compile(r"[^\s+]{1,255}")
SIGNATURE_LINE = re.compile(r"\u2014 (\S+) ([A-Za-z0-9+/=]+)\n")


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCheckpointException(f"{what} is not base64") from exc


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)  # base64 may hold "+" too
        if len(parts) != 3 or not KEY_NAME.fullmatch(parts[0]):
            raise InvalidCheckpointException("a verifier key reads <name>+<hex id>+<base64 key>")
        raw = _b64(parts[2], "the verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise InvalidCheckpointException("the verifier key is not an Ed25519 key")
        key = cls(parts[0], raw[1:])
        if key.key_id.hex() != parts[1].lower():
            raise InvalidCheckpointException(
                "the verifier key's id does not match its name and key"
            )
        return key


@dataclass(frozen=True)
class SigningKey:
    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        if not KEY_NAME.fullmatch(name):
            raise InvalidCheckpointException("a key name is 1-255 characters without spaces or '+'")
        private = Ed25519PrivateKey.generate()
        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return cls(name, seed)

    @property
    def private(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> VerifierKey:
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return VerifierKey(self.name, public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not KEY_NAME.fullmatch(parts[2]):
            raise InvalidCheckpointException(
                "the signing key file must hold PRIVATE+KEY+<name>+<hex id>+<base64 key> "
                "(make one with `modgate audit keygen`)"
            )
        raw = _b64(parts[4], "the signing key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise InvalidCheckpointException("the signing key is not an Ed25519 key")
        key = cls(parts[2], raw[1:])
        if key.verifier.key_id.hex() != parts[3].lower():
            raise InvalidCheckpointException("the signing key's id does not match its name and key")
        return key


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, key: SigningKey) -> str:
        """The signed note: the body, a blank line and the signature line."""
        return sign_note(self.body(), key)

    @classmethod
    def open(cls, note: str, key: VerifierKey) -> Checkpoint:
        """The checkpoint in ``note`` once ``key``'s signature on it verifies; otherwise
        ``InvalidCheckpointException`` saying why (not a note, not signed by this key,
        tampered)."""
        return cls.parse_body(open_note(note, key))

    @classmethod
    def parse_body(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise InvalidCheckpointException(
                "a checkpoint body is origin, size and root hash, one a line"
            )
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
            raise InvalidCheckpointException(f"the checkpoint's size {size_text!r} is not a number")
        root = _b64(root_text, "the checkpoint's root hash")
        if len(root) != 32:
            raise InvalidCheckpointException("the checkpoint's root hash is not 32 bytes")
        return cls(origin, int(size_text), root)


def sign_note(text: str, key: SigningKey) -> str:
    """``text`` (ending with a newline) as a signed note: a blank line, then the signature."""
    if not text.endswith("\n") or "\n\n" in text:
        raise InvalidCheckpointException(
            "a note's text ends with one newline and has no blank line"
        )
    signature = key.private.sign(text.encode())
    stamp = base64.b64encode(key.verifier.key_id + signature).decode()
    return f"{text}\n\u2014 {key.name} {stamp}\n"


def open_note(note: str, key: VerifierKey) -> str:
    """The text of ``note`` once ``key``'s signature on it verifies."""
    text, separator, signatures = note.partition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise InvalidCheckpointException("not a signed note: no blank line before the signatures")
    text += "\n"
    lines = SIGNATURE_LINE.findall(signatures)
    if "".join(f"\u2014 {n} {s}\n" for n, s in lines) != signatures:
        raise InvalidCheckpointException("not a signed note: a signature line is malformed")
    for name, stamp in lines:
        if name != key.name:
            continue
        raw = _b64(stamp, "a signature")
        if len(raw) != 68 or raw[:4] != key.key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise InvalidCheckpointException(
                f"the signature of {key.name} does not verify: the checkpoint was altered"
            ) from None
        return text
    raise InvalidCheckpointException(f"the checkpoint is not signed by the key {key.name}")
