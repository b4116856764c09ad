"""The audit log over real HTTP for two tenants' auditor keys: each sees its own tenant's
entries only (another tenant's entry is a 404 exactly like a missing one), filters and pages
with a cursor, gets inclusion and consistency proofs that verify against the signed checkpoint
(served as the C2SP note written outside the database), and gets a clear 400 for garbage."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from modgate.app import create_app
from modgate.audit.checkpoint import Checkpoint, SigningKey
from modgate.audit.merkle import verify_consistency, verify_inclusion
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import marker_png
from servers import LiveServer

SCOPES = ["moderations:write", "moderations:read", "audit:read"]


@dataclass
class Setup:
    a: httpx.Client
    b: httpx.Client
    key_a: str  # A's key id
    services: Services
    verifier: Any


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("audit_api")
    key = SigningKey.generate("tests.local/audit")
    (tmp / "audit.key").write_text(f"{key}\n")
    settings = load_settings(
        data_dir=tmp / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.1},
        audit={"signing_key_file": tmp / "audit.key", "checkpoint_interval_seconds": 3600},
    )
    services = Services.build(settings)
    auth = services.auth
    plain_a, made_a = auth.create_key("auditor", SCOPES, "acme", actor="cli:tests@localhost")
    plain_b, _ = auth.create_key("auditor", SCOPES, "globex", actor="cli:tests@localhost")
    with (
        LiveServer(create_app(settings, services)) as live,
        httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {plain_a}"}) as a,
        httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {plain_b}"}) as b,
    ):
        for client, seed in ((a, 1), (b, 2), (a, 3)):
            answer = client.post(
                "/v1/moderations",
                params={"wait": "true"},
                files={"file": ("x.png", marker_png(seed))},
            )
            assert answer.status_code == 201, answer.text
        yield Setup(a, b, made_a.id, services, key.verifier)
    services.close()


def _entries(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/audit", params=params)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_each_tenant_reads_only_its_own_entries(setup: Setup) -> None:
    mine = _entries(setup.a)
    assert {e["tenant"] for e in mine} == {"acme"}
    kinds = [e["kind"] for e in mine]
    assert kinds.count("moderation.created") == 2 and kinds.count("moderation.completed") == 2
    created = [e for e in mine if e["kind"] == "moderation.created"]
    assert {e["actor"] for e in created} == {f"key:{setup.key_a}"}
    decided = next(e for e in mine if e["kind"] == "moderation.completed")
    assert decided["actor"] == "system:modgate"
    assert decided["detail"]["action"] == "block" and decided["detail"]["policy_version"]
    assert [e["seq"] for e in mine] == sorted(e["seq"] for e in mine)  # oldest first
    theirs = _entries(setup.b)
    assert {e["tenant"] for e in theirs} == {"globex"}
    assert not {e["seq"] for e in mine} & {e["seq"] for e in theirs}


def test_filters_and_the_cursor(setup: Setup) -> None:
    everything = _entries(setup.a)
    one = everything[0]
    assert _entries(setup.a, object=one["object"]) == [
        e for e in everything if e["object"] == one["object"]
    ]
    assert _entries(setup.a, kind="moderation.completed") == [
        e for e in everything if e["kind"] == "moderation.completed"
    ]
    assert _entries(setup.a, actor="system:modgate") == [
        e for e in everything if e["actor"] == "system:modgate"
    ]
    assert _entries(setup.a, since=one["time"], until=one["time"]) == []
    assert _entries(setup.a, since=one["time"])[0] == one
    pages, cursor = [], None
    while True:
        answer = setup.a.get(
            "/v1/audit", params={"limit": 1, **({"cursor": cursor} if cursor else {})}
        )
        pages.extend(answer.json()["items"])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == everything


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"cursor": "nonsense"}, "cursor is not valid"),
        ({"cursor": "c2VxOjk5OTk5"}, "past the end of the log"),  # seq:99999
        ({"kind": "moderation.exploded"}, "Unknown kind"),
        ({"since": "yesterday"}, "since"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_listing_parameters_are_a_400(setup: Setup, params: dict[str, str], says: str) -> None:
    answer = setup.a.get("/v1/audit", params=params)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["error"]["message"]


def test_proofs_verify_against_the_signed_checkpoint(setup: Setup) -> None:
    assert setup.a.get("/v1/audit/checkpoints/latest").status_code in (200, 404)
    setup.services.audit.sign_checkpoint(force=True)
    answer = setup.a.get("/v1/audit/checkpoints/latest")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    signed = Checkpoint.open(answer.text, setup.verifier)
    mine = _entries(setup.a)[-1]
    proof = setup.a.get(
        "/v1/audit/proofs/inclusion", params={"seq": mine["seq"], "tree_size": signed.size}
    ).json()
    assert proof["leaf_hash"] == mine["leaf_hash"]
    verify_inclusion(
        bytes.fromhex(mine["leaf_hash"]),
        mine["seq"],
        signed.size,
        [bytes.fromhex(p) for p in proof["proof"]],
        signed.root,
    )
    consistency = setup.a.get("/v1/audit/proofs/consistency", params={"from_size": 1}).json()
    assert consistency["to_size"] == signed.size
    verify_consistency(
        1,
        signed.size,
        bytes.fromhex(consistency["from_root"]),
        signed.root,
        [bytes.fromhex(p) for p in consistency["proof"]],
    )


def test_another_tenants_entry_is_not_found_like_a_missing_one(setup: Setup) -> None:
    theirs = _entries(setup.b)[0]["seq"]
    for seq in (theirs, 10**9):
        answer = setup.a.get("/v1/audit/proofs/inclusion", params={"seq": seq})
        assert answer.status_code == 404
        assert answer.json()["error"] == {
            "code": "ResourceNotFoundException",
            "message": f"No audit entry {seq}.",
        }


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/audit/proofs/inclusion", {"seq": "x"}),
        ("/v1/audit/proofs/inclusion", {"seq": "-1"}),
        ("/v1/audit/proofs/inclusion", {"seq": "0", "tree_size": "0"}),
        ("/v1/audit/proofs/consistency", {"from_size": "0"}),
        ("/v1/audit/proofs/consistency", {"from_size": "5", "to_size": "2"}),
        ("/v1/audit/proofs/consistency", {"from_size": "99999"}),
        ("/v1/audit/proofs/consistency", {"from_size": "1", "to_size": "99999"}),
    ],
)
def test_garbage_in_the_proof_api_is_a_400(setup: Setup, path: str, params: dict[str, str]) -> None:
    answer = setup.a.get(path, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "InvalidParameterException"


def test_an_entry_past_the_checkpoint_size_is_a_400(setup: Setup) -> None:
    mine = _entries(setup.a)[-1]["seq"]
    answer = setup.a.get("/v1/audit/proofs/inclusion", params={"seq": mine, "tree_size": mine})
    assert answer.status_code == 400
    assert "more than the entry's number" in answer.json()["error"]["message"]
