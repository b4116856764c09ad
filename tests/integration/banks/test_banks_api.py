"""modgate's own bank API over real HTTP: settings, content by id or hash, entries turned off
and on, notes, imports that are all or nothing, exports, tenants kept apart, every change on
record."""

from __future__ import annotations

import json

import sqlalchemy as sa

from bank_media import jpeg, photo
from banked import Banked
from modgate.audit import AuditEntryRow

PDQ = "d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8d8f8f0cce0e0f0f8"


def _lookup(banked: Banked, signal: str, signal_type: str = "pdq") -> dict[str, object]:
    answer = banked.a.get(
        "/hma/m/lookup",
        params={"signal_type": signal_type, "signal": signal, "bypass_coinflip": "true"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_bank_with_its_settings_is_made_changed_and_deleted(banked: Banked) -> None:
    made = banked.a.post(
        "/v1/banks",
        json={"name": "KNOWN_GOOD", "negative": True, "max_distance": 12, "description": "memes"},
    )
    assert made.status_code == 201, made.text
    assert made.json() | {"created_at": None, "updated_at": None} == {
        "name": "KNOWN_GOOD",
        "description": "memes",
        "matching_enabled_ratio": 1.0,
        "max_distance": 12,
        "negative": True,
        "content_count": 0,
        "created_at": None,
        "updated_at": None,
    }
    changed = banked.a.patch("/v1/banks/KNOWN_GOOD", json={"matching_enabled_ratio": 0.25})
    assert changed.json()["matching_enabled_ratio"] == 0.25 and changed.json()["negative"]
    assert "KNOWN_GOOD" in [b["name"] for b in banked.a.get("/v1/banks").json()["items"]]
    too_far = banked.a.patch("/v1/banks/KNOWN_GOOD", json={"max_distance": 300})
    assert too_far.status_code == 400
    assert banked.a.delete("/v1/banks/KNOWN_GOOD").status_code == 204
    assert banked.a.get("/v1/banks/KNOWN_GOOD").status_code == 404


def test_the_distance_threshold_and_disabled_entries_decide_what_matches(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "TIGHT", "max_distance": 4})
    added = banked.a.post(
        "/v1/banks/TIGHT/contents", json={"signal_type": "pdq", "signal": PDQ, "note": "case 7"}
    )
    assert added.status_code == 201, added.text
    content = added.json()
    assert content["note"] == "case 7" and content["enabled"] and content["source"] == "signal"
    four_off = "2" + PDQ[1:]  # d → 2: four bits apart (1101 → 0010)
    five_off = "27" + PDQ[2:]
    assert "TIGHT" in _lookup(banked, four_off)
    assert "TIGHT" not in _lookup(banked, five_off)
    off = banked.a.patch(f"/v1/bank-contents/{content['id']}", json={"enabled": False})
    assert off.json()["enabled"] is False
    assert "TIGHT" not in _lookup(banked, PDQ)
    banked.a.patch(f"/v1/bank-contents/{content['id']}", json={"enabled": True, "note": "ok"})
    assert banked.a.get(f"/v1/bank-contents/{content['id']}").json()["note"] == "ok"
    assert "TIGHT" in _lookup(banked, PDQ)
    assert banked.a.delete(f"/v1/bank-contents/{content['id']}").status_code == 204
    assert "TIGHT" not in _lookup(banked, PDQ)
    assert banked.a.get(f"/v1/bank-contents/{content['id']}").status_code == 404


def test_content_is_added_by_media_id_and_by_moderation_id(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "FROM_IDS"})
    picture = jpeg(photo("chelsea"))
    media = banked.a.post("/v1/media", files={"file": ("c.jpg", picture)}).json()
    by_media = banked.a.post("/v1/banks/FROM_IDS/contents", json={"media_id": media["id"]})
    assert by_media.status_code == 201, by_media.text
    assert by_media.json()["media_id"] == media["id"]
    moderation = banked.a.post(
        "/v1/moderations", params={"wait": "true"}, files={"file": ("k.jpg", jpeg(photo("cat")))}
    ).json()
    by_moderation = banked.a.post(
        "/v1/banks/FROM_IDS/contents", json={"moderation_id": moderation["id"], "note": "x"}
    )
    assert by_moderation.status_code == 201, by_moderation.text
    assert by_moderation.json()["moderation_id"] == moderation["id"]
    listed = banked.a.get("/v1/banks/FROM_IDS/contents").json()["items"]
    assert [c["source"] for c in listed] == ["media", "moderation"]
    found = banked.a.post("/hma/m/lookup", files={"photo": ("c.jpg", picture)}).json()["pdq"]
    assert found["FROM_IDS"][0]["bank_content_id"] == by_media.json()["id"]
    missing = banked.a.post("/v1/banks/FROM_IDS/contents", json={"media_id": "med_missing"})
    assert missing.status_code == 404


def test_an_import_is_all_or_nothing_and_an_export_gives_it_back(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "IMPORTED"})
    good = f"signal_type,signal,bank,note\npdq,{PDQ},IMPORTED,first\nvideo_md5,{'a' * 32},,second\n"
    bad = good + "pdq,not-a-hash,IMPORTED,third\n"
    refused = banked.a.post(
        "/v1/banks/import",
        params={"bank": "IMPORTED"},
        content=bad,
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "BankImportInvalidException"
    assert "Entry 3" in refused.json()["error"]["message"]
    assert banked.a.get("/v1/banks/IMPORTED").json()["content_count"] == 0
    imported = banked.a.post(
        "/v1/banks/import",
        params={"bank": "IMPORTED"},
        content=good,
        headers={"Content-Type": "text/csv"},
    )
    assert imported.json() == {"imported": {"IMPORTED": 2}}
    exported = banked.a.get("/v1/banks/IMPORTED/export").json()["entries"]
    assert [(e["signal_type"], e["signal"], e["note"]) for e in exported] == [
        ("pdq", PDQ, "first"),
        ("video_md5", "a" * 32, "second"),
    ]
    as_csv = banked.a.get("/v1/banks/IMPORTED/export", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.text.splitlines()[0] == "signal_type,signal,bank,note,enabled,content_id"
    # The export imports again, as JSON, into another bank.
    banked.a.post("/v1/banks", json={"name": "COPIED"})
    again = [e | {"bank": "COPIED"} for e in exported]
    copied = banked.a.post(
        "/v1/banks/import", content=json.dumps(again), headers={"Content-Type": "application/json"}
    )
    assert copied.json() == {"imported": {"COPIED": 2}}
    assert "COPIED" in _lookup(banked, "a" * 32, "video_md5")


def test_an_import_too_large_or_naming_a_missing_bank_is_refused_whole(banked: Banked) -> None:
    entries = [{"signal_type": "pdq", "signal": PDQ, "bank": "IMPORTED_TOO"}] * 51
    banked.a.post("/v1/banks", json={"name": "IMPORTED_TOO"})
    too_many = banked.a.post("/v1/banks/import", json=entries)
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "BankImportTooLargeException"
    elsewhere = entries[:2] + [{"signal_type": "pdq", "signal": PDQ, "bank": "NO_SUCH_BANK"}]
    missing = banked.a.post("/v1/banks/import", json=elsewhere)
    assert missing.status_code == 404
    assert banked.a.get("/v1/banks/IMPORTED_TOO").json()["content_count"] == 0


def test_another_tenants_banks_are_not_seen_matched_or_changed(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "PRIVATE"})
    content = banked.a.post(
        "/v1/banks/PRIVATE/contents", json={"signal_type": "pdq", "signal": PDQ}
    ).json()
    for method, path in (
        ("GET", "/v1/banks/PRIVATE"),
        ("GET", "/v1/banks/PRIVATE/contents"),
        ("GET", "/v1/banks/PRIVATE/export"),
        ("DELETE", "/v1/banks/PRIVATE"),
        ("GET", "/hma/c/bank/PRIVATE"),
        ("DELETE", "/hma/c/bank/PRIVATE"),
    ):
        theirs = banked.b.request(method, path)
        never = banked.b.request(method, path.replace("PRIVATE", "NEVER_MADE"))
        assert theirs.status_code == never.status_code == 404, (path, theirs.text)
        assert theirs.text.replace("PRIVATE", "NEVER_MADE") == never.text
    for method in ("GET", "DELETE"):
        theirs = banked.b.request(method, f"/v1/bank-contents/{content['id']}")
        assert theirs.status_code == 404
    assert (
        banked.b.patch(f"/v1/bank-contents/{content['id']}", json={"enabled": False}).status_code
        == 404
    )
    added = banked.b.post("/v1/banks/PRIVATE/contents", json={"signal_type": "pdq", "signal": PDQ})
    assert added.status_code == 404
    assert "PRIVATE" not in [b["name"] for b in banked.b.get("/hma/c/banks").json()]
    lookup = {"signal_type": "pdq", "signal": PDQ, "bypass_coinflip": "true"}
    assert "PRIVATE" not in banked.b.get("/hma/m/lookup", params=lookup).json()
    # B may have a bank of the same name: names are per tenant.
    assert banked.b.post("/v1/banks", json={"name": "PRIVATE"}).status_code == 201
    assert banked.b.get("/hma/m/lookup", params=lookup).json() == {}
    assert "PRIVATE" in _lookup(banked, PDQ)


def test_every_change_to_a_bank_is_in_the_audit_log(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "RECORDED"})
    content = banked.a.post(
        "/v1/banks/RECORDED/contents", json={"signal_type": "pdq", "signal": PDQ}
    ).json()
    banked.a.patch(f"/v1/bank-contents/{content['id']}", json={"enabled": False})
    banked.a.delete(f"/v1/bank-contents/{content['id']}")
    banked.a.patch("/v1/banks/RECORDED", json={"max_distance": 20})
    banked.a.delete("/v1/banks/RECORDED")
    with banked.services.sessions() as session:
        rows = session.execute(
            sa.select(
                AuditEntryRow.kind,
                AuditEntryRow.object,
                AuditEntryRow.actor,
                AuditEntryRow.tenant,
                AuditEntryRow.detail,
            )
            .where(AuditEntryRow.kind.like("bank.%"))
            .order_by(AuditEntryRow.seq)
        ).all()
    mine = [row for row in rows if json.loads(row.detail)["bank"] == "RECORDED"]
    key_id = banked.services.auth.verify_key(banked.key_a).id
    assert {(row.actor, row.tenant) for row in mine} == {(f"key:{key_id}", "acme")}
    assert [(row.kind, row.object) for row in mine] == [
        ("bank.created", "bank:RECORDED"),
        ("bank.content_added", f"bank_content:{content['id']}"),
        ("bank.content_changed", f"bank_content:{content['id']}"),
        ("bank.content_removed", f"bank_content:{content['id']}"),
        ("bank.changed", "bank:RECORDED"),
        ("bank.deleted", "bank:RECORDED"),
    ]
    assert json.loads(mine[4].detail) == {"bank": "RECORDED", "max_distance": 20}


def test_an_entry_imported_turned_off_does_not_match_until_turned_on(banked: Banked) -> None:
    banked.a.post("/v1/banks", json={"name": "IMPORTED_OFF"})
    signal = "0f" * 31 + "11"
    entry = {"signal_type": "pdq", "signal": signal, "bank": "IMPORTED_OFF", "enabled": False}
    assert banked.a.post("/v1/banks/import", json=[entry]).status_code == 200
    assert "IMPORTED_OFF" not in _lookup(banked, signal)
    [content] = banked.a.get("/v1/banks/IMPORTED_OFF/contents").json()["items"]
    banked.a.patch(f"/v1/bank-contents/{content['id']}", json={"enabled": True})
    assert "IMPORTED_OFF" in _lookup(banked, signal)
