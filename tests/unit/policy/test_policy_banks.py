"""Bank rules in a policy: what a match in each bank does, how far it counts, known-good banks
keeping labels from flagging, overlays, and how ``modgate policy explain`` shows it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modgate.cli import app
from modgate.policy import Context, evaluate, policy_from_text
from modgate.taxonomy.detections import BankMatch, ImageDetections, Label

POLICY = """
policy: banked
categories:
  Explicit Nudity: {block: 80}
  Violence: {review: 60}
banks:
  TERROR_KNOWN: {action: block, max_distance: 20}
  ART_OK: {suppress: [Explicit Nudity]}
overlays:
  - id: kids
    when: {surface: [kids]}
    banks:
      TERROR_KNOWN: {action: review, queue: kids-banks}
"""
NUDITY = Label("Explicit Nudity", 95.0, "Explicit", 2)
VIOLENCE = Label("Violence", 90.0, "", 1)


def _decide(*matches: BankMatch, labels: tuple[Label, ...] = (), surface: str | None = None):  # type: ignore[no-untyped-def]
    detections = ImageDetections(labels=labels, bank_matches=matches)
    return evaluate(policy_from_text(POLICY), detections, Context(surface=surface))


def test_a_match_within_the_rules_distance_blocks_and_one_beyond_does_not() -> None:
    near = _decide(BankMatch("TERROR_KNOWN", 7, 12, "pdq"))
    assert (near.action, near.rule) == ("block", "banks/TERROR_KNOWN")
    assert near.reasons == [
        "bank TERROR_KNOWN content 7 at distance 12 → block by rule banks/TERROR_KNOWN"
    ]
    far = _decide(BankMatch("TERROR_KNOWN", 7, 25, "pdq"))
    assert far.action == "allow"
    assert (
        "bank",
        "TERROR_KNOWN #7 (pdq d=25)",
        None,
        "banks/TERROR_KNOWN",
        "beyond 20",
    ) in far.trace


def test_a_known_good_bank_suppresses_only_the_labels_it_names() -> None:
    decided = _decide(BankMatch("ART_OK", 3, 2, "pdq", negative=True), labels=(NUDITY, VIOLENCE))
    assert (decided.action, decided.rule) == ("review", "Violence")
    assert ("label", "Explicit Nudity", 95.0, None, "suppressed by a bank") in decided.trace


def test_banks_the_policy_does_not_name() -> None:
    # A negative bank's match keeps every label from flagging; another bank's changes nothing.
    negative = _decide(BankMatch("MEMES", 1, 0, "pdq", negative=True), labels=(NUDITY,))
    assert negative.action == "allow"
    other = _decide(BankMatch("SOMEWHERE", 1, 0, "pdq"), labels=(NUDITY,))
    assert (other.action, other.rule) == ("block", "Explicit Nudity")
    assert ("bank", "SOMEWHERE #1 (pdq d=0)", None, None, "no rule") in other.trace


def test_an_overlay_replaces_the_bases_rule_for_a_bank() -> None:
    kids = _decide(BankMatch("TERROR_KNOWN", 7, 3, "pdq"), surface="kids")
    assert (kids.action, kids.rule) == ("review", "kids/banks/TERROR_KNOWN")
    assert kids.review is not None and kids.review.queue == "kids-banks"


def test_explain_shows_each_match_from_the_detections_bank_matches(tmp_path: Path) -> None:
    policy = tmp_path / "banked.yaml"
    policy.write_text(POLICY)
    detections = tmp_path / "detections.json"
    detections.write_text(
        json.dumps(
            {
                "ModerationLabels": [],
                "bank_matches": [
                    {"bank": "TERROR_KNOWN", "content_id": 7, "distance": 4, "signal_type": "pdq"}
                ],
            }
        )
    )
    result = CliRunner().invoke(
        app, ["policy", "explain", str(policy), "--detections", str(detections)]
    )
    assert result.exit_code == 0, result.output
    assert "bank    TERROR_KNOWN #7 (pdq d=4)" in result.output
    assert "→ BLOCK by rule banks/TERROR_KNOWN" in result.output
