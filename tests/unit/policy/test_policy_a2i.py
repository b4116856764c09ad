from __future__ import annotations

import json

import pytest
from policy_helpers import detect

from modgate.errors import PolicyValidationError
from modgate.policy import evaluate, policy_from_text
from modgate.policy.conditions import parse_conditions, sampling_draw

AWS_EXAMPLE_1 = {
    "Conditions": [
        {
            "Or": [
                {
                    "And": [
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {
                                "ModerationLabelName": "Exposed Male Genitalia",
                                "ConfidenceLessThanEquals": 99,
                            },
                        },
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {
                                "ModerationLabelName": "Exposed Male Genitalia",
                                "ConfidenceGreaterThanEquals": 90,
                            },
                        },
                    ]
                },
                {
                    "And": [
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {
                                "ModerationLabelName": "Exposed Female Genitalia",
                                "ConfidenceLessThanEquals": 99,
                            },
                        },
                        {
                            "ConditionType": "ModerationLabelConfidenceCheck",
                            "ConditionParameters": {
                                "ModerationLabelName": "Exposed Female Genitalia",
                                "ConfidenceGreaterThanEquals": 80,
                            },
                        },
                    ]
                },
            ]
        }
    ]
}


def a2i_policy(conditions: object) -> str:
    return (
        "policy: a\ncategories:\n  Explicit: {id: explicit, block: 99.5}\n"
        f"a2i:\n  id: human-loop\n  queue: a2i\n  conditions: {json.dumps(conditions)}\n"
    )


@pytest.mark.parametrize("as_string", [False, True])
def test_conditions_round_trip_unchanged(as_string: bool) -> None:
    raw = json.dumps(AWS_EXAMPLE_1) if as_string else AWS_EXAMPLE_1
    policy = policy_from_text(a2i_policy(raw))
    assert policy.base.a2i is not None
    assert policy.base.a2i.original == AWS_EXAMPLE_1
    assert policy.base.a2i.condition.to_json() == AWS_EXAMPLE_1
    assert parse_conditions(json.dumps(AWS_EXAMPLE_1)).to_json() == AWS_EXAMPLE_1


def test_and_or_band_triggers_review() -> None:
    policy = policy_from_text(a2i_policy(AWS_EXAMPLE_1))
    decision = evaluate(policy, detect({"Exposed Female Genitalia": 85}))
    assert (decision.action, decision.rule) == ("review", "human-loop")
    assert decision.review is not None and decision.review.queue == "a2i"
    assert decision.matched_labels == ["Exposed Female Genitalia"]
    assert evaluate(policy, detect({"Exposed Female Genitalia": 75})).action == "allow"
    assert evaluate(policy, detect({"Exposed Male Genitalia": 89})).action == "allow"
    # A band that blocks is more severe than the A2I review.
    assert evaluate(policy, detect({"Exposed Female Genitalia": 99.7})).action == "block"


def test_catch_all_label_name() -> None:
    conditions = {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {
                    "ModerationLabelName": "*",
                    "ConfidenceGreaterThanEquals": 75,
                },
            }
        ]
    }
    policy = policy_from_text(a2i_policy(conditions))
    assert evaluate(policy, detect({"Gambling": 76})).action == "review"
    assert evaluate(policy, detect({"Gambling": 74})).action == "allow"


def test_sampling_is_deterministic_per_item_and_close_to_the_rate() -> None:
    conditions = {
        "Conditions": [
            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 5}}
        ]
    }
    policy = policy_from_text(a2i_policy(conditions))
    sampled = [
        evaluate(policy, detect({}), {"item_key": f"item-{n}"}).action == "review"
        for n in range(4000)
    ]
    assert 150 <= sum(sampled) <= 250
    again = [
        evaluate(policy, detect({}), {"item_key": f"item-{n}"}).action == "review"
        for n in range(4000)
    ]
    assert sampled == again
    assert sampling_draw("x") == sampling_draw("x")


def test_v6_label_names_are_refused_with_a_suggestion() -> None:
    conditions = {
        "Conditions": [
            {
                "ConditionType": "ModerationLabelConfidenceCheck",
                "ConditionParameters": {
                    "ModerationLabelName": "explicit",
                    "ConfidenceGreaterThan": 50,
                },
            }
        ]
    }
    with pytest.raises(PolicyValidationError, match="never match. Did you mean 'Explicit'"):
        policy_from_text(a2i_policy(conditions))


def test_malformed_conditions_point_into_the_file() -> None:
    bad = {
        "Conditions": [
            {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": 0}}
        ]
    }
    with pytest.raises(PolicyValidationError) as caught:
        policy_from_text(a2i_policy(json.dumps(bad)), "p.yaml")
    assert caught.value.problems[0].startswith("p.yaml:7:15: A2I conditions:")
    assert "between 0.01 and 100" in caught.value.problems[0]
