"""What every answer schema shares: ``Open``, the base that lets an answer carry keys it
does not list, the value sets several domains use (``Action``, ``MediaKind``,
``ModerationStatus``), the error body and the health answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Action = Literal["allow", "annotate", "review", "block"]
MediaKind = Literal["image", "video", "text"]
ModerationStatus = Literal["queued", "completed", "failed"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Health(Open):
    status: Literal["ok"]
    version: str


class ErrorBody(Open):
    code: str
    message: str
