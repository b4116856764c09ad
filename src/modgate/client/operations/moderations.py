"""Moderation operations (``/v1/moderations``): submit media or text to moderate, read one
moderation, list them, page through a video's timed labels, fetch a kept frame, and appeal a
decision."""

from __future__ import annotations

import datetime as dt
import json as jsonlib
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict, Unpack, cast

import httpx

from modgate.client.operations.call import (
    Call,
    MediaInput,
    _bytes,
    _id,
    _json,
    _page,
    _query,
    _upload,
    route,
)
from modgate.client.types import (
    Action,
    Appeal,
    ContextValue,
    MediaKind,
    Moderation,
    ModerationBrief,
    ModerationStatus,
    Page,
    TimedLabel,
    VideoLabels,
)


class ModerationFields(TypedDict, total=False):
    """What a moderation request may carry besides its media (``media``: bytes, a path or a
    binary file, uploaded as multipart), or instead of it (at most one of ``media``,
    ``media_id``, ``blob_key``, ``base64``; none with a ``text``)."""

    text: str  # a text to moderate (a comment, a username); beside media, its caption
    language: str  # the text's language, ISO 639 (en, pt-BR)
    media_id: str  # media stored before (``upload_media``)
    blob_key: str  # an object under incoming/<tenant>/ in the blob store
    base64: str  # an image as base64 (or a data: URI), sent in JSON
    context: Mapping[str, ContextValue]  # region, surface, audience, user state, local time …
    external_id: str
    metadata: Mapping[str, Any]
    client_request_token: str  # the same token always gets the same moderation
    filename: str  # the upload's file name (the server reads the type from the bytes)


@route("POST", "/v1/moderations")
def create_moderation(
    media: MediaInput | None = None, *, wait: bool = False, **fields: Unpack[ModerationFields]
) -> Call[Moderation]:
    """A new moderation (or, for a ``client_request_token`` used before, the one it made).
    ``wait``: an image or a text is decided within the request."""
    source = {key: fields.get(key) for key in ("media_id", "blob_key", "base64")}
    given = sum(value is not None for value in (media, *source.values()))
    text = fields.get("text")
    if given > 1 or (given == 0 and text is None):
        raise TypeError("give exactly one of media, media_id, blob_key or base64, or a text")
    params = {"wait": "true"} if wait else None
    context, metadata = fields.get("context"), fields.get("metadata")
    if media is None:
        body = {
            "media": {key: value for key, value in source.items() if value is not None} or None,
            "text": text,
            "language": fields.get("language"),
            "context": dict(context or {}),
            "external_id": fields.get("external_id"),
            "metadata": dict(metadata) if metadata is not None else None,
            "client_request_token": fields.get("client_request_token"),
        }
        body = {key: value for key, value in body.items() if value is not None}
        return Call("POST", "/v1/moderations", _json, params, json=body)
    form = {
        "text": text,
        "language": fields.get("language"),
        "context": jsonlib.dumps(dict(context)) if context else None,
        "metadata": jsonlib.dumps(dict(metadata)) if metadata is not None else None,
        "external_id": fields.get("external_id"),
        "client_request_token": fields.get("client_request_token"),
    }
    files, replayable = _upload(media, fields.get("filename"))
    return Call(
        "POST",
        "/v1/moderations",
        _json,
        params,
        data={key: value for key, value in form.items() if value is not None},
        files=files,
        replayable=replayable,
    )


@route("GET", "/v1/moderations/{moderation_id}")
def get_moderation(moderation_id: str) -> Call[Moderation]:
    """A moderation: status, labels, decision, review."""
    return Call("GET", f"/v1/moderations/{_id(moderation_id)}", _json)


class ModerationFilters(TypedDict, total=False):
    """Filters of the moderation listing (a value no moderation can have is refused, 400)."""

    status: ModerationStatus
    action: Action
    final_action: Action
    surface: str
    external_id: str
    kind: MediaKind
    sha256: str
    created_after: dt.datetime | str  # a naive time is taken as UTC
    created_before: dt.datetime | str
    limit: int  # per page, 1–500 (default 50)


@route("GET", "/v1/moderations")
def list_moderations(
    *, cursor: str | None = None, **filters: Unpack[ModerationFilters]
) -> Call[Page[ModerationBrief]]:
    """One page of the tenant's moderations, newest first."""
    params = _query(cursor=cursor, **filters)
    return Call("GET", "/v1/moderations", cast(Callable[[httpx.Response], Any], _page), params)


class LabelOptions(TypedDict, total=False):
    sort_by: Literal["TIMESTAMP", "NAME"]
    aggregate_by: Literal["TIMESTAMPS", "SEGMENTS"]
    max_results: int  # per page, 1–1000
    min_confidence: float


@route("GET", "/v1/moderations/{moderation_id}/labels")
def get_moderation_labels(
    moderation_id: str, *, next_token: str | None = None, **options: Unpack[LabelOptions]
) -> Call[VideoLabels]:
    """One page of a video's labels, as Rekognition's ``GetContentModeration``."""
    params = _query(next_token=next_token, **options)
    return Call("GET", f"/v1/moderations/{_id(moderation_id)}/labels", _json, params)


def moderation_label_page(
    moderation_id: str, next_token: str | None, **options: Unpack[LabelOptions]
) -> Call[Page[TimedLabel]]:
    """``get_moderation_labels`` as a page, for iterating over every label."""
    call = get_moderation_labels(moderation_id, next_token=next_token, **options)
    return Call(call.method, call.path, _moderation_label_page, call.params)


def _moderation_label_page(response: httpx.Response) -> Page[TimedLabel]:
    body = response.json()
    return Page(body["ModerationLabels"], body.get("NextToken"), body)


@route("GET", "/v1/moderations/{moderation_id}/thumbnails/{timestamp_ms}")
def get_moderation_thumbnail(
    moderation_id: str, timestamp_ms: int, *, blurred: bool = True
) -> Call[bytes]:
    """The JPEG frame kept at a flagged video timestamp; ``blurred=False`` needs the scope
    ``media:read_clear`` and is logged."""
    path = f"/v1/moderations/{_id(moderation_id)}/thumbnails/{int(timestamp_ms)}"
    return Call("GET", path, _bytes, None if blurred else {"blurred": "false"})


@route("POST", "/v1/moderations/{moderation_id}/appeal")
def create_appeal(
    moderation_id: str, statement: str, *, appellant: str | None = None
) -> Call[Appeal]:
    """Appeal a moderation's decision (``statement``: the user's own words); a senior
    reviewer who took no part decides."""
    body = {"statement": statement, "appellant": appellant}
    return Call("POST", f"/v1/moderations/{_id(moderation_id)}/appeal", _json, json=body)
