"""Training, retraining and reading custom labels.

``train`` embeds the examples with the label's backbone, trains a head (cross-validated,
calibrated), and decides whether the new version goes live. The first version of a label goes
live when trained. A later version is *shadow-evaluated* first: the live version and the
candidate both score the examples the live version was not trained on (the candidate by its
out-of-fold probabilities, so neither has seen them), and the candidate goes live only when its
F1 there is at least the live version's; otherwise it is kept as ``rejected`` with both sets
of figures. ``retrain_from_verdicts`` is that with the live version's own examples plus what
reviewers said since it was trained.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from modgate.detection.custom.embedders import DEFAULT_BACKBONES, Embedder, make_embedder
from modgate.detection.custom.head import KINDS, Kind, LinearHead
from modgate.detection.custom.store import (
    CustomLabel,
    CustomLabelStore,
    Examples,
    LabelVersion,
)
from modgate.detection.custom.training import (
    MIN_EXAMPLES,
    TrainingResult,
    metrics_of,
    train_head,
)
from modgate.errors import (
    CustomLabelNotFoundException,
    InvalidCustomLabelException,
    ModgateError,
    UnknownLabelException,
)
from modgate.labels.verdicts import ReviewedExamples, media_items, verdict_examples
from modgate.media.blobstore import BlobStore
from modgate.taxonomy import custom_labels, register_custom_labels, taxonomy_v7

logger = logging.getLogger(__name__)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 &'()+,./_-]{0,63}$")
EmbedderFactory = Callable[[Kind, str], Embedder]


def _default_embedder(kind: Kind, name: str) -> Embedder:
    return make_embedder(kind, name)


class CustomLabelService:
    """Use cases of custom labels over a ``CustomLabelStore``."""

    def __init__(
        self,
        store: CustomLabelStore,
        sessions: sessionmaker[Session],
        blobs: BlobStore,
        embedders: EmbedderFactory = _default_embedder,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.blobs = blobs
        self.embedders = embedders
        self._loaded: dict[tuple[Kind, str], Embedder] = {}
        self._jobs = ThreadPoolExecutor(1, thread_name_prefix="modgate-labels")
        self._stopped = threading.Event()
        self._refresher: threading.Thread | None = None

    def refresh_taxonomy(self) -> None:
        """Make this process's taxonomy know every stored custom label (policies name them)."""
        register_custom_labels(self.store.known_labels())

    def keep_taxonomy_fresh(self, seconds: float) -> None:
        """Refresh the taxonomy every ``seconds`` on a daemon thread until ``close``, so a
        label trained by another process (the CLI, another replica) can be named in a policy
        saved here."""
        if self._refresher is not None or seconds <= 0:
            return

        def run() -> None:
            while not self._stopped.wait(seconds):
                try:
                    self.refresh_taxonomy()
                except Exception:  # the next tick tries again; the taxonomy held stays
                    logger.exception("custom labels: taxonomy refresh failed")

        self._refresher = threading.Thread(target=run, name="custom-labels", daemon=True)
        self._refresher.start()

    def describe(
        self, tenant: str, name: str, kind: str, parent: str | None, backbone: str | None
    ) -> CustomLabel:
        """The label to train, checked: a free name, a v7 parent, a known kind."""
        if not NAME.match(name):
            raise InvalidCustomLabelException(
                "A custom label's name is 1 to 64 letters, digits, spaces and & ' ( ) + , . / _ -"
                ", starting with a letter or digit."
            )
        if kind not in KINDS:
            raise InvalidCustomLabelException(f"kind must be one of {', '.join(KINDS)}")
        tree = taxonomy_v7()
        own = dict(custom_labels())
        if name in tree and name not in own:
            raise InvalidCustomLabelException(f"{name!r} is already a label of taxonomy v7.")
        if parent:
            try:
                parent = tree.canonical(parent)
            except UnknownLabelException as exc:
                raise InvalidCustomLabelException(exc.message) from exc
            if parent in own:
                raise InvalidCustomLabelException("A custom label's parent must be a v7 label.")
        label_kind: Kind = "text" if kind == "text" else "image"
        return CustomLabel(
            "",
            tenant,
            name,
            label_kind,
            parent or None,
            backbone or DEFAULT_BACKBONES[label_kind],
            None,
        )

    def embedder(self, kind: Kind, backbone: str) -> Embedder:
        found = self._loaded.get((kind, backbone))
        if found is None:
            found = self._loaded[(kind, backbone)] = self.embedders(kind, backbone)
        return found

    def embed(self, label: CustomLabel, items: Sequence[Any]) -> np.ndarray:
        if not items:
            return np.zeros((0, 0), dtype=np.float32)
        return self.embedder(label.kind, label.backbone).embed(items)

    def train(
        self,
        label: CustomLabel,
        positives: Sequence[Any],
        negatives: Sequence[Any],
        actor: str,
        source: str = "folders",
        base: Examples | None = None,
    ) -> LabelVersion:
        """Train a new version now: embed the items, add them to ``base`` (embeddings an
        earlier version was trained on), train, shadow-evaluate against the live version on
        the new items, store. A training error is a ``failed`` version, not an exception."""
        self.embedder(label.kind, label.backbone)  # an unknown backbone fails before any row
        _enough(positives, negatives, base)
        label, version = self.store.start_version(label, source, actor)
        self.refresh_taxonomy()
        return self.complete(label, version, positives, negatives, base)

    def submit(
        self,
        label: CustomLabel,
        positives: Sequence[Any],
        negatives: Sequence[Any],
        actor: str,
        source: str = "api",
        base: Examples | None = None,
    ) -> LabelVersion:
        """``train`` as a job: the version is recorded (``training``) and returned at once;
        embedding and training run on the service's one training thread."""
        self.embedder(label.kind, label.backbone)
        _enough(positives, negatives, base)
        label, version = self.store.start_version(label, source, actor)
        self.refresh_taxonomy()
        self._jobs.submit(self.complete, label, version, positives, negatives, base)
        return version

    def complete(
        self,
        label: CustomLabel,
        version: LabelVersion,
        positives: Sequence[Any],
        negatives: Sequence[Any],
        base: Examples | None,
    ) -> LabelVersion:
        try:
            unseen = Examples(self._rows(label, positives), self._rows(label, negatives))
            examples = (
                Examples(
                    _stack(base.positives, unseen.positives),
                    _stack(base.negatives, unseen.negatives),
                )
                if base is not None
                else unseen
            )
            result = train_head(
                examples.positives,
                examples.negatives,
                kind=label.kind,
                backbone=label.backbone,
                card={"name": label.name, "parent": label.parent, "version": version.version},
            )
            shadow = self._shadow(label, result, examples, unseen)
        except ModgateError as exc:
            return self.store.finish_version(
                version, head=None, examples=None, shadow={}, live=False, error=exc.message
            )
        except Exception:
            logger.exception("training custom label %s failed", label.name)
            return self.store.finish_version(
                version, head=None, examples=None, shadow={}, live=False, error="internal error"
            )
        return self.store.finish_version(
            version,
            head=result.head,
            examples=examples,
            shadow=shadow,
            live=bool(shadow.get("promoted", True)),
        )

    def _shadow(
        self, label: CustomLabel, result: TrainingResult, examples: Examples, unseen: Examples
    ) -> dict[str, Any]:
        if label.live_version is None:
            return {}
        live = next(
            v
            for v in self.store.versions(label.tenant, label.name)
            if v.version == label.live_version
        )
        head = self.store.head(live)
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
        rows = _stack(unseen.positives, unseen.negatives)
        before = metrics_of(head.probabilities(rows), truth)
        after = metrics_of(candidate, truth)
        return {
            "against_version": live.version,
            "examples": int(len(truth)),
            "live": before.as_dict(),
            "candidate": after.as_dict(),
            "promoted": after.f1 >= before.f1,
        }

    def reviewed(self, tenant: str, name: str) -> tuple[CustomLabel, ReviewedExamples, Examples]:
        """What a retrain from verdicts learns from: the label, the items reviewers judged
        since its live version was trained, and that version's own examples."""
        label = self.store.label(tenant, name)
        base = next(
            (
                v
                for v in self.store.versions(tenant, name)
                if v.version == label.live_version and v.examples_key
            ),
            None,
        )
        since = base.created_at if base is not None else None
        reviewed = verdict_examples(self.sessions, self.blobs, tenant, name, label.kind, since)
        if not reviewed.positives and not reviewed.negatives:
            raise InvalidCustomLabelException(
                f"No reviewed item has confirmed, added or rejected {name!r} since version "
                f"{label.live_version} was trained: nothing new to learn from."
            )
        if base is None:
            raise InvalidCustomLabelException(f"{name!r} has no live version to retrain.")
        return label, reviewed, self.store.examples(base)

    def retrain_from_verdicts(self, tenant: str, name: str, actor: str) -> LabelVersion:
        """A new version trained on the live version's examples plus every reviewed item
        judged since it was trained; it goes live only if it wins the shadow evaluation."""
        label, reviewed, base = self.reviewed(tenant, name)
        return self.train(label, reviewed.positives, reviewed.negatives, actor, "verdicts", base)

    def adapter(self, tenant: str, project_version: str) -> tuple[CustomLabel, LinearHead]:
        """Rekognition's ``ProjectVersion``: the label and head of the image version named by
        its ARN-like id (or bare id), live or not. Another tenant's version, a text one, or
        one without a trained head, is not found."""
        version_id = project_version.rstrip("/").rsplit("/", 1)[-1]
        version = self.store.version(tenant, version_id)
        head = self.store.head(version)
        if head.kind != "image":
            raise CustomLabelNotFoundException(f"{version.label!r} is a text label.")
        return self.store.label(tenant, version.label), head

    def score(self, head: LinearHead, picture: Any) -> float:
        """``head``'s confidence (0–100) that ``picture`` carries its label."""
        rows = self.embedder(head.kind, head.backbone).embed([picture])
        return float(head.probabilities(rows)[0]) * 100.0

    def media_items(self, tenant: str, media_ids: Sequence[str], kind: str) -> list[Any]:
        """The tenant's stored media of ``kind`` (pictures, or texts) by id; an id that is not
        the tenant's, or of another kind, is refused like a missing one."""
        return media_items(self.sessions, self.blobs, tenant, media_ids, kind)

    def _rows(self, label: CustomLabel, items: Sequence[Any]) -> np.ndarray:
        rows = self.embed(label, items)
        return rows if len(items) else np.zeros((0, _width(label)), dtype=np.float32)

    def close(self) -> None:
        self._stopped.set()
        if self._refresher is not None:
            self._refresher.join(timeout=5)
            self._refresher = None
        self._jobs.shutdown(wait=True)


def _enough(positives: Sequence[Any], negatives: Sequence[Any], base: Examples | None) -> None:
    have_positives = len(positives) + (len(base.positives) if base is not None else 0)
    have_negatives = len(negatives) + (len(base.negatives) if base is not None else 0)
    if min(have_positives, have_negatives) < MIN_EXAMPLES:
        raise InvalidCustomLabelException(
            f"A custom label needs at least {MIN_EXAMPLES} positive and {MIN_EXAMPLES} negative "
            f"examples (got {have_positives} and {have_negatives})."
        )


def _width(label: CustomLabel) -> int:
    return 1280 if label.kind == "image" else 384


def _stack(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    if len(first) == 0:
        return second
    if len(second) == 0:
        return first
    return np.vstack([first, second])
