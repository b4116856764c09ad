from __future__ import annotations

from policy_helpers import detect, labels, make_policy

from modgate.policy import Context, evaluate

BANDS = """
policy: bands
categories:
  Explicit: {id: explicit, block: 90, review: 60, annotate: 30}
"""


def test_band_edges_give_block_review_annotate_allow() -> None:
    policy = make_policy(BANDS)
    assert evaluate(policy, detect({"Explicit": 90})).action == "block"
    assert evaluate(policy, detect({"Explicit": 89.99})).action == "review"
    assert evaluate(policy, detect({"Explicit": 60})).action == "review"
    assert evaluate(policy, detect({"Explicit": 59.9})).action == "annotate"
    assert evaluate(policy, detect({"Explicit": 29.9})).action == "allow"


def test_decision_names_rule_and_version() -> None:
    policy = make_policy(BANDS)
    decision = evaluate(policy, detect({"Exposed Male Genitalia": 95}))
    assert decision.rule == "explicit"
    assert decision.policy_version == policy.version and len(policy.version) == 64
    assert {"Exposed Male Genitalia", "Explicit Nudity", "Explicit"} <= set(decision.matched_labels)
    body = decision.to_dict()
    assert body["action"] == "block" and body["rule"] == "explicit"
    assert body["policy_version"] == policy.version
    assert any(step["subject"] == "Exposed Male Genitalia" for step in body["trace"])


def test_version_ignores_comments_and_layout() -> None:
    other = make_policy(
        "# a comment\npolicy: bands\ncategories:\n  Explicit:\n"
        "    annotate: 30\n    review: 60\n    block: 90\n    id: explicit\n"
    )
    assert other.version == make_policy(BANDS).version


HIERARCHY = """
policy: hierarchy
categories:
  Violence: {id: violence, block: 80}
  Graphic Violence: {id: graphic, review: 95}
  Self-Harm: {id: self-harm, block: 50}
  Explicit: {id: explicit, block: 90}
  Exposed Female Nipple: ignore
"""


def test_l1_rule_covers_descendants() -> None:
    policy = make_policy(HIERARCHY)
    decision = evaluate(policy, detect({"Weapons": 85}))
    assert (decision.action, decision.rule) == ("block", "violence")


def test_l2_rule_overrides_l1_for_its_subtree_including_ancestor_detections() -> None:
    policy = make_policy(HIERARCHY)
    # Blood & Gore at 85 comes with Graphic Violence 85 and Violence 85; the L2 rule governs.
    decision = evaluate(policy, detect({"Blood & Gore": 85}))
    assert (decision.action, decision.rule) == ("allow", "default")


def test_l3_rule_overrides_l2() -> None:
    policy = make_policy(HIERARCHY)
    decision = evaluate(policy, detect({"Self-Harm": 55}))
    assert (decision.action, decision.rule) == ("block", "self-harm")


def test_l3_carve_out_ignores_label_and_the_ancestors_it_explains() -> None:
    policy = make_policy(HIERARCHY)
    decision = evaluate(policy, detect({"Exposed Female Nipple": 99}))
    assert decision.action == "allow"
    assert (
        "label",
        "Exposed Female Nipple",
        99.0,
        "Exposed Female Nipple",
        "carved out",
    ) in decision.trace


def test_carve_out_does_not_hide_a_sibling() -> None:
    policy = make_policy(HIERARCHY)
    decision = evaluate(policy, detect({"Exposed Female Nipple": 99, "Exposed Male Genitalia": 92}))
    assert (decision.action, decision.rule) == ("block", "explicit")


def test_ancestor_detected_alone_uses_its_rule() -> None:
    policy = make_policy(HIERARCHY)
    decision = evaluate(policy, labels({"Explicit": 93}))
    assert decision.action == "block"


def test_unknown_detected_label_is_skipped_and_traced() -> None:
    policy = make_policy(BANDS)
    decision = evaluate(policy, labels({"Suggestive": 99}))
    assert decision.action == "allow"
    assert decision.trace[0][-1] == "unknown label, skipped"


def test_catch_all_applies_to_uncovered_categories_only() -> None:
    policy = make_policy("policy: x\ncategories:\n  '*': {review: 50}\n  Alcohol: {annotate: 10}\n")
    assert evaluate(policy, detect({"Gambling": 60})).action == "review"
    assert evaluate(policy, detect({"Drinking": 60})).action == "annotate"


def test_tie_between_rules_goes_to_the_rule_first_in_the_file() -> None:
    policy = make_policy(
        "policy: x\ncategories:\n  Gambling: {id: g, review: 50}\n  Alcohol: {id: a, review: 50}\n"
    )
    decision = evaluate(policy, detect({"Alcohol": 90, "Gambling": 55}))
    assert decision.rule == "g"
    decision = evaluate(policy, detect({"Gambling": 55, "Alcohol": 90}))
    assert decision.rule == "g"


def test_review_decision_carries_queue_priority_and_reviewers() -> None:
    policy = make_policy(
        "policy: x\nreview: {queue: general}\ncategories:\n"
        "  Violence: {review: 50, queue: violence, priority: high, reviewers: 3}\n"
        "  Alcohol: {review: 50}\n"
    )
    route = evaluate(policy, detect({"Weapons": 70})).review
    assert route is not None and (route.queue, route.priority, route.reviewers) == (
        "violence",
        "high",
        3,
    )
    route = evaluate(policy, detect({"Alcohol": 70})).review
    assert route is not None and (route.queue, route.priority, route.reviewers) == (
        "general",
        "normal",
        1,
    )
    assert evaluate(policy, detect({})).review is None


def test_default_action_applies_when_nothing_fires() -> None:
    policy = make_policy(
        "policy: x\ndefault: {action: annotate, id: log-all}\n"
        "categories:\n  Violence: {block: 90}\n"
    )
    decision = evaluate(policy, detect({"Violence": 10}))
    assert (decision.action, decision.rule) == ("annotate", "log-all")


def test_context_dict_is_accepted_directly() -> None:
    policy = make_policy(BANDS)
    assert evaluate(policy, detect({"Explicit": 95}), {"region": "DE"}).action == "block"
    assert Context.parse("region=de,surface=kids").region == "DE"
