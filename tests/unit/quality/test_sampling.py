"""The stratified draw: a decision's stratum, the share its bin and category get, and that
only automatic decisions are drawn — at about their stated probability."""

from __future__ import annotations

import random

import pytest

from modgate.quality import CategoryFlag, QualitySampler, category_flags
from modgate.review.settings import ReviewSettings
from modgate.taxonomy.detections import Label

RATES = {"none": 0.01, "0": 0.02, "50": 0.2, "90": 0.05}


def test_the_stratum_is_the_strongest_category_and_its_confidence_bin() -> None:
    flags = category_flags(
        [Label("Explicit Nudity", 72.0), Label("Weapons", 40.0), Label("Graphic Violence", 30.0)],
        {"matched": [{"label": "Explicit Nudity", "action": "review", "confidence": 72.0}]},
    )
    assert flags == [CategoryFlag("Explicit", 72.0, True), CategoryFlag("Violence", 40.0, False)]
    sampler = QualitySampler(RATES, {"Explicit": 2.0})
    assert sampler.stratum(flags) == ("Explicit", "50")
    assert sampler.probability("Explicit", "50") == 0.4  # 0.2 × 2
    assert sampler.stratum([CategoryFlag("Violence", 95.0, True)]) == ("Violence", "90")
    assert sampler.stratum([CategoryFlag("Violence", 12.0, False)]) == ("Violence", "0")
    assert sampler.stratum([]) == ("none", "none")
    assert QualitySampler({"50": 0.9}, {"Explicit": 5}).probability("Explicit", "50") == 1.0


def test_only_automatic_decisions_are_drawn_at_their_probability() -> None:
    sampler = QualitySampler(RATES, rng=random.Random(3))
    flags = [CategoryFlag("Explicit", 60.0, True)]
    assert all(sampler.draw("review", flags) is None for _ in range(200))
    draws = [sampler.draw("block", flags) for _ in range(20_000)]
    drawn = [d for d in draws if d is not None]
    assert 0.18 < len(drawn) / len(draws) < 0.22  # 0.2, within about five standard errors
    assert {(d.category, d.bin, d.probability, d.flagged) for d in drawn} == {
        ("Explicit", "50", 0.2, ("Explicit",))
    }
    assert QualitySampler({}).draw("allow", []) is None


def test_settings_refuse_a_share_or_bin_that_cannot_be() -> None:
    for rates in ({"50": 1.5}, {"fifty": 0.1}, {"150": 0.1}):
        with pytest.raises(ValueError, match="QA_RATES"):
            ReviewSettings(qa_rates=rates)
    with pytest.raises(ValueError, match="QA_CATEGORY_RATES"):
        ReviewSettings(qa_category_rates={"Violence": -1})
    with pytest.raises(ValueError, match="QA_QUEUE"):
        ReviewSettings(qa_queue="senior")
