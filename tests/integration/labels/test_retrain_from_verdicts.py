"""Custom labels over the API and from reviewed history, end to end: a first version trained
from stored media by ``POST /v1/custom-labels`` (a job, polled with ``GET``), reviewers who
confirm the label on new photographs and reject it on abstract pictures, then ``modgate labels
retrain`` (one command, a real process) trains version 2 on version 1's examples plus those
verdicts and shadow-evaluates it against version 1 before it may go live."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from custom_label_corpus import abstract_art, jpeg, photo_crops
from modgate.client import Client
from modgate.moderation.tables import ModerationRow
from modgate.review.models import Reviewer, VerdictInput
from servers import run_modgate

sys.path.insert(0, str(Path(__file__).parents[1] / "review"))
from review_helpers import add_moderation  # noqa: E402

LABEL = "Photograph"


def wait_trained(client: Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = dict(client.get_custom_label_job(job_id))
        if job["status"] != "training":
            return job
        time.sleep(0.2)
    raise AssertionError("the training job did not finish")


def test_a_label_retrained_from_verdicts_is_shadow_evaluated(
    settings: Any, services: Any, live_server: Any
) -> None:
    def stored(pictures: list[Any]) -> list[str]:
        return [services.media.ingest_bytes(jpeg(p))[0].id for p in pictures]

    photos = stored(photo_crops(("astronaut", "coffee"), 3, seed=5))
    art = stored(abstract_art(6, seed=6))
    with Client(live_server.url) as client:
        started = dict(
            client.train_custom_label(
                LABEL, positive_media_ids=photos, negative_media_ids=art, parent=None
            )
        )
        assert (started["status"], started["version"], started["source"]) == ("training", 1, "api")
        first = wait_trained(client, started["id"])
        assert first["status"] == "live", first
        assert first["metrics"]["positives"] == 6 and first["shadow"] == {}

        # Reviewers: the label was flagged on some new photographs (they confirm it) and
        # missed on others (they add it), and was wrongly flagged on abstract pictures.
        new_photos = stored(photo_crops(("rocket", "chelsea", "camera"), 3, seed=7))
        new_art = stored(abstract_art(9, seed=8))
        flagged = [{"label": LABEL, "confidence": 60.0, "action": "review", "rule": "photos"}]
        other = [{"label": "Explicit Nudity", "confidence": 71.5, "action": "review", "rule": "n"}]
        verdicts = {}
        for index, media_id in enumerate(new_photos):
            confirm = index % 2 == 0
            verdicts[media_id] = (
                VerdictInput("block", labels={LABEL: True})
                if confirm
                else VerdictInput("block", labels={"Explicit Nudity": False}, missed=(LABEL,))
            )
            add_moderation(
                services.sessions,
                media_id=media_id,
                settings=services.review.settings,
                matched=flagged if confirm else other,
            )
        for media_id in new_art:
            verdicts[media_id] = VerdictInput("allow", labels={LABEL: False})
            add_moderation(
                services.sessions,
                media_id=media_id,
                settings=services.review.settings,
                matched=flagged,
            )
        reviewer = Reviewer("usr_ann", "ann", ("*",), False)
        for _ in verdicts:
            claim = services.review.claim_next(reviewer)
            assert claim is not None
            verdict = verdicts[_media_of(services, claim.moderation_id)]
            services.review.submit_verdict(claim.task_id, reviewer, verdict)

        env = {k: v for k, v in os.environ.items() if not k.startswith("MODGATE_")} | {
            "MODGATE_DATA_DIR": str(settings.data_dir),
            "MODGATE_DETECTION__ENABLED": '["marker"]',
        }
        result = run_modgate(["labels", "retrain", LABEL], env, timeout=300)
        assert result.returncode == 0, result.stderr
        second = wait_trained(client, _last_json(result.stdout)["id"])
        assert (second["version"], second["source"]) == (2, "verdicts")
        shadow = second["shadow"]
        assert shadow["against_version"] == 1 and shadow["examples"] == 18
        assert second["metrics"]["positives"] == 6 + 9
        assert second["metrics"]["negatives"] == 6 + 9
        print(
            f"shadow evaluation on 18 reviewed items: live v1 f1 {shadow['live']['f1']}, "
            f"candidate v2 f1 {shadow['candidate']['f1']}"
        )
        assert second["status"] == ("live" if shadow["promoted"] else "rejected")
        assert shadow["candidate"]["f1"] >= shadow["live"]["f1"] or not shadow["promoted"]
        live = services.labels.store.label("default", LABEL).live_version
        assert live == (2 if shadow["promoted"] else 1)

        again = run_modgate(["labels", "retrain", LABEL], env)
        assert again.returncode != 0 and "nothing new to learn from" in again.stderr


def _media_of(services: Any, moderation_id: str) -> str:
    with services.sessions() as session:
        row = session.get(ModerationRow, moderation_id)
        return str(row.media_id)


def _last_json(stdout: str) -> dict[str, Any]:
    return dict(json.loads(stdout.strip().splitlines()[-1]))
