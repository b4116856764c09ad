"""Every stage on one item: upload → detection → policy says review → a reviewer's verdict
becomes the final decision → the customer hears it by webhook → an appeal goes to someone else."""

from __future__ import annotations

import httpx

from modgate.media.service import preview_keys
from modgate.review.models import Reviewer, VerdictInput
from pipeline_helpers import Receiver, marker_png, wait_for


def test_review_lane_decides_what_the_policy_could_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from modgate.app import create_app
    from modgate.services import Services
    from modgate.settings import load_settings
    from servers import LiveServer

    settings = load_settings(
        data_dir=tmp_path / "data",
        # The marker frames carry "Weapons": the seed policy sends Violence ≥ 70 to review.
        detection={"enabled": ["marker"], "options": {"marker": {"label": "Weapons"}}},
        pipeline={"workers": 1, "poll_seconds": 0.1, "webhook_backoff_seconds": 0.1},
        auth={"api_keys_required": False},
        outbound_allow="127.0.0.1/32",  # the receiver below
    )
    services = Services.build(settings)
    try:
        with LiveServer(create_app(settings, services)) as server, Receiver() as hook:
            httpx.post(f"{server.url}/v1/webhooks", json={"url": hook.url}).raise_for_status()
            moderation = httpx.post(
                f"{server.url}/v1/moderations",
                params={"wait": "true"},
                files={"file": ("x.png", marker_png(3))},
                timeout=60,
            ).json()
            assert moderation["action"] == "review"
            assert moderation["final_action"] is None
            # The worker made the reviewer previews before the task opened: nobody waits.
            sha256 = moderation["media"]["sha256"]
            assert all(services.blobs.exists(key) for key in preview_keys(sha256))
            assert moderation["review"]["status"] == "queued"
            # The answer to the waiting request is the moderation as stored.
            assert moderation == httpx.get(f"{server.url}/v1/moderations/{moderation['id']}").json()
            reviews = services.review
            alice = Reviewer("usr_alice", "alice", ("*",))
            claim = reviews.claim_next(alice)
            assert claim is not None and claim.moderation_id == moderation["id"]
            reviews.submit_verdict(
                claim.task_id,
                alice,
                VerdictInput(
                    "allow", labels={"Violence": False, "Weapons": False}, seconds_spent=4.0
                ),
            )
            decided = httpx.get(f"{server.url}/v1/moderations/{moderation['id']}").json()
            assert decided["final_action"] == "allow"
            assert decided["review"]["status"] == "decided"
            events = wait_for(
                lambda: (
                    {e["type"] for e in hook.events()}
                    >= {"moderation.completed", "review.completed"}
                    and hook.events()
                ),
                timeout=30,
            )
            completed = next(e for e in events if e["type"] == "review.completed")
            assert completed["data"]["final_action"] == "allow"
            # The user appeals; the original reviewer may not decide it.
            appeal = httpx.post(
                f"{server.url}/v1/moderations/{moderation['id']}/appeal",
                json={"statement": "It is a toy."},
            )
            assert appeal.status_code == 201, appeal.text
            assert reviews.claim_next(Reviewer("usr_alice", "alice", ("*",), senior=True)) is None
            senior = Reviewer("usr_bob", "bob", ("*",), senior=True)
            appeal_claim = reviews.claim_next(senior)
            assert appeal_claim is not None and appeal_claim.queue == "appeals"
            reviews.submit_verdict(
                appeal_claim.task_id,
                senior,
                VerdictInput("block", labels={"Violence": True, "Weapons": True}),
            )
            final = httpx.get(f"{server.url}/v1/moderations/{moderation['id']}").json()
            assert final["final_action"] == "block"
            wait_for(lambda: "appeal.resolved" in {e["type"] for e in hook.events()}, timeout=30)
    finally:
        services.close()
