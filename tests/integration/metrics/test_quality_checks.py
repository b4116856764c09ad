"""Blind quality checks on the running pipeline: automatic decisions are drawn into the qa
queue with their probability stored, the reviewer sees no machine decision, the client sees
no review, and the check's verdict leaves the decision as it was while the summary counts it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from modgate.app import create_app
from modgate.events import EventRow
from modgate.metrics.summary import SummaryQuery
from modgate.quality.tables import DecisionCategoryRow, QualityDrawRow
from modgate.review.console import task_view
from modgate.review.models import Reviewer, VerdictInput
from modgate.review.tables import ReviewRow
from modgate.services import Services
from modgate.settings import load_settings
from pipeline_helpers import marker_png, plain_png
from servers import LiveServer


@pytest.fixture
def checked(tmp_path) -> Iterator[tuple[str, Services]]:  # type: ignore[no-untyped-def]
    """Every automatic decision is drawn (share 1 in every bin)."""
    settings = load_settings(
        data_dir=tmp_path / "data",
        detection={"enabled": ["marker"]},
        pipeline={"workers": 1, "poll_seconds": 0.2},
        auth={"api_keys_required": False},
        review={"qa_rates": {"none": 1.0, "0": 1.0}},
    )
    services = Services.build(settings)
    with LiveServer(create_app(settings, services)) as server:
        yield server.url, services
    services.close()


def _submit(url: str, image: bytes) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/moderations", params={"wait": "true"}, files={"file": ("x.png", image)}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_drawn_decision_is_checked_blind_and_stands(checked: tuple[str, Services]) -> None:
    url, services = checked
    blocked, allowed = _submit(url, marker_png(31)), _submit(url, plain_png(32))
    assert (blocked["action"], allowed["action"]) == ("block", "allow")
    with services.sessions() as session:
        draws = {d.moderation_id: d for d in session.scalars(select(QualityDrawRow))}
        categories = session.scalars(
            select(DecisionCategoryRow).where(DecisionCategoryRow.moderation_id == blocked["id"])
        ).all()
    # The marker's labels are Explicit ones, flagged by the block rule; the plain image had none.
    assert [(c.category, c.flagged) for c in categories] == [("Explicit", True)]
    assert draws[blocked["id"]].probability == 1.0
    assert (draws[blocked["id"]].category, draws[blocked["id"]].flagged) == (
        "Explicit",
        ["Explicit"],
    )
    assert (draws[allowed["id"]].category, draws[allowed["id"]].bin) == ("none", "none")
    # The client sees its decision, and no review.
    shown = httpx.get(f"{url}/v1/moderations/{blocked['id']}").json()
    assert (shown["final_action"], shown.get("review")) == ("block", None)

    reviewer = Reviewer("usr_qa", "qa", ("qa",), False)
    review = services.review
    seen = set()
    for _ in range(2):
        claim = review.claim_next(reviewer, "qa")
        assert claim is not None
        view = task_view(review, claim.task_id, reviewer)
        # Blind: no machine action, labels, reasons or policy.
        assert view["review"]["kind"] == "qa"
        assert view["moderation"]["action"] is None and view["moderation"]["final_action"] is None
        assert view["labels"] == [] and view["reasons"] == [] and view["review"]["policy"] is None
        found = VerdictInput("allow", {}, (), "", 0.0)  # the reviewer sees nothing wrong
        result = review.submit_verdict(claim.task_id, reviewer, found)
        assert result["status"] == "checked"
        seen.add(claim.moderation_id)
    assert seen == {blocked["id"], allowed["id"]}
    # The decision stands, the check is recorded.
    shown = httpx.get(f"{url}/v1/moderations/{blocked['id']}").json()
    assert (shown["action"], shown["final_action"], shown.get("review")) == ("block", "block", None)
    with services.sessions() as session:
        events = session.scalars(select(EventRow).where(EventRow.name == "quality.checked")).all()
        statuses = session.scalars(select(ReviewRow.status).where(ReviewRow.kind == "qa")).all()
    assert len(events) == 2 and set(statuses) == {"decided"}
    # The summary counts the check: the reviewer's allow disagrees with the machine's block,
    # and the Explicit flag, checked with probability 1, was a false positive.
    summary = services.metrics.summary(SummaryQuery("default"))
    assert summary["disagreement"]["with_machine"] == 1
    explicit = summary["categories"]["Explicit"]
    assert (explicit["flagged"], explicit["false_positive_rate"]) == (1, 1.0)
