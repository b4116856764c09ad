"""Signed notes and checkpoints in the C2SP formats: the known answers of the Go reference
implementation (golang.org/x/mod/sumdb/note) and of the C2SP signed-note specification are
reproduced byte for byte, keys survive being written and read, and notes that were altered,
signed by another key or malformed are refused with the reason."""

from __future__ import annotations

import pytest

from modgate.audit.checkpoint import (
    Checkpoint,
    SigningKey,
    VerifierKey,
    open_note,
    sign_note,
)
from modgate.errors import InvalidCheckpointException

GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
SPEC_VERIFIER = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_the_go_reference_note_is_reproduced_byte_for_byte() -> None:
    signer = SigningKey.parse(GO_SIGNER)
    assert str(signer) == GO_SIGNER and str(signer.verifier) == GO_VERIFIER
    assert sign_note(GO_TEXT, signer) == GO_NOTE
    assert open_note(GO_NOTE, VerifierKey.parse(GO_VERIFIER)) == GO_TEXT


def test_the_specification_example_verifies() -> None:
    assert open_note(SPEC_NOTE, VerifierKey.parse(SPEC_VERIFIER)) == "This is an example message.\n"


def test_keys_round_trip_and_checkpoints_open_with_their_key() -> None:
    for _ in range(20):  # base64 keys often hold a '+', the separator of the fields
        key = SigningKey.generate("modgate.example/audit")
        assert SigningKey.parse(str(key)) == key
        assert VerifierKey.parse(str(key.verifier)) == key.verifier
    checkpoint = Checkpoint("modgate.example/audit", 1234, bytes(range(32)))
    note = checkpoint.sign(key)
    assert note.startswith(
        "modgate.example/audit\n1234\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n"
    )
    assert Checkpoint.open(note, key.verifier) == checkpoint


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda n: n.replace("\n1234\n", "\n1235\n"),
            "does not verify: the checkpoint was altered",
        ),
        (lambda n: n.replace("\n\n", "\n"), "no blank line"),
        (lambda n: n.replace("\u2014", "-"), "signature line is malformed"),
        (lambda n: n.replace("\u2014 modgate.example/audit ", "\u2014 other "), "not signed by"),
        (lambda n: "x\n" + n, "does not verify"),
    ],
)
def test_altered_notes_are_refused_with_the_reason(change, reason) -> None:  # type: ignore[no-untyped-def]
    key = SigningKey.generate("modgate.example/audit")
    note = Checkpoint("modgate.example/audit", 1234, bytes(32)).sign(key)
    with pytest.raises(InvalidCheckpointException, match=reason):
        Checkpoint.open(change(note), key.verifier)


def test_another_key_of_the_same_name_is_refused() -> None:
    key, impostor = SigningKey.generate("a/log"), SigningKey.generate("a/log")
    note = Checkpoint("a/log", 1, bytes(32)).sign(impostor)
    with pytest.raises(InvalidCheckpointException, match="not signed by the key a/log"):
        Checkpoint.open(note, key.verifier)


@pytest.mark.parametrize(
    "text",
    ["nonsense", "PRIVATE+KEY+a+00000000+AAAA", GO_SIGNER.replace("c74f20a3", "c74f20a4")],
)
def test_bad_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidCheckpointException):
        SigningKey.parse(text)
    with pytest.raises(InvalidCheckpointException):
        VerifierKey.parse(text.removeprefix("PRIVATE+KEY+"))


@pytest.mark.parametrize(
    "body", ["a\n01\nAAAA\n", "a\nx\nAAAA\n", "a\n1\nnot-base64!\n", "a\n1\nAAAA\n", "\n1\nAA==\n"]
)
def test_bad_checkpoint_bodies_are_refused(body: str) -> None:
    with pytest.raises(InvalidCheckpointException):
        Checkpoint.parse_body(body)
