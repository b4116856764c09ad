"""Flagged moments of a stream to the review lane: when the policy asks for ``review`` on a
stream, the sample that showed it is moderated as an image like any upload (its bytes stored,
detected, decided by the active policy for the stream's context, and, when that says review,
queued for reviewers), with ``stream_id`` and ``stream_ms`` in its metadata so a reviewer (and
the client) can go to that time of the stream; ``stream.action`` names that moderation.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Protocol

from PIL import Image

from modgate.audit import SYSTEM
from modgate.pipeline.service import ModerationService
from modgate.review.console import STREAM_CLIENT


class MomentSink(Protocol):
    def submit(
        self,
        image: Image.Image,
        *,
        stream_id: str,
        tenant: str,
        context: Mapping[str, Any],
        external_id: str | None,
        at_ms: int,
    ) -> str:
        """Moderate the moment; its moderation's id."""
        ...


class ModeratedMoments:
    """Moments submitted through the moderation service, as client ``streams``."""

    def __init__(self, moderations: ModerationService) -> None:
        self.moderations = moderations

    def submit(
        self,
        image: Image.Image,
        *,
        stream_id: str,
        tenant: str,
        context: Mapping[str, Any],
        external_id: str | None,
        at_ms: int,
    ) -> str:
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=90)
        out.seek(0)
        moderation, _ = self.moderations.submit(
            stream=out,
            context=dict(context),
            external_id=external_id,
            metadata={"stream_id": stream_id, "stream_ms": at_ms},
            client=STREAM_CLIENT,
            actor=SYSTEM,
            tenant=tenant,
        )
        return str(moderation["id"])
