"""What a moderation run hands on: a decision reached and not yet written (``Judged``), a
decision as it was committed (``Outcome``), and what a submitter just wrote for a run that
starts at once (``Fresh``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from modgate.media.store import MediaRecord
from modgate.moderation.models import StoredModeration
from modgate.pipeline.decide import Ruling
from modgate.pipeline.detect import Detected


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision as this run committed it: the moderation's columns after the decision's
    ``UPDATE``, its media, its review state and (timelines) its thumbnails."""

    row: StoredModeration
    record: MediaRecord | None
    review: dict[str, Any] | None
    thumbnails: dict[str, str] | None
    text_findings: list[Any] | None = None


@dataclass(frozen=True, slots=True)
class Fresh:
    """A moderation as its submitter just wrote it, for media that request just stored: the job
    it runs at once reads nothing back, and there are no stored detections to reuse."""

    record: MediaRecord
    context: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Judged:
    """A decision reached and not yet written: the item, what was detected, the ruling, and the
    surface whose policy decided (None: modgate ruled itself)."""

    record: MediaRecord
    detected: Detected
    ruling: Ruling
    policy_surface: str | None
