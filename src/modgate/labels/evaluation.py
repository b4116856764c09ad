"""What a custom-label training job trains from, and how a new version is judged against the
live one.

``training_request`` is what a durable job stores so any process can train it. The *shadow
evaluation*: the live version and the candidate both score the examples the live version was
not trained on (the candidate by its out-of-fold probabilities, so neither has seen them); the
candidate may go live only when its F1 there is at least the live version's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from modgate.detection.custom.store import CustomLabel, CustomLabelStore, Examples
from modgate.detection.custom.training import MIN_EXAMPLES, TrainingResult, metrics_of
from modgate.errors import InvalidCustomLabelException


def shadow_evaluation(
    store: CustomLabelStore,
    label: CustomLabel,
    result: TrainingResult,
    examples: Examples,
    unseen: Examples,
) -> dict[str, Any]:
    """The candidate (``result``, trained on ``examples``) against ``label``'s live version on
    ``unseen``, the examples the live version never saw; {} for a first version."""
    if label.live_version is None:
        return {}
    live = next(
        v for v in store.versions(label.tenant, label.name) if v.version == label.live_version
    )
    head = store.head(live)
    positives, negatives = len(examples.positives), len(examples.negatives)
    new_positives, new_negatives = len(unseen.positives), len(unseen.negatives)
    # The unseen rows are the last ones of each class; out_of_fold is positives first.
    candidate = np.concatenate(
        [
            result.out_of_fold[positives - new_positives : positives],
            result.out_of_fold[positives + negatives - new_negatives :],
        ]
    )
    truth = np.concatenate([np.ones(new_positives), np.zeros(new_negatives)])
    rows = stack(unseen.positives, unseen.negatives)
    before = metrics_of(head.probabilities(rows), truth)
    after = metrics_of(candidate, truth)
    return {
        "against_version": live.version,
        "examples": int(len(truth)),
        "live": before.as_dict(),
        "candidate": after.as_dict(),
        "promoted": after.f1 >= before.f1,
    }


def training_request(
    *,
    positive_media_ids: Sequence[str] = (),
    negative_media_ids: Sequence[str] = (),
    positive_texts: Sequence[str] = (),
    negative_texts: Sequence[str] = (),
    base_version: str | None = None,
) -> dict[str, Any]:
    """What a training job trains from, stored with it so any process can train it: stored
    media by id and texts, or (``base_version``) that version's examples plus the verdicts
    given since it was trained."""
    if base_version is not None:
        return {"base_version": base_version}
    return {
        "positive_media_ids": list(positive_media_ids),
        "negative_media_ids": list(negative_media_ids),
        "positive_texts": list(positive_texts),
        "negative_texts": list(negative_texts),
    }


def enough(positives: Sequence[Any], negatives: Sequence[Any], base: Examples | None) -> None:
    have_positives = len(positives) + (len(base.positives) if base is not None else 0)
    have_negatives = len(negatives) + (len(base.negatives) if base is not None else 0)
    if min(have_positives, have_negatives) < MIN_EXAMPLES:
        raise InvalidCustomLabelException(
            f"A custom label needs at least {MIN_EXAMPLES} positive and {MIN_EXAMPLES} negative "
            f"examples (got {have_positives} and {have_negatives})."
        )


def width(label: CustomLabel) -> int:
    return 1280 if label.kind == "image" else 384


def stack(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    if len(first) == 0:
        return second
    if len(second) == 0:
        return first
    return np.vstack([first, second])
