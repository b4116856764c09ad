"""Decisions for viewers over real HTTP, on SQLite and PostgreSQL: a stored item judged again
for the viewer's age band, local time and surface, from its stored detections; a page of items
in one call; the reviewers' verdict and the viewer's overlays combined; bad input refused.

The kids surface runs ``policies/kids.yaml`` (a night overlay from 20:00, an under-13 overlay).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from databases import fresh_postgres_database
from modgate.app import create_app
from modgate.detection.tables import DetectionRow
from modgate.moderation.store import SqlModerationStore
from modgate.pipeline.decide import FAILED_RULE
from modgate.policy import Policy, load_policy
from modgate.services import Services
from modgate.settings import load_settings
from modgate.taxonomy.detections import Label, Timeline, TimelineEntry, Unchecked
from modgate.viewer import VERDICT_RULE
from servers import LiveServer
from viewer_helpers import MODEL_VERSION, seed

POLICIES = Path(__file__).resolve().parents[3] / "policies"
ADULT_AT_NOON = {"audience": "18+", "local_time": "12:00"}
TWELVE_AT_NIGHT = {"audience": "12", "local_time": "21:30"}


@dataclass
class Served:
    services: Services
    kids: Policy
    client: httpx.Client  # tenant acme, scope moderations:read only
    other: httpx.Client  # tenant globex

    def seed(self, labels: dict[str, float], **options: Any) -> str:
        options.setdefault("tenant", "acme")
        return seed(self.services.sessions, self.kids, labels, **options)

    def decision(self, moderation_id: str, **context: str) -> dict[str, Any]:
        answer = self.client.get(f"/v1/moderations/{moderation_id}/decision", params=context)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("viewer")
    with _database(request, tmp) as url:
        settings = load_settings(
            data_dir=tmp / "data",
            database_url=url,
            detection={"enabled": ["marker"]},
            pipeline={"workers": 1, "poll_seconds": 0.2},
        )
        services = Services.build(settings)
        kids = load_policy(POLICIES / "kids.yaml")
        services.policies.save(kids, author="cli:tests@localhost")
        services.policies.activate(kids.version, "kids", actor="cli:tests@localhost")
        key_a = services.auth.create_key(
            "feed", ["moderations:read"], "acme", actor="cli:tests@localhost"
        )[0]
        key_b = services.auth.create_key(
            "feed", ["moderations:read"], "globex", actor="cli:tests@localhost"
        )[0]
        try:
            with (
                LiveServer(create_app(settings, services)) as live,
                _client(live.url, key_a) as client,
                _client(live.url, key_b) as other,
            ):
                yield Served(services, kids, client, other)
        finally:
            services.close()


def _database(request: pytest.FixtureRequest, tmp: Path) -> Any:
    if request.param == "sqlite":
        return contextlib.nullcontext(f"sqlite:///{tmp / 'modgate.db'}")
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_one_item_is_shown_to_adults_at_noon_and_blocked_for_a_twelve_year_old_at_night(
    served: Served,
) -> None:
    item = served.seed({"Female Swimwear or Underwear": 60})
    stored = served.services.moderations.get(item)
    adult = served.decision(item, **ADULT_AT_NOON)
    assert (adult["action"], adult["rule"]) == ("annotate", "kids-swimwear")
    assert adult["overlays"] == []
    assert adult["policy_version"] == served.kids.version
    assert adult["context"] == {"surface": "kids", "audience": "18+", "local_time": "12:00"}
    child = served.decision(item, **TWELVE_AT_NIGHT)
    assert (child["action"], child["rule"]) == ("block", "under-13/Swimwear or Underwear")
    assert child["overlays"] == ["night", "under-13"]
    assert any("Female Swimwear or Underwear at 60" in reason for reason in child["reasons"])
    # The upload's own decision is not touched.
    assert served.services.moderations.get(item)["action"] == stored["action"] == "annotate"


def test_an_allow_verdict_answers_for_its_rule_but_not_for_a_stricter_viewer_rule(
    served: Served,
) -> None:
    item = served.seed({"Female Swimwear or Underwear": 97}, verdict="allow")
    assert served.services.moderations.get(item)["rule"] == "kids-swimwear"  # sent to review
    adult = served.decision(item, **ADULT_AT_NOON)
    assert (adult["action"], adult["rule"], adult["verdict"]) == ("allow", VERDICT_RULE, "allow")
    child = served.decision(item, **TWELVE_AT_NIGHT)
    assert (child["action"], child["rule"]) == ("block", "under-13/Swimwear or Underwear")
    assert child["verdict"] == "allow"
    assert "did not rule on" in child["reasons"][-1]


def test_an_overturned_machine_block_stays_overturned_for_its_rule(served: Served) -> None:
    item = served.seed({"Explicit Nudity": 75}, verdict="allow")
    assert served.services.moderations.get(item)["action"] == "block"
    for context in (ADULT_AT_NOON, TWELVE_AT_NIGHT):
        answer = served.decision(item, **context)
        assert (answer["action"], answer["rule"]) == ("allow", VERDICT_RULE), context


def test_a_reviewers_block_is_never_undone_by_a_lenient_viewer(served: Served) -> None:
    item = served.seed({"Female Swimwear or Underwear": 45}, verdict="block")
    # The policy alone would let every viewer see it (annotate by day, review at night at most).
    answer = served.decision(item, **ADULT_AT_NOON)
    assert (answer["action"], answer["rule"], answer["verdict"]) == ("block", VERDICT_RULE, "block")
    pinned = served.decision(item, **ADULT_AT_NOON, surface="default")
    assert pinned["action"] == "block"


def test_text_found_in_the_image_is_judged_again(served: Served) -> None:
    item = served.seed({}, text="add me on snapchat")
    answer = served.decision(item, **ADULT_AT_NOON)
    assert (answer["action"], answer["rule"]) == ("review", "kids-contact-details")


def test_a_page_is_decided_in_order_with_pending_and_missing_items(served: Served) -> None:
    shown = served.seed({"Female Swimwear or Underwear": 60})
    blocked = served.seed({"Hate Symbols": 90})
    waiting = served.seed({}, decided=False)
    theirs = served.seed({"Female Swimwear or Underwear": 60}, tenant="globex")
    names = [shown, blocked, waiting, "mod_" + "0" * 32, theirs, shown]
    answer = served.client.post(
        "/v1/decisions",
        json={"context": TWELVE_AT_NIGHT, "items": [{"moderation_id": n} for n in names]},
    )
    assert answer.status_code == 200, answer.text
    decisions = answer.json()["decisions"]
    assert [d["moderation_id"] for d in decisions] == names
    assert [d.get("action") or d["status"] for d in decisions] == [
        "block",
        "block",
        "pending",
        "not_found",
        "not_found",
        "block",
    ]
    assert decisions[1]["rule"] == "kids-hate"
    assert decisions[2] == {"moderation_id": waiting, "status": "pending"}
    missing, other_tenants = decisions[3], decisions[4]
    assert missing["error"]["code"] == other_tenants["error"]["code"] == "ResourceNotFoundException"
    assert (
        other_tenants["error"]["message"].replace(theirs, names[3]) == missing["error"]["message"]
    )
    # The other tenant sees its own item, and gets the 404 entry for acme's.
    own = served.other.post(
        "/v1/decisions",
        json={"items": [{"moderation_id": theirs}, {"moderation_id": shown}]},
    ).json()["decisions"]
    assert own[0]["status"] == "decided" and own[1]["status"] == "not_found"


def test_a_stored_policy_version_can_be_named(served: Served) -> None:
    marketplace = load_policy(POLICIES / "marketplace.yaml")
    served.services.policies.save(marketplace, author="cli:tests@localhost")
    item = served.seed({"Female Swimwear or Underwear": 60})
    answer = served.decision(item, **ADULT_AT_NOON, policy_version=marketplace.version[:12])
    assert answer["policy_version"] == marketplace.version
    unknown = served.client.get(
        f"/v1/moderations/{item}/decision", params={"policy_version": "f" * 64}
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "PolicyVersionNotFoundException"


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ({"surface": "no-such-surface"}, "UnknownSurfaceException"),
        ({"local_time": "25:99"}, "InvalidContextError"),
        ({"local_time": "half past nine"}, "InvalidContextError"),
        ({"audience": "17-13"}, "InvalidContextError"),
        ({"audience": "500"}, "InvalidContextError"),
        ({"timezone": "America"}, "InvalidContextError"),
        ({"region": "Utah"}, "InvalidContextError"),
    ],
)
def test_a_bad_viewer_context_is_refused_with_its_code(
    served: Served, context: dict[str, str], code: str
) -> None:
    item = served.seed({})
    one = served.client.get(f"/v1/moderations/{item}/decision", params=context)
    page = served.client.post(
        "/v1/decisions", json={"context": context, "items": [{"moderation_id": item}]}
    )
    for answer in (one, page):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == code


def test_a_page_of_more_than_a_thousand_items_is_refused(served: Served) -> None:
    items = [{"moderation_id": "mod_" + "0" * 32}] * 1001
    answer = served.client.post("/v1/decisions", json={"items": items})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "TooManyItemsException"
    full = served.client.post("/v1/decisions", json={"items": items[:1000]})
    assert full.status_code == 200 and len(full.json()["decisions"]) == 1000


def test_a_missing_or_other_tenants_item_is_a_404(served: Served) -> None:
    theirs = served.seed({}, tenant="globex")
    for moderation_id in (theirs, "mod_" + "0" * 32):
        answer = served.client.get(f"/v1/moderations/{moderation_id}/decision")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "ResourceNotFoundException"


def test_the_labels_on_the_moderation_serve_when_its_detections_row_is_gone(
    served: Served,
) -> None:
    item = served.seed({"Female Swimwear or Underwear": 60}, sha256="e" * 64)
    with served.services.sessions.begin() as session:
        session.execute(sa.delete(DetectionRow).where(DetectionRow.sha256 == "e" * 64))
    child = served.decision(item, **TWELVE_AT_NIGHT)
    assert (child["action"], child["rule"]) == ("block", "under-13/Swimwear or Underwear")


def test_a_video_is_judged_again_on_its_flagged_time_and_never_allowed_unseen(
    served: Served,
) -> None:
    def explicit_for(seconds: int, unchecked: Unchecked | None = None) -> Timeline:
        nipple = Label("Exposed Female Nipple", 62.0, "Explicit Nudity", 3)
        return Timeline(
            (TimelineEntry(1000, 1000 + seconds * 1000, nipple),),
            MODEL_VERSION,
            unchecked=unchecked,
        )

    flagged = served.seed({}, timeline=explicit_for(1))
    answer = served.decision(flagged, **ADULT_AT_NOON)
    assert (answer["action"], answer["rule"]) == ("block", "kids-explicit")
    damaged = Unchecked(4000, 3, "4.0 s of the video could not be decoded")
    clean = Timeline((), MODEL_VERSION, unchecked=damaged)
    unseen = served.seed({}, timeline=clean)
    answer = served.decision(unseen, **ADULT_AT_NOON)
    assert (answer["action"], answer["rule"]) == ("review", "modgate.incomplete-media")
    assert answer["reasons"][-1] == damaged.reason


def test_the_uploaders_state_is_the_items_own_unless_the_viewer_names_one(
    served: Served,
) -> None:
    item = served.seed({"Sex Toys": 25}, context={"surface": "kids", "user_state": "new"})
    assert served.services.moderations.get(item)["rule"] == "new-uploader/Explicit"
    carried = served.decision(item, **ADULT_AT_NOON)
    assert (carried["action"], carried["rule"]) == ("review", "new-uploader/Explicit")
    assert carried["context"]["user_state"] == "new"
    named = served.decision(item, **ADULT_AT_NOON, user_state="trusted")
    assert named["action"] == "allow" and named["context"]["user_state"] == "trusted"


def test_a_full_page_is_accepted_however_it_is_spaced_and_a_huge_body_is_refused(
    served: Served,
) -> None:
    items = [{"moderation_id": "mod_" + "0" * 32}] * 1000
    spaced = json.dumps({"context": ADULT_AT_NOON, "items": items}, indent=4).encode()
    assert len(spaced) > 64 * 1024  # past the cap of other JSON bodies
    headers = {"Content-Type": "application/json"}
    answer = served.client.post("/v1/decisions", content=spaced, headers=headers)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["decisions"]) == 1000
    huge = json.dumps({"items": items, "padding": " " * 400_000}).encode()
    refused = served.client.post("/v1/decisions", content=huge, headers=headers)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "RequestTooLargeException"


def test_an_item_whose_processing_failed_answers_modgates_own_ruling(served: Served) -> None:
    item = served.seed({}, decided=False)
    failed = {
        "status": "failed",
        "action": "review",
        "rule_id": FAILED_RULE,
        "policy_version": None,
        "decision": {},
        "error": {"code": "CorruptMediaException", "message": "unreadable"},
    }
    with served.services.sessions.begin() as session:
        SqlModerationStore().decide(session, item, failed)
    answer = served.decision(item, **TWELVE_AT_NIGHT)
    assert (answer["action"], answer["rule"], answer["policy_version"]) == (
        "review",
        FAILED_RULE,
        None,
    )
