"""Training, retraining and reading custom labels.

``train`` embeds the examples with the label's backbone, trains a head (cross-validated,
calibrated), and decides whether the new version goes live. The first version of a label goes
live when trained. A later version is *shadow-evaluated* first: the live version and the
candidate both score the examples the live version was not trained on (the candidate by its
out-of-fold probabilities, so neither has seen them), and the candidate goes live only when its
F1 there is at least the live version's; otherwise it is kept as ``rejected`` with both sets
of figures. ``retrain_from_verdicts`` is that with the live version's own examples plus what
reviewers said since it was trained.

Every training run is a durable job (``detection.custom.claims``): ``submit`` records it with
what to train from and wakes this process's training thread (``labels.worker``); any serve or
worker process may claim it, and one whose holder died is taken up again once its lease ran
out (``run_claim``), or failed with the reason after ``labels.max_attempts`` takes.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from modgate.detection.custom.claims import TrainingClaim, TrainingJobs
from modgate.detection.custom.embedders import DEFAULT_BACKBONES, Embedder, make_embedder
from modgate.detection.custom.head import KINDS, Kind, LinearHead
from modgate.detection.custom.store import (
    CustomLabel,
    CustomLabelStore,
    Examples,
    LabelVersion,
    unavailable_name,
)
from modgate.detection.custom.training import (
    train_head,
)
from modgate.errors import (
    CustomLabelNotFoundException,
    InvalidCustomLabelException,
    ModgateError,
    UnknownLabelException,
)
from modgate.labels.evaluation import enough, shadow_evaluation, stack, training_request, width
from modgate.labels.settings import LabelSettings
from modgate.labels.verdicts import ReviewedExamples, media_items, verdict_examples
from modgate.labels.worker import TrainingWorker, worker_name
from modgate.media.blobstore import BlobStore
from modgate.taxonomy import (
    custom_labels,
    register_custom_labels,
    shipped_taxonomy_v7,
    taxonomy_v7,
)

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
        settings: LabelSettings | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.blobs = blobs
        self.embedders = embedders
        self.settings = settings or LabelSettings()
        self.jobs = TrainingJobs(sessions)
        self.worker = TrainingWorker(self.jobs, self.run_claim, self.settings, worker_name())
        self._loaded: dict[tuple[Kind, str], Embedder] = {}
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
            raise InvalidCustomLabelException(unavailable_name(name))
        if parent:
            # Against v7 alone: another tenant's custom label is unknown here, like any name.
            try:
                parent = shipped_taxonomy_v7().canonical(parent)
            except UnknownLabelException as exc:
                raise InvalidCustomLabelException(exc.message) from exc
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
        request: dict[str, Any] | None = None,
    ) -> LabelVersion:
        """Train a new version now: embed the items, add them to ``base`` (embeddings an
        earlier version was trained on), train, shadow-evaluate against the live version on
        the new items, store. A training error is a ``failed`` version, not an exception.
        The job is this process's under a lease while it trains; should the process die, the
        job is taken up elsewhere from ``request`` (None: the items cannot be found again, so
        it is marked failed)."""
        self.embedder(label.kind, label.backbone)  # an unknown backbone fails before any row
        enough(positives, negatives, base)
        name, lease = self.worker.name, self.settings.lease_seconds
        label, version = self.store.start_version(
            label, source, actor, request=request, holder=name, lease_seconds=lease
        )
        self.refresh_taxonomy()
        return self.jobs.holding(
            version.id,
            name,
            lease,
            lambda: self.complete(label, version, positives, negatives, base, name),
        )

    def submit(
        self,
        label: CustomLabel,
        positives: Sequence[Any],
        negatives: Sequence[Any],
        actor: str,
        source: str = "api",
        base: Examples | None = None,
        *,
        request: dict[str, Any],
    ) -> LabelVersion:
        """``train`` as a durable job: the version is recorded (``training``, with
        ``request``: what to train from, ``training_request``) and returned at once. The
        first process whose training thread is free claims it and trains it."""
        self.embedder(label.kind, label.backbone)
        enough(positives, negatives, base)
        label, version = self.store.start_version(label, source, actor, request=request)
        self.refresh_taxonomy()
        self.worker.wake()
        return version

    def start_training(self) -> None:
        """Train jobs no process holds, on this process's training thread, until ``close``."""
        self.worker.start()

    def run_claim(self, claim: TrainingClaim, worker: str) -> None:
        """Train a claimed job from its request, under ``worker``'s lease; one taken up too
        many times, or without a request to train from, is marked failed with the reason."""
        version = self.store.version(claim.tenant, claim.version_id)
        reason = ""
        if claim.attempt > self.settings.max_attempts:
            reason = (
                f"Training was interrupted {claim.attempt - 1} times (the process training it "
                "stopped); train again."
            )
        elif claim.request is None:
            reason = (
                "The process training this version stopped, and its examples were local "
                "files that were not kept; train again."
            )
        if reason:
            self.store.finish_version(
                version,
                head=None,
                examples=None,
                shadow={},
                live=False,
                error=reason,
                worker=worker,
            )
            return
        request: dict[str, Any] = claim.request or {}

        def work() -> LabelVersion:
            label = self.store.label(claim.tenant, version.label)
            try:
                positives, negatives, base = self._inputs(label, request)
            except ModgateError as exc:
                return self.store.finish_version(
                    version,
                    head=None,
                    examples=None,
                    shadow={},
                    live=False,
                    error=exc.message,
                    worker=worker,
                )
            return self.complete(label, version, positives, negatives, base, worker)

        self.jobs.holding(version.id, worker, self.settings.lease_seconds, work)

    def _inputs(
        self, label: CustomLabel, request: dict[str, Any]
    ) -> tuple[list[Any], list[Any], Examples | None]:
        if request.get("base_version"):
            base = self.store.version(label.tenant, str(request["base_version"]))
            reviewed = verdict_examples(
                self.sessions, self.blobs, label.tenant, label.name, label.kind, base.created_at
            )
            return reviewed.positives, reviewed.negatives, self.store.examples(base)
        positives = self.media_items(
            label.tenant, request.get("positive_media_ids", []), label.kind
        )
        negatives = self.media_items(
            label.tenant, request.get("negative_media_ids", []), label.kind
        )
        if label.kind == "text":
            positives += list(request.get("positive_texts", []))
            negatives += list(request.get("negative_texts", []))
        return positives, negatives, None

    def complete(
        self,
        label: CustomLabel,
        version: LabelVersion,
        positives: Sequence[Any],
        negatives: Sequence[Any],
        base: Examples | None,
        worker: str | None = None,
    ) -> LabelVersion:
        try:
            unseen = Examples(self._rows(label, positives), self._rows(label, negatives))
            examples = (
                Examples(
                    stack(base.positives, unseen.positives),
                    stack(base.negatives, unseen.negatives),
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
            shadow = shadow_evaluation(self.store, label, result, examples, unseen)
        except ModgateError as exc:
            return self.store.finish_version(
                version,
                head=None,
                examples=None,
                shadow={},
                live=False,
                error=exc.message,
                worker=worker,
            )
        except Exception:
            logger.exception("training custom label %s failed", label.name)
            return self.store.finish_version(
                version,
                head=None,
                examples=None,
                shadow={},
                live=False,
                error="internal error",
                worker=worker,
            )
        return self.store.finish_version(
            version,
            head=result.head,
            examples=examples,
            shadow=shadow,
            live=bool(shadow.get("promoted", True)),
            worker=worker,
        )

    def reviewed(
        self, tenant: str, name: str
    ) -> tuple[CustomLabel, ReviewedExamples, LabelVersion]:
        """What a retrain from verdicts learns from: the label, the items reviewers judged
        since its live version was trained, and that version (its examples are added)."""
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
        return label, reviewed, base

    def retrain_from_verdicts(self, tenant: str, name: str, actor: str) -> LabelVersion:
        """A new version trained on the live version's examples plus every reviewed item
        judged since it was trained; it goes live only if it wins the shadow evaluation."""
        label, reviewed, base = self.reviewed(tenant, name)
        return self.train(
            label,
            reviewed.positives,
            reviewed.negatives,
            actor,
            "verdicts",
            self.store.examples(base),
            training_request(base_version=base.id),
        )

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
        return rows if len(items) else np.zeros((0, width(label)), dtype=np.float32)

    def close(self) -> None:
        self._stopped.set()
        if self._refresher is not None:
            self._refresher.join(timeout=5)
            self._refresher = None
        self.worker.stop()
