"""Decisions taken again for one viewer (``modgate.viewer``): one item's, or a batch's."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modgate.openapi.schemas.base import Action, ErrorBody, Open


class ViewerDecision(Open):
    """One item decided again for one viewer (``modgate.viewer``). ``status`` ``decided``
    carries the rest; ``pending``: still being processed; ``not_found`` (in a batch only): no
    such moderation of the caller's, with ``error``."""

    moderation_id: str = Field(examples=["mod_09146b71ceab4f1a8345a2c00e2d926e"])
    status: Literal["decided", "pending", "not_found"]
    action: Action | None = None
    rule: str | None = Field(default=None, examples=["under-13/Swimwear or Underwear"])
    policy_version: str | None = Field(
        default=None, description="The version evaluated; null when modgate ruled itself."
    )
    reasons: list[str] | None = None
    context: dict[str, str] | None = Field(
        default=None,
        description="The viewer's context as understood (surface filled in from the item).",
        examples=[{"surface": "kids", "audience": "12", "local_time": "21:30"}],
    )
    overlays: list[str] | None = Field(default=None, examples=[["night", "under-13"]])
    verdict: Literal["allow", "annotate", "block"] | None = Field(
        default=None, description="The reviewers' final verdict on the item, if any."
    )
    error: ErrorBody | None = None


class ViewerDecisions(Open):
    decisions: list[ViewerDecision] = Field(description="One per item asked for, in order.")
