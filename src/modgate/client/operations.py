"""Every API operation once: the request it makes (a ``Call``: method, path, query, body) and
how its answer is read. ``Client`` and ``AsyncClient`` only send these; a new route is one
builder here, marked with ``@route``, and one short method in each client.

``ROUTES`` maps each ``METHOD /path`` the builders cover to its builder's name: the tests
compare it with the server's routes, so a ``/v1`` route without a client method is noticed.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeAlias, TypedDict, TypeVar, Unpack, cast
from urllib.parse import quote

import httpx

from modgate.client.types import (
    Action,
    Appeal,
    AuditEntry,
    Bank,
    BankContent,
    BankEntry,
    ConsistencyProof,
    ContextValue,
    CustomLabelJob,
    Delivery,
    Health,
    InclusionProof,
    Media,
    MediaErased,
    MediaKind,
    MediaUploaded,
    MetricsSummary,
    MetricsTuning,
    Moderation,
    ModerationBrief,
    ModerationStatus,
    Page,
    QueueStats,
    Stream,
    StreamBrief,
    StreamStatus,
    TimedLabel,
    VideoLabels,
    ViewerDecision,
    WebhookEndpoint,
    WebhookEndpointCreated,
)

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
# Media to upload: its bytes, a path to it, or an open binary file (sent whole, from its start;
# one that cannot seek, a pipe, is sent once and never retried).
MediaInput: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]
Files: TypeAlias = dict[str, tuple[str, Any]]

ROUTES: dict[str, str] = {}


def route(method: str, path: str) -> Callable[[F], F]:
    """Marks a builder as the client's side of ``METHOD path`` (the server's path template)."""

    def mark(builder: F) -> F:
        ROUTES[f"{method} {path}"] = builder.__name__
        return builder

    return mark


def _json(response: httpx.Response) -> Any:
    return response.json()


def _bytes(response: httpx.Response) -> bytes:
    return response.content


def _none(_response: httpx.Response) -> None:
    return None


def _page(response: httpx.Response) -> Page[Any]:
    body = response.json()
    return Page(body["items"], body.get("next_cursor"), body)


def _no_files() -> AbstractContextManager[Files | None]:
    return nullcontext(None)


@dataclass(slots=True)  # not frozen: built for every request, and frozen costs µs
class Call(Generic[T]):
    """One request. ``files`` opens the multipart files anew for each try (and closes what it
    opened); ``replayable`` is False when a retry could not send the same body again."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Callable[[], AbstractContextManager[Files | None]] = _no_files
    replayable: bool = True


def _id(value: str) -> str:
    """A path segment: an id is sent as given, never read as a path."""
    return quote(str(value), safe="")


def _query(**values: Any) -> dict[str, Any]:
    """Query parameters that are set; booleans as ``true``/``false``, times in ISO 8601."""
    return {
        key: ("true" if value else "false")
        if isinstance(value, bool)
        else value.isoformat()
        if isinstance(value, dt.datetime)
        else value
        for key, value in values.items()
        if value is not None
    }


def _upload(media: MediaInput, filename: str | None) -> tuple[Callable[[], Any], bool]:
    """A multipart ``file`` for each try, and whether a retry can send it again."""
    if isinstance(media, bytes | bytearray | memoryview):
        data = bytes(media)
        name = filename or "media"

        @contextmanager
        def from_bytes() -> Iterator[Files]:
            yield {"file": (name, data)}

        return from_bytes, True
    if isinstance(media, str | os.PathLike):
        path = Path(media)
        name = filename or path.name

        @contextmanager
        def from_path() -> Iterator[Files]:
            with path.open("rb") as file:
                yield {"file": (name, file)}

        return from_path, True
    stream = media
    name = filename or Path(str(getattr(stream, "name", "") or "media")).name
    try:
        seekable = stream.seekable()
    except (OSError, ValueError):
        seekable = False

    @contextmanager
    def from_stream() -> Iterator[Files]:
        yield {"file": (name, stream)}  # httpx reads a seekable file from its start

    return from_stream, seekable


@route("GET", "/healthz")
def get_health() -> Call[Health]:
    """Liveness and database check (``/healthz``, needs no key)."""
    return Call("GET", "/healthz", _json)


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


class ViewerContext(TypedDict, total=False):
    """Who views, where and when (every key optional; ``surface`` left out: each item is judged
    on the surface it was uploaded to)."""

    region: str
    audience: str | int
    local_time: str
    timezone: str
    surface: str
    user_state: str


@route("GET", "/v1/moderations/{moderation_id}/decision")
def get_viewer_decision(
    moderation_id: str,
    *,
    policy_version: str | None = None,
    **context: Unpack[ViewerContext],
) -> Call[ViewerDecision]:
    """The item judged again for one viewer's context from its stored detections (the stored
    decision is not changed); a reviewer's verdict stands whatever the context."""
    params = _query(policy_version=policy_version, **context)
    return Call("GET", f"/v1/moderations/{_id(moderation_id)}/decision", _json, params)


@route("POST", "/v1/decisions")
def decide_for_viewer(
    moderation_ids: list[str],
    *,
    policy_version: str | None = None,
    **context: Unpack[ViewerContext],
) -> Call[list[ViewerDecision]]:
    """Decisions for one viewer on up to 1,000 items, in the order given (a feed page); an
    unknown id is an entry with ``status`` ``not_found``, not a failed call."""
    body: dict[str, Any] = {
        "context": dict(context),
        "items": [{"moderation_id": moderation_id} for moderation_id in moderation_ids],
    }
    if policy_version is not None:
        body["policy_version"] = policy_version
    return Call("POST", "/v1/decisions", lambda response: response.json()["decisions"], json=body)


@route("GET", "/v1/review/queues")
def list_review_queues() -> Call[list[QueueStats]]:
    """Depth, oldest age and SLA of every review queue."""
    return Call("GET", "/v1/review/queues", lambda response: response.json()["queues"])


@route("POST", "/v1/media")
def upload_media(media: MediaInput, *, filename: str | None = None) -> Call[MediaUploaded]:
    """Store media without moderating it (``created``: False when the tenant had these bytes
    already); moderate it later with ``moderate(media_id=...)``."""
    files, replayable = _upload(media, filename)
    return Call("POST", "/v1/media", _json, files=files, replayable=replayable)


@route("GET", "/v1/media/{media_id}")
def get_media(media_id: str) -> Call[Media]:
    """Facts about stored media."""
    return Call("GET", f"/v1/media/{_id(media_id)}", _json)


@route("GET", "/v1/media/{media_id}/preview")
def get_media_preview(media_id: str, *, blurred: bool = True) -> Call[bytes]:
    """The reviewer preview as JPEG; ``blurred=False`` needs ``media:read_clear`` and is
    logged."""
    params = None if blurred else {"blurred": "false"}
    return Call("GET", f"/v1/media/{_id(media_id)}/preview", _bytes, params)


@route("POST", "/v1/media/{media_id}/erasure")
def erase_media(media_id: str) -> Call[MediaErased]:
    """Answer an erasure request (scope ``media:erase``): the media's bytes and the personal
    fields of its moderations are deleted; the record, its decisions and hash stay."""
    return Call("POST", f"/v1/media/{_id(media_id)}/erasure", _json)


@route("POST", "/v1/webhooks")
def create_webhook(
    url: str, *, events: list[str] | None = None, secret: str | None = None
) -> Call[WebhookEndpointCreated]:
    """Register an endpoint for ``events`` (default: every event). The answer carries its
    ``secret`` (``secret``: yours, at least 16 bytes; default: generated), the only time it is
    shown: keep it for ``verify_webhook``."""
    body = {"url": url, "events": events, "secret": secret}
    return Call(
        "POST", "/v1/webhooks", _json, json={k: v for k, v in body.items() if v is not None}
    )


@route("GET", "/v1/webhooks")
def list_webhooks() -> Call[list[WebhookEndpoint]]:
    """The tenant's registered endpoints (without their secrets)."""
    return Call("GET", "/v1/webhooks", lambda response: response.json()["items"])


@route("DELETE", "/v1/webhooks/{endpoint_id}")
def delete_webhook(endpoint_id: str) -> Call[None]:
    """Delete an endpoint; its pending deliveries end."""
    return Call("DELETE", f"/v1/webhooks/{_id(endpoint_id)}", _none)


@route("GET", "/v1/webhooks/{endpoint_id}/deliveries")
def list_webhook_deliveries(
    endpoint_id: str, *, limit: int | None = None, cursor: str | None = None
) -> Call[Page[Delivery]]:
    """One page of an endpoint's delivery log, newest first."""
    path = f"/v1/webhooks/{_id(endpoint_id)}/deliveries"
    parse = cast(Callable[[httpx.Response], Any], _page)
    return Call("GET", path, parse, _query(limit=limit, cursor=cursor))


@route("POST", "/v1/streams")
def create_stream(
    url: str,
    *,
    context: Mapping[str, ContextValue] | None = None,
    fps: float | None = None,
    external_id: str | None = None,
    terminate_on: list[Action] | None = None,
) -> Call[Stream]:
    """Start moderating the live stream at ``url`` (HLS over http/https, RTMP, RTSP, SRT) at
    ``fps`` samples a second (default 1); a worker takes it up (``status`` ``starting``).
    ``terminate_on``: policy actions that end the stream when the policy asks for them."""
    body = {
        "url": url,
        "context": context,
        "fps": fps,
        "external_id": external_id,
        "terminate_on": terminate_on,
    }
    return Call("POST", "/v1/streams", _json, json={k: v for k, v in body.items() if v is not None})


@route("GET", "/v1/streams")
def list_streams(
    *, limit: int | None = None, cursor: str | None = None, status: StreamStatus | None = None
) -> Call[Page[StreamBrief]]:
    """One page of the tenant's streams, newest first (only those in ``status``)."""
    parse = cast(Callable[[httpx.Response], Any], _page)
    return Call("GET", "/v1/streams", parse, _query(limit=limit, cursor=cursor, status=status))


@route("GET", "/v1/streams/{stream_id}")
def get_stream(stream_id: str) -> Call[Stream]:
    """A stream: its status (and reason), samples so far, open and closed segments."""
    return Call("GET", f"/v1/streams/{_id(stream_id)}", _json)


@route("GET", "/v1/streams/{stream_id}/segments/{segment_id}/thumbnail")
def get_stream_thumbnail(stream_id: str, segment_id: str, *, blurred: bool = True) -> Call[bytes]:
    """The JPEG picture that opened a segment of a stream; ``blurred=False`` needs the scope
    ``media:read_clear`` and is logged."""
    path = f"/v1/streams/{_id(stream_id)}/segments/{_id(segment_id)}/thumbnail"
    return Call("GET", path, _bytes, None if blurred else {"blurred": "false"})


@route("POST", "/v1/streams/{stream_id}/stop")
def stop_stream(stream_id: str) -> Call[Stream]:
    """Stop a stream now; its open segments close and ``stream.ended`` is sent."""
    return Call("POST", f"/v1/streams/{_id(stream_id)}/stop", _json)


class MetricsFilters(TypedDict, total=False):
    since: dt.datetime | str  # ISO 8601; default: 30 days before until
    until: dt.datetime | str  # default: now
    surface: str
    region: str
    queue: str


@route("GET", "/v1/metrics/summary")
def get_metrics_summary(**filters: Unpack[MetricsFilters]) -> Call[MetricsSummary]:
    """The ops metrics of the tenant's decisions and reviews over a period (scope
    ``metrics:read``): shares of actions, review times, disagreement, error rates per
    category with their intervals, queue health."""
    return Call("GET", "/v1/metrics/summary", _json, _query(**filters))


class TuningFilters(TypedDict, total=False):
    policy: str  # a stored policy version (or a prefix); default: the surface's active one
    surface: str
    since: dt.datetime | str  # ISO 8601, by the decisions' submission time
    until: dt.datetime | str
    target_precision: float  # the block threshold's precision (lower bound) to reach
    target_recall: float  # the review threshold's recall (lower bound) to reach
    max_review_ratio: float  # at most this share of decisions in a category's review band
    confidence: float  # of the lower bounds; default 0.95
    category: str  # only this top-level category


@route("GET", "/v1/metrics/tuning")
def get_metrics_tuning(**filters: Unpack[TuningFilters]) -> Call[MetricsTuning]:
    """Weighted precision–recall curves per category over the tenant's checked decisions,
    and the thresholds the targets allow (scope ``metrics:read``; ``modgate policy tune``)."""
    return Call("GET", "/v1/metrics/tuning", _json, _query(**filters))


class AuditFilters(TypedDict, total=False):
    since: dt.datetime | str  # ISO 8601
    until: dt.datetime | str
    actor: str  # user:<id>, key:<id>, cli:<os-user>@<host>, system
    kind: str  # e.g. moderation.decided, api_key.created
    object: str  # <type>:<id>, e.g. moderation:mod_…
    limit: int  # per page, 1–500 (default 100)


@route("GET", "/v1/audit")
def list_audit_entries(
    *, cursor: str | None = None, **filters: Unpack[AuditFilters]
) -> Call[Page[AuditEntry]]:
    """One page of the tenant's audit entries, oldest first (scope ``audit:read``)."""
    params = _query(cursor=cursor, **filters)
    return Call("GET", "/v1/audit", cast(Callable[[httpx.Response], Any], _page), params)


@route("GET", "/v1/audit/proofs/inclusion")
def get_audit_inclusion_proof(seq: int, *, tree_size: int | None = None) -> Call[InclusionProof]:
    """RFC 9162 inclusion proof of one of the tenant's entries in the log of ``tree_size``."""
    params = _query(seq=seq, tree_size=tree_size)
    return Call("GET", "/v1/audit/proofs/inclusion", _json, params)


@route("GET", "/v1/audit/proofs/consistency")
def get_audit_consistency_proof(
    from_size: int, *, to_size: int | None = None
) -> Call[ConsistencyProof]:
    """RFC 9162 consistency proof between two sizes of the log."""
    params = _query(from_size=from_size, to_size=to_size)
    return Call("GET", "/v1/audit/proofs/consistency", _json, params)


@route("GET", "/v1/audit/checkpoints/latest")
def get_latest_audit_checkpoint() -> Call[str]:
    """The latest signed checkpoint, as its C2SP signed note (text)."""
    return Call("GET", "/v1/audit/checkpoints/latest", lambda response: response.text)


class BankSettings(TypedDict, total=False):
    """A bank's settings (``create_bank``, ``update_bank``; the server's defaults for those left
    out)."""

    description: str
    matching_enabled_ratio: float  # the share of lookups the bank takes part in, 0–1
    max_distance: int  # the largest PDQ distance it matches at, 0–64 (default 31)
    negative: bool  # known-good content: its matches suppress labels


class CustomLabelExamples(TypedDict, total=False):
    """What a custom label learns from (``POST /v1/custom-labels``)."""

    kind: Literal["image", "text"]
    parent: str | None
    backbone: str | None
    source: Literal["examples", "verdicts"]
    positive_media_ids: Sequence[str]
    negative_media_ids: Sequence[str]
    positive_texts: Sequence[str]
    negative_texts: Sequence[str]


@route("POST", "/v1/custom-labels")
def train_custom_label(name: str, **examples: Unpack[CustomLabelExamples]) -> Call[CustomLabelJob]:
    """Start training a new version of the custom label ``name`` (scope ``labels:manage``):
    from stored media by id (or texts), or with ``source="verdicts"`` from reviewed history.
    Answers the job at once; poll ``get_custom_label_job`` until its status is not
    ``training``."""
    body = {
        key: list(value) if isinstance(value, list | tuple) else value
        for key, value in examples.items()
    }
    return Call("POST", "/v1/custom-labels", _json, json={"name": name, **body})


@route("GET", "/v1/custom-labels/{job_id}")
def get_custom_label_job(job_id: str) -> Call[CustomLabelJob]:
    """A training job: status, cross-validated metrics, model card, shadow evaluation."""
    return Call("GET", f"/v1/custom-labels/{_id(job_id)}", _json)


def _bank(name: str) -> str:
    return f"/v1/banks/{_id(name)}"


def _bank_content(content_id: int) -> str:
    return f"/v1/bank-contents/{int(content_id)}"


@route("GET", "/v1/banks")
def list_banks() -> Call[list[Bank]]:
    """The tenant's hash banks (scope ``banks:read``)."""
    return Call("GET", "/v1/banks", lambda response: response.json()["items"])


@route("POST", "/v1/banks")
def create_bank(name: str, **settings: Unpack[BankSettings]) -> Call[Bank]:
    """Make a bank (``name``: upper-case letters, digits and ``_``, starting with a letter)."""
    return Call("POST", "/v1/banks", _json, json={"name": name, **settings})


@route("POST", "/v1/banks/import")
def import_bank_entries(
    entries: Sequence[Mapping[str, Any]], *, bank: str | None = None
) -> Call[dict[str, int]]:
    """Import entries (``signal_type``, ``signal``, ``bank``, ``note``, as ``export_bank``
    gives them), all or none; ``bank``: the bank of entries naming none. Answers the number
    added, by bank."""
    return Call(
        "POST",
        "/v1/banks/import",
        lambda response: response.json()["imported"],
        _query(bank=bank),
        json=[dict(entry) for entry in entries],
    )


@route("GET", "/v1/banks/{bank_name}")
def get_bank(bank_name: str) -> Call[Bank]:
    """One bank, with its settings."""
    return Call("GET", _bank(bank_name), _json)


@route("PATCH", "/v1/banks/{bank_name}")
def update_bank(bank_name: str, **settings: Unpack[BankSettings]) -> Call[Bank]:
    """Change the settings given; the others stay."""
    return Call("PATCH", _bank(bank_name), _json, json=dict(settings))


@route("DELETE", "/v1/banks/{bank_name}")
def delete_bank(bank_name: str) -> Call[None]:
    """Delete a bank with its content."""
    return Call("DELETE", _bank(bank_name), _none)


def _content_page(response: httpx.Response) -> Page[BankContent]:
    body = response.json()
    after = body.get("next_after")
    return Page(body["items"], None if after is None else str(after), body)


@route("GET", "/v1/banks/{bank_name}/contents")
def list_bank_contents(
    bank_name: str, *, limit: int | None = None, cursor: str | int | None = None
) -> Call[Page[BankContent]]:
    """One page of a bank's content, by id (``limit``: 1–1000, default 100; ``cursor``: the
    previous page's ``next_cursor``, the last id it holds)."""
    params = _query(limit=limit, after=cursor)
    return Call("GET", f"{_bank(bank_name)}/contents", _content_page, params)


@route("POST", "/v1/banks/{bank_name}/contents")
def add_bank_content(
    bank_name: str,
    media: MediaInput | None = None,
    *,
    media_id: str | None = None,
    moderation_id: str | None = None,
    signal_type: Literal["pdq", "vpdq", "video_md5"] | None = None,
    signal: str | None = None,
    note: str | None = None,
    filename: str | None = None,
) -> Call[BankContent]:
    """Bank a picture or video: ``media`` (bytes, a path or a binary file, uploaded and
    hashed), or stored media (``media_id``), or a moderation's media (``moderation_id``), or a
    hash (``signal_type`` with ``signal``)."""
    given = sum(value is not None for value in (media, media_id, moderation_id, signal))
    if given != 1 or (signal is None) != (signal_type is None):
        raise TypeError("give exactly one of media, media_id, moderation_id, or signal_type+signal")
    path = f"{_bank(bank_name)}/contents"
    if media is None:
        body = {
            "media_id": media_id,
            "moderation_id": moderation_id,
            "signal_type": signal_type,
            "signal": signal,
            "note": note,
        }
        return Call("POST", path, _json, json={k: v for k, v in body.items() if v is not None})
    files, replayable = _upload(media, filename)
    data = None if note is None else {"note": note}
    return Call("POST", path, _json, data=data, files=files, replayable=replayable)


@route("GET", "/v1/banks/{bank_name}/export")
def export_bank(bank_name: str) -> Call[list[BankEntry]]:
    """Every entry of a bank (one per signal; ``import_bank_entries`` takes them back)."""
    return Call("GET", f"{_bank(bank_name)}/export", lambda response: response.json()["entries"])


@route("GET", "/v1/bank-contents/{content_id}")
def get_bank_content(content_id: int) -> Call[BankContent]:
    """One banked content, with its signals."""
    return Call("GET", _bank_content(content_id), _json)


@route("PATCH", "/v1/bank-contents/{content_id}")
def update_bank_content(
    content_id: int, *, enabled: bool | None = None, note: str | None = None
) -> Call[BankContent]:
    """Turn a content off (``enabled=False``: it no longer matches) or on, or change its note."""
    body = {"enabled": enabled, "note": note}
    return Call(
        "PATCH",
        _bank_content(content_id),
        _json,
        json={k: v for k, v in body.items() if v is not None},
    )


@route("DELETE", "/v1/bank-contents/{content_id}")
def delete_bank_content(content_id: int) -> Call[None]:
    """Remove a content from its bank."""
    return Call("DELETE", _bank_content(content_id), _none)
