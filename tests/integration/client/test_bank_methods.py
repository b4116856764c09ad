"""The hash-bank methods of both clients against a live server: a bank made, filled with a
raw PDQ hash and an uploaded photo, listed, changed, exported and imported back, emptied and
deleted; a missing bank or content raises its own class."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from client_server import Server

from bank_media import jpeg, photo
from modgate.client import AsyncClient, Client
from modgate.client import errors as e

PDQ = "d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8"


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    with Client(server.url, server.key) as client:
        yield client


def test_a_bank_from_creation_to_deletion(client: Client) -> None:
    bank = client.create_bank("CLIENT_KNOWN", description="reposts", max_distance=20)
    assert (bank["name"], bank["description"], bank["max_distance"]) == (
        "CLIENT_KNOWN",
        "reposts",
        20,
    )
    assert not bank["negative"]
    raw = client.add_bank_content("CLIENT_KNOWN", signal_type="pdq", signal=PDQ, note="case 7")
    assert raw["source"] == "signal" and raw["note"] == "case 7" and raw["enabled"]
    assert [(s["signal_type"], s["signal"]) for s in raw["signals"]] == [("pdq", PDQ)]
    upload = client.add_bank_content(
        "CLIENT_KNOWN", jpeg(photo("chelsea")), note="cat", filename="cat.jpg"
    )
    assert upload["source"] == "upload" and upload["note"] == "cat"
    assert [s["signal_type"] for s in upload["signals"]] == ["pdq"]

    assert "CLIENT_KNOWN" in {b["name"] for b in client.list_banks()}
    assert client.get_bank("CLIENT_KNOWN")["name"] == "CLIENT_KNOWN"
    first = client.list_bank_contents("CLIENT_KNOWN", limit=1)
    assert [c["id"] for c in first.items] == [raw["id"]] and first.next_cursor is not None
    rest = client.list_bank_contents("CLIENT_KNOWN", limit=1, cursor=first.next_cursor)
    assert [c["id"] for c in rest.items] == [upload["id"]]
    assert [c["id"] for c in client.iter_bank_contents("CLIENT_KNOWN", limit=1)] == [
        raw["id"],
        upload["id"],
    ]

    changed = client.update_bank("CLIENT_KNOWN", matching_enabled_ratio=0.5, negative=True)
    assert changed["matching_enabled_ratio"] == 0.5 and changed["negative"]
    assert changed["description"] == "reposts"  # what was not given stays
    off = client.update_bank_content(raw["id"], enabled=False, note="retired")
    assert not off["enabled"] and off["note"] == "retired"
    assert client.get_bank_content(raw["id"]) == off

    entries = client.export_bank("CLIENT_KNOWN")
    assert [(x["signal"], x["note"], x["enabled"]) for x in entries][0] == (PDQ, "retired", False)
    assert {x["content_id"] for x in entries} == {raw["id"], upload["id"]}
    client.create_bank("CLIENT_COPY")
    moved = [{key: x[key] for key in ("signal_type", "signal", "note")} for x in entries]
    assert client.import_bank_entries(moved, bank="CLIENT_COPY") == {"CLIENT_COPY": 2}
    assert {x["signal"] for x in client.export_bank("CLIENT_COPY")} == {
        x["signal"] for x in entries
    }

    client.delete_bank_content(raw["id"])
    with pytest.raises(e.BankContentNotFoundException) as gone:
        client.get_bank_content(raw["id"])
    assert gone.value.status == 404 and isinstance(gone.value, e.ResourceNotFoundException)
    client.delete_bank("CLIENT_KNOWN")
    with pytest.raises(e.BankNotFoundException) as missing:
        client.get_bank("CLIENT_KNOWN")
    assert missing.value.code == "BankNotFoundException" and missing.value.status == 404
    with pytest.raises(e.BankContentNotFoundException):
        client.get_bank_content(upload["id"])  # went with its bank
    assert "CLIENT_KNOWN" not in {b["name"] for b in client.list_banks()}


def test_bank_errors_raise_their_classes(client: Client) -> None:
    client.create_bank("CLIENT_ERRORS")
    with pytest.raises(e.BankExistsException) as twice:
        client.create_bank("CLIENT_ERRORS")
    assert twice.value.status == 409 and isinstance(twice.value, e.ConflictException)
    with pytest.raises(e.InvalidBankNameException):
        client.create_bank("lower_case")
    with pytest.raises(e.InvalidSignalException) as bad:
        client.add_bank_content("CLIENT_ERRORS", signal_type="pdq", signal="not-a-hash")
    assert isinstance(bad.value, e.InvalidParameterException) and bad.value.status == 400
    with pytest.raises(e.BankNotFoundException):
        client.add_bank_content("NO_SUCH_BANK", signal_type="pdq", signal=PDQ)
    with pytest.raises(e.BankImportInvalidException):
        client.import_bank_entries([{"signal_type": "pdq", "signal": "x"}], bank="CLIENT_ERRORS")
    assert client.export_bank("CLIENT_ERRORS") == []  # nothing of a refused import
    with pytest.raises(TypeError):  # two sources: refused before anything is sent
        client.add_bank_content("CLIENT_ERRORS", b"bytes", signal_type="pdq", signal=PDQ)


def test_the_async_client_has_the_bank_methods(server: Server) -> None:
    async def run() -> None:
        async with AsyncClient(server.url, server.key) as modgate:
            await modgate.create_bank("CLIENT_ASYNC")
            added = await modgate.add_bank_content("CLIENT_ASYNC", signal_type="pdq", signal=PDQ)
            assert [c["id"] async for c in modgate.iter_bank_contents("CLIENT_ASYNC")] == [
                added["id"]
            ]
            await modgate.delete_bank("CLIENT_ASYNC")
            with pytest.raises(e.BankNotFoundException):
                await modgate.list_bank_contents("CLIENT_ASYNC")

    asyncio.run(run())
