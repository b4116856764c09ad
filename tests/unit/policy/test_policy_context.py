from __future__ import annotations

import datetime as dt

import pytest
from policy_helpers import detect, make_policy

from modgate.errors import InvalidContextError
from modgate.policy import Context, evaluate

LAYERED = """
policy: layered
regions:
  DACH: [DE, AT, CH]
categories:
  Alcohol: {id: base-alcohol, annotate: 50}
  Alcoholic Beverages: {id: base-beverages, review: 80}
overlays:
  - id: eu
    when: {region: [EU]}
    categories:
      Alcohol: {review: 60}
  - id: bavaria
    when: {region: [DE-BY]}
    categories:
      Alcohol: {block: 70}
  - id: dach-night
    when: {region: [DACH], time: [{from: "22:00", to: "06:00"}]}
    categories:
      Drinking: {block: 40}
  - id: teens
    when: {audience: ["13-17"], surface: [kids, social]}
    categories:
      Alcohol: {block: 30}
  - id: new-users
    when: {user_state: [new]}
    categories:
      Gambling: {block: 10}
"""


def decide(mapping: dict[str, float], **context: str) -> tuple[str, str, tuple[str, ...]]:
    decision = evaluate(make_policy(LAYERED), detect(mapping), Context.from_dict(context))
    return decision.action, decision.rule, decision.overlays


def test_base_more_specific_rule_wins_within_the_base() -> None:
    assert decide({"Alcoholic Beverages": 85}, region="US")[:2] == ("review", "base-beverages")
    assert decide({"Drinking": 85}, region="US")[:2] == ("annotate", "base-alcohol")


def test_overlay_owns_the_subtree_of_a_label_it_names() -> None:
    # The EU overlay's rule on Alcohol replaces the base's more specific Alcoholic Beverages rule.
    assert decide({"Alcoholic Beverages": 85}, region="FR") == ("review", "eu/Alcohol", ("eu",))


def test_later_overlay_wins_over_earlier_one() -> None:
    action, rule, overlays = decide({"Alcoholic Beverages": 75}, region="DE-BY")
    assert (action, rule) == ("block", "bavaria/Alcohol")
    assert overlays == ("eu", "bavaria")


def test_country_code_covers_subdivisions_but_not_the_reverse() -> None:
    assert decide({"Alcohol": 75}, region="DE")[1] == "eu/Alcohol"
    assert decide({"Alcohol": 75}, region="DE-BE")[1] == "eu/Alcohol"


def test_named_group_from_policy_and_time_window_wrapping_midnight() -> None:
    assert decide({"Drinking": 45}, region="CH", local_time="23:10")[:2] == (
        "block",
        "dach-night/Drinking",
    )
    assert decide({"Drinking": 45}, region="CH", local_time="05:59")[0] == "block"
    assert decide({"Drinking": 45}, region="CH", local_time="06:00")[0] == "allow"
    assert decide({"Drinking": 45}, region="CH", local_time="21:59")[0] == "allow"


def test_unknown_time_never_matches_a_time_window() -> None:
    assert decide({"Drinking": 45}, region="CH")[0] == "allow"


def test_local_time_offset_and_timezone_with_injected_clock() -> None:
    with_offset = Context.from_dict({"local_time": "2026-11-25T23:30:00+01:00"})
    assert with_offset.minute_of_day == 23 * 60 + 30
    clock = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)
    tokyo = Context.from_dict({"timezone": "Asia/Tokyo"}, now=clock)
    assert tokyo.minute_of_day == 7 * 60
    assert Context.from_dict({"timezone": "Asia/Tokyo"}).minute_of_day is None


def test_audience_band_must_lie_inside_the_rule_band_and_surface_must_match() -> None:
    assert decide({"Alcohol": 35}, audience="14-16", surface="kids")[:2] == (
        "block",
        "teens/Alcohol",
    )
    assert decide({"Alcohol": 35}, audience="16-19", surface="kids")[0] == "allow"
    assert decide({"Alcohol": 35}, audience="15", surface="social")[0] == "block"
    assert decide({"Alcohol": 35}, audience="15", surface="dating")[0] == "allow"


def test_user_state() -> None:
    assert decide({"Gambling": 20}, user_state="new")[0] == "block"
    assert decide({"Gambling": 20}, user_state="trusted")[0] == "allow"


def test_bad_context_values_are_clear_errors() -> None:
    with pytest.raises(InvalidContextError, match="time zone"):
        Context.from_dict({"timezone": "Mars/Olympus"})
    with pytest.raises(InvalidContextError, match="age band"):
        Context.from_dict({"audience": "teen"})
    with pytest.raises(InvalidContextError, match="local_time"):
        Context.from_dict({"local_time": "tonight"})
    with pytest.raises(InvalidContextError, match="key=value"):
        Context.parse("region")


@pytest.mark.parametrize("band", ["17-13", "500", "151+", "13-200", "-5"])
def test_an_age_band_no_viewer_can_be_in_is_refused(band: str) -> None:
    with pytest.raises(InvalidContextError, match="age band"):
        Context.from_dict({"audience": band})


@pytest.mark.parametrize("zone", ["America", "Europe/", "x" * 3000])
def test_a_folder_or_an_overlong_name_is_not_a_time_zone(zone: str) -> None:
    with pytest.raises(InvalidContextError, match="time zone"):
        Context.from_dict({"timezone": zone})
