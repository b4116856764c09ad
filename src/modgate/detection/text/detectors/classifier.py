"""Offensive language as a whole, from alt-profanity-check's shipped scikit-learn model.

The model is a TF-IDF of words (English stop words dropped, l2-normalised) read by five linear
SVMs, each calibrated by a sigmoid, their probabilities averaged. It gives one probability that
a text is offensive: the text's overall ``TOXICITY`` evidence, with no span. It reads the folded
text, so leetspeak and look-alikes do not hide a word from it.

scikit-learn's own ``predict_proba`` costs about 12 ms a call whatever the text's length (input
validation, sparse matrix set-up), which would cap a single comment at some 80 a second. The
weights are read once from the shipped model and applied here with the same arithmetic — per
word of the text, a lookup and five multiply-adds — so one comment costs microseconds;
``test_classifier_matches_scikit_learn`` checks the two agree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from modgate.detection.text.base import TextDetector, TextEvidence, TextOutput
from modgate.detection.text.normalize import NormalisedText


class LinearToxicity:
    """The shipped model's arithmetic on its weights: TF-IDF → 5 sigmoid-calibrated SVMs."""

    def __init__(self, vectorizer: Any, model: Any) -> None:
        if vectorizer.sublinear_tf or vectorizer.norm != "l2" or not vectorizer.use_idf:
            raise ValueError("the shipped vectoriser is not the l2-normalised TF-IDF expected")
        self.analyse: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        members = model.calibrated_classifiers_
        if any(member.method != "sigmoid" for member in members):
            raise ValueError("the shipped model is not sigmoid-calibrated")
        # One row per vocabulary word: its idf times each member's weight.
        coef = np.stack([np.ravel(member.estimator.coef_) for member in members])
        # Plain Python floats: a comment has a handful of words, too few for numpy to pay.
        self.weights: list[tuple[float, ...]] = [tuple(row) for row in (coef * self.idf).T.tolist()]
        self.idf_of: list[float] = self.idf.tolist()
        self.intercepts = [float(np.ravel(m.estimator.intercept_)[0]) for m in members]
        self.slopes = [float(m.calibrators[0].a_) for m in members]
        self.offsets = [float(m.calibrators[0].b_) for m in members]

    def _probability(self, decision: Sequence[float]) -> float:
        total = 0.0
        for value, slope, offset in zip(decision, self.slopes, self.offsets, strict=True):
            exponent = slope * value + offset
            total += 0.0 if exponent > 700 else 1.0 / (1.0 + math.exp(exponent))
        return total / len(self.slopes)

    def probability(self, text: str) -> float:
        counts = Counter(
            index for word in self.analyse(text) if (index := self.vocabulary.get(word)) is not None
        )
        decision = list(self.intercepts)
        if counts:
            norm = math.sqrt(sum((tf * self.idf_of[i]) ** 2 for i, tf in counts.items()))
            for index, tf in counts.items():
                share = tf / norm
                for member, weight in enumerate(self.weights[index]):
                    decision[member] += share * weight
        return self._probability(decision)


class ProfanityClassifier(TextDetector):
    """``TOXICITY`` of the whole text (English)."""

    name = "profanity_check"
    version = "alt-profanity-check-1.9.1"
    labels = ("TOXICITY",)
    languages = ("en",)
    requires = ("profanity_check",)

    def setup(self) -> None:
        import profanity_check.profanity_check as shipped

        self.model = LinearToxicity(shipped.vectorizer, shipped.model)

    def predict(self, texts: Sequence[NormalisedText]) -> list[TextOutput]:
        return [
            TextOutput(
                [TextEvidence("TOXICITY", self.model.probability(t.folded), detector=self.name)]
            )
            for t in texts
        ]
