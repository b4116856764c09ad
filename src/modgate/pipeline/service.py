"""Moderation use cases: submit, read, list, video labels. Routes and the CLI call these.

Submitting stores the media (content-addressed), then — in one transaction — the moderation row,
its job and the ``moderation.created`` event; only then is the executor told. So an accepted
request is never lost: a crash after the commit leaves a queued job that a worker picks up.
Moderations, their media and tokens belong to the caller's tenant; reads given a tenant find
nothing of another's (404, as for an unknown id).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from modgate import events
from modgate.db.base import new_id, transaction, utcnow
from modgate.db.group_commit import GroupCommit
from modgate.errors import (
    IdempotentParameterMismatchException,
    InvalidContextError,
    InvalidParameterException,
    ResourceNotFoundException,
)
from modgate.media.models import MediaInfo
from modgate.media.service import MediaService
from modgate.media.store import MediaRecord, record_from_row
from modgate.media.tables import MediaRow
from modgate.media.text import text_bytes
from modgate.moderation.models import (
    ModerationExtra,
    ModerationQuery,
    ModerationRecord,
    NewModeration,
    request_fingerprint,
)
from modgate.moderation.public import labels_response, public_moderation
from modgate.moderation.store import ModerationStore
from modgate.moderation.tables import ModerationExtraRow, ModerationRow
from modgate.pipeline.executor import Decided, Executor, RunHere
from modgate.pipeline.in_request import decide_text_here
from modgate.pipeline.inputs import check_language, clean_context, decode_base64
from modgate.pipeline.jobs import Claim, JobStore
from modgate.pipeline.outcomes import Fresh, Outcome
from modgate.pipeline.review_lane import ReviewLane
from modgate.pipeline.settings import PipelineSettings
from modgate.pipeline.tables import JobRow
from modgate.policy import Context
from modgate.tenants import DEFAULT_TENANT

CONTEXT_KEYS = ("region", "surface", "audience", "user_state", "local_time", "timezone")


@dataclass(frozen=True, slots=True)
class _Item:
    """An accepted item, as its moderation is written: the media record (``new``: not
    recorded yet), the request's fields and when it came."""

    record: MediaRecord
    new: bool
    context: dict[str, Any]
    client_request_token: str | None
    external_id: str | None
    metadata: dict[str, Any] | None
    client: str | None
    actor: str | None
    fingerprint: str
    now: dt.datetime


class ModerationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        media: MediaService,
        jobs: JobStore,
        executor: Executor,
        settings: PipelineSettings,
        *,
        moderations: ModerationStore,
        review_lane: ReviewLane,
        clock: Callable[[], dt.datetime] = utcnow,
        inline_runner: Callable[[str], None] | None = None,
        decided: Decided | None = None,
        run_here: RunHere | None = None,
        commits: GroupCommit | None = None,
    ) -> None:
        """``moderations``: the moderation record; ``review_lane``: whose state a moderation
        shows; ``commits``: shares the commits of texts decided within their requests."""
        self.sessions = sessions
        self.commits = commits or GroupCommit(sessions)
        self.media = media
        self.jobs = jobs
        self.executor = executor
        self.settings = settings
        self.clock = clock
        self.inline_runner = inline_runner
        self.run_here = run_here
        self.decided = decided or Decided()
        self.moderations = moderations
        self.review_lane = review_lane

    # ---- submit ---------------------------------------------------------------------------
    def submit(
        self,
        *,
        stream: IO[bytes] | None = None,
        data_base64: str | None = None,
        blob_key: str | None = None,
        media_id: str | None = None,
        context: dict[str, Any] | None = None,
        client_request_token: str | None = None,
        external_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        client: str | None = None,
        actor: str | None = None,
        wait: bool = False,
        tenant: str = DEFAULT_TENANT,
        text: str | bytes | None = None,
        language: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Store the media and queue its moderation; returns (moderation, created).

        ``text`` alone is the item (a comment, a username); beside media it is the media's
        caption, kept in the context (``caption``) with ``language``. With ``wait`` (images
        and texts) the moderation is returned once decided, or as it stands when the wait
        times out."""
        context = clean_context(context)
        reserved = sorted(set(context) & {"caption", "language"})
        if reserved:
            raise InvalidContextError(
                f"context.{reserved[0]} is set from the request's own field "
                f"({'text' if reserved[0] == 'caption' else 'language'}), not in the context."
            )
        Context.from_dict(context, now=self.clock())  # refuse a bad context before storing
        sources = [s is not None for s in (stream, data_base64, blob_key, media_id)]
        if sum(sources) > 1 or (not any(sources) and text is None):
            raise InvalidParameterException(
                "Give the media exactly one way: a multipart file, base64 data, a blob-store "
                "key or an already stored media id; or give a text."
            )
        if language is not None:
            context["language"] = check_language(language)
        if text is not None and any(sources):
            caption = text_bytes(text, self.media.limits, "text").decode("utf-8")
            context["caption"] = caption

        def fingerprint_of(sha256: str) -> str:
            return request_fingerprint(sha256, context, external_id, metadata)

        before_store = None
        if client_request_token:
            token = client_request_token

            def before_store(info: MediaInfo) -> None:
                # A token already used for another request is refused before new bytes are
                # stored: nothing would ever refer to them.
                self._by_token(token, fingerprint_of(info.sha256), tenant)

        # New media: bytes stored, its row written with the moderation's (one transaction).
        if any(sources):
            record, new = self._media(stream, data_base64, blob_key, media_id, tenant, before_store)
        else:
            assert text is not None
            record, new = self.media.ingest_text(
                text, defer_record=True, before_store=before_store, tenant=tenant
            )
        # Video is always asynchronous: ``wait`` is for images and texts, so a client that asks
        # for it on every upload gets its videos accepted (202) rather than refused.
        wait = wait and record.info.kind in ("image", "text")
        read = self.wait if wait else self.get
        fingerprint = fingerprint_of(record.info.sha256)
        if client_request_token:
            existing = self._by_token(client_request_token, fingerprint, tenant)
            if existing is not None:
                return read(existing), False
        # wait=true with a free slot: this thread runs the job (see RunHere).
        here = self.run_here if wait and self.run_here and self.run_here.acquire() else None
        item = _Item(
            record,
            new,
            context,
            client_request_token,
            external_id,
            metadata,
            client,
            actor,
            fingerprint,
            self.clock(),
        )
        existing = None
        outcome = None
        try:
            try:
                moderation_id, outcome = self._accept(item, here, wait)
            except IntegrityError:  # the same token, used at the same moment by another request
                existing = (
                    self._by_token(client_request_token, fingerprint, tenant)
                    if client_request_token
                    else None
                )
                if existing is None:
                    raise
        finally:
            if here is not None:
                here.release()
        if existing is not None:  # read (and wait) with the slot given back
            return read(existing), False
        if wait and outcome is None:  # just queued: nothing to look up before the first wait
            try:
                self._settle(moderation_id, fresh=True)
            finally:
                outcome = self.decided.take(moderation_id)
        if outcome is not None:  # decided in this process: answer from the committed row
            extra = ModerationExtra(
                client_metadata=metadata or {},
                thumbnails=outcome.thumbnails,
                text_findings=outcome.text_findings,
            )
            return public_moderation(
                outcome.row, extra, outcome.record, outcome.review, self.settings.segment_gap_ms
            ), True
        return self.get(moderation_id), True

    def _accept(self, item: _Item, here: RunHere | None, wait: bool) -> tuple[str, Outcome | None]:
        """Write the moderation and queue its job, or run the job on this thread (``here``);
        the moderation's id and what this thread decided, if it did."""
        moderation_id = new_id("mod")
        if here is not None and item.record.info.kind == "text":
            outcome = decide_text_here(
                here,
                self.commits,
                moderation_id,
                Fresh(item.record, item.context, item.now),
                lambda session: self._queue_in(session, moderation_id, item, here),
                self.media.stored,
            )
            if outcome is not None:
                return moderation_id, outcome
        with transaction(self.sessions) as session:
            claim, record, stored_now = self._queue_in(session, moderation_id, item, here)
        if stored_now:
            self.media.stored(record)
        if here is not None:
            # Media stored by this request has no detections to reuse, and the moderation is
            # as just written: the job need not read either back.
            known = Fresh(record, item.context, item.now) if stored_now else None
            return moderation_id, here.run(claim, known)
        self.executor.enqueue(claim.job_id)
        if wait:  # a worker in this process hands over what it decides
            self.decided.expect(moderation_id)
        return moderation_id, None

    def _queue_in(
        self, session: Session, moderation_id: str, item: _Item, here: RunHere | None
    ) -> tuple[Claim, MediaRecord, bool]:
        """The moderation row, its job and the ``moderation.created`` event, in the caller's
        transaction; the job already claimed when ``here`` runs it. A ``new`` media record is
        written too; returned: the job's claim, the record used (another upload of the same
        bytes may have recorded them first) and whether this one did."""
        record, new = item.record, item.new
        if new:
            record, new = self.media.store.add_in(session, record)
        extra = ModerationExtra(
            client=item.client,
            client_metadata=item.metadata or {},
            request_fingerprint=item.fingerprint,
            video_metadata=_video_metadata(record) if record.info.kind == "video" else None,
        )
        self.moderations.insert(
            session,
            NewModeration(
                id=moderation_id,
                media_id=record.id,
                sha256=record.info.sha256,
                kind=record.info.kind,
                created_at=item.now,
                context=item.context,
                client_request_token=item.client_request_token,
                external_id=item.external_id,
                extra=extra,
                tenant=record.tenant,
            ),
        )
        job_id = self.jobs.add(
            session,
            moderation_id,
            self.settings.max_attempts,
            item.now,
            claimed_by=here.worker if here else None,
            lease_seconds=here.lease_seconds if here else 0.0,
        )
        created = events.ModerationCreated(
            moderation_id=moderation_id,
            actor=item.actor,
            external_id=item.external_id,
            sha256=record.info.sha256,
            kind=record.info.kind,
        )
        events.record(session, created, tenant=record.tenant)
        return Claim(job_id, moderation_id, 1, self.settings.max_attempts), record, new

    def _media(
        self,
        stream: IO[bytes] | None,
        data_base64: str | None,
        blob_key: str | None,
        media_id: str | None,
        tenant: str,
        before_store: Callable[[MediaInfo], None] | None = None,
    ) -> tuple[MediaRecord, bool]:
        """The media named, and whether it is new: then its bytes are stored and its record
        is for the caller to write (``before_store``: see ``MediaService.ingest_path``)."""
        intake: dict[str, Any] = {"before_store": before_store, "tenant": tenant}
        if stream is not None:
            return self.media.ingest_stream(stream, defer_record=True, **intake)
        if data_base64 is not None:
            data = decode_base64(data_base64)
            return self.media.ingest_bytes(data, defer_record=True, **intake)
        if blob_key is not None:
            return self.media.ingest_blob(blob_key, defer_record=True, **intake)
        record = self.media.store.get(str(media_id), tenant)
        if record is None:
            raise ResourceNotFoundException(f"No media {media_id!r}.")
        return record, False

    def _by_token(self, token: str, fingerprint: str, tenant: str) -> str | None:
        """The id of the moderation ``tenant`` made with ``token``, if the request matches it."""
        with self.sessions() as session:
            used = self.moderations.by_token(session, token, tenant)
        if used is None:
            return None
        if used.request_fingerprint != fingerprint:
            raise IdempotentParameterMismatchException(
                f"client_request_token {token!r} was already used for a different request."
            )
        return used.moderation_id

    # ---- read -----------------------------------------------------------------------------
    def get(self, moderation_id: str, tenant: str | None = None) -> dict[str, Any]:
        query = (
            select(ModerationRow, ModerationExtraRow, MediaRow)
            .outerjoin(ModerationExtraRow, ModerationExtraRow.moderation_id == ModerationRow.id)
            .outerjoin(MediaRow, MediaRow.id == ModerationRow.media_id)
            .where(ModerationRow.id == moderation_id)
            .where(ModerationRow.tenant == tenant if tenant is not None else true())
        )
        with self.sessions() as session:  # one read, on one connection
            found = session.execute(query).first()
            if found is None:
                raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
            row, extra, media = found
            review = self.review_lane.state(session, moderation_id)
            record = record_from_row(media) if media is not None else None
            session.expunge_all()
        return public_moderation(row, extra, record, review, self.settings.segment_gap_ms)

    def stored(self, moderation_id: str, tenant: str | None = None) -> ModerationRecord:
        """The moderation as stored: every label, at every confidence (the public body shows
        those of 50 and more)."""
        with self.sessions() as session:
            found = self.moderations.get(session, moderation_id, tenant)
        if found is None:
            raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
        return found

    def wait(self, moderation_id: str, timeout: float | None = None) -> dict[str, Any]:
        """The moderation once decided, or as it stands when ``timeout`` runs out."""
        self._settle(moderation_id, timeout)
        return self.get(moderation_id)

    def _settle(
        self, moderation_id: str, timeout: float | None = None, fresh: bool = False
    ) -> None:
        """Return once the moderation is decided or ``timeout`` runs out. ``fresh``: it was
        queued a moment ago, so the first look at the database is skipped."""
        deadline = time.monotonic() + (timeout or self.settings.wait_timeout_seconds)
        if self.inline_runner is not None:
            job_id = self._job_id(moderation_id)
            if job_id:
                self.inline_runner(job_id)
        look = not fresh or self.inline_runner is not None
        while not self.decided.settled(moderation_id):
            if look and self._status(moderation_id) in ("completed", "failed"):
                break
            look = True
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # Woken at once by a decision in this process; polls for other processes' work.
            self.decided.wait_for(moderation_id, min(left, 0.2))

    def _status(self, moderation_id: str) -> str | None:
        with self.sessions() as session:
            return self.moderations.status(session, moderation_id)

    def _job_id(self, moderation_id: str) -> str | None:
        with self.sessions() as session:
            return session.scalar(
                select(JobRow.id)
                .where(JobRow.moderation_id == moderation_id)
                .order_by(JobRow.created_at.desc())
                .limit(1)
            )

    def list(
        self,
        filters: dict[str, Any],
        limit: int = 50,
        cursor: str | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        tenant: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = ModerationQuery(filters, limit, cursor, created_after, created_before, tenant)
        with self.sessions() as session:
            page = self.moderations.list(session, query)
        gap_ms = self.settings.segment_gap_ms
        items = [public_moderation(r, None, None, None, gap_ms, brief=True) for r in page.records]
        return items, page.next_cursor

    def labels(self, moderation_id: str, tenant: str | None, **options: Any) -> dict[str, Any]:
        """Video labels as Amazon Rekognition's ``GetContentModeration`` answers."""
        with self.sessions() as session:
            row = self.moderations.get(session, moderation_id, tenant)
            extra = self.moderations.extra(session, moderation_id, tenant)
        if row is None:
            raise ResourceNotFoundException(f"No moderation {moderation_id!r}.")
        return labels_response(row, extra, default_gap_ms=self.settings.segment_gap_ms, **options)


def _video_metadata(record: MediaRecord) -> dict[str, Any]:
    info = record.info
    return {
        "Codec": info.codec,
        "DurationMillis": round((info.duration_seconds or 0) * 1000),
        "Format": info.format,
        "FrameRate": info.frame_rate,
        "FrameHeight": info.height,
        "FrameWidth": info.width,
    }
