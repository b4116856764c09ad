"""One stream, run by the worker that holds it: read pictures from the source, sample them at
the stream's rate (plus scene cuts), detect, decide with the active policy for the stream's
context, and commit each sample's segments and events while the hold lasts.

Exactly once across takeovers: each sample is committed in one transaction that first checks
that this worker still holds the stream (``store.held``); the sample's time is stored with it,
and a worker that takes over skips samples at or before it. Times are the source's own
presentation times, counted from the stream's first picture (kept with the stream so a worker
that takes over counts from the same origin); when the source's clock jumps (a reconnection
that restarts it), the origin is moved so the stream's time goes on from the wall clock.

A lost source is reconnected after ``reconnect_backoff_seconds`` (doubling) up to
``reconnect_attempts`` times in a row; then the stream ends (``failed`` when no picture was
ever read) with the reason.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from modgate.db.base import new_id, transaction
from modgate.detection.video import (
    FrameDetector,
    picture_distance,
    picture_signature,
    sample_side,
)
from modgate.detection.video_sampling import FramePicker, Sample
from modgate.events import record
from modgate.events.models.streams import StreamHeld
from modgate.media.blobstore import BlobStore
from modgate.outbound import OutboundGuard
from modgate.streams.decide import StreamDecider
from modgate.streams.hls import HlsSource
from modgate.streams.lifecycle import finish, give_up_if_worn
from modgate.streams.models import SEGMENT_FLOOR, row_label
from modgate.streams.moments import MomentSink
from modgate.streams.record import SampleWrite, write_sample
from modgate.streams.segments import OpenSegment, SegmentTracker
from modgate.streams.settings import StreamSettings
from modgate.streams.source import FFmpegSource, Source, SourceEnded, SourceFrame, SourceLost
from modgate.streams.store import held, open_segments
from modgate.streams.tables import StreamRow
from modgate.taxonomy.detections import ImageDetections

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
JUMP_BACK_MS = 2000  # a source clock going back further than this is a restart


class HoldLost(Exception):
    """The stream was stopped, ended or taken over: this worker writes nothing more."""


@dataclass(frozen=True)
class StreamTools:
    """What running a stream needs: the database, the detection engine (loaded on first
    use), the policy decider, where thumbnails go, the outbound guard, settings and a clock."""

    sessions: sessionmaker[Session]
    engine: Callable[[], FrameDetector]
    decider: StreamDecider
    blobs: BlobStore
    guard: OutboundGuard
    settings: StreamSettings
    gap_ms: int
    scene_threshold: float
    reuse_threshold: float
    clock: Clock
    http_timeout: float = 10.0
    moments: MomentSink | None = None


@dataclass
class _Timing:
    origin: float | None
    started_at: dt.datetime
    last_ms: int | None
    pending_gap: tuple[int, int] | None = None


class StreamRun:
    """Runs stream ``stream_id`` for ``worker`` until it ends, is stopped, or ``stop`` is set
    (the worker stops, or lost its lease)."""

    def __init__(self, stream_id: str, worker: str, tools: StreamTools) -> None:
        self.stream_id = stream_id
        self.worker = worker
        self.tools = tools
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._run()
        except HoldLost:
            logger.info("stream %s: no longer held by %s", self.stream_id, self.worker)

    def _run(self) -> None:
        taken = self._take_up()
        if taken is None:
            return  # taken up too many times: it ended as failed
        row, opened = taken
        tools = self.tools
        self.row_url, self.fps, self.context = row.url, row.fps, dict(row.context or {})
        self.tenant, self.external_id = row.tenant, row.external_id
        self.tracker = SegmentTracker(tools.gap_ms, SEGMENT_FLOOR, opened)
        self.resume_ms = row.last_sample_ms
        self.timing = _Timing(
            row.origin_seconds, row.started_at or tools.clock(), row.last_sample_ms
        )
        self.samples_before = row.samples
        self._seen_here = False
        self.last_action = row.last_action
        self._anchor: tuple[Sample, ImageDetections, object] | None = None
        source = self._source()  # kept across reconnections: HLS goes on after what it read
        try:
            self._read(source)
        finally:
            source.close()

    def _read(self, source: Source) -> None:
        tools = self.tools
        failures = 0
        while not self.stop.is_set():
            try:
                for sample in self._samples(source):
                    self._handle(sample)
                    failures = 0
            except SourceEnded as ended:
                self._end("ended", str(ended))
                return
            except SourceLost as lost:
                failures += 1
                if lost.fatal or failures > tools.settings.reconnect_attempts:
                    status = "ended" if self._ever_sampled() else "failed"
                    tries = "" if lost.fatal else f" (after {failures} tries)"
                    self._end(status, f"{lost.reason}{tries}")
                    return
                delay = tools.settings.reconnect_backoff_seconds * 2 ** (failures - 1)
                logger.info("stream %s: %s; reconnecting in %g s", self.stream_id, lost, delay)
                if self.stop.wait(delay):
                    return
            except _DurationReached:
                self._end("ended", "the longest stream duration was reached")
                return

    # ---- holding ------------------------------------------------------------------------
    def _take_up(self) -> tuple[StreamRow, list[OpenSegment]] | None:
        with transaction(self.tools.sessions) as session:
            row = self._held(session)
            settings = self.tools.settings
            if give_up_if_worn(session, row, settings.max_holds, self.tools.clock()):
                return None
            opened = [
                OpenSegment(row_label(s), s.start_ms, s.last_ms - 1, s.last_ms, s.id)
                for s in open_segments(session, row.id)
            ]
            record(
                session,
                StreamHeld(
                    stream_id=row.id,
                    tenant=row.tenant,
                    external_id=row.external_id,
                    worker=self.worker,
                    resume_ms=row.last_sample_ms,
                ),
            )
            session.expunge(row)
            return row, opened

    def _held(self, session: Session) -> StreamRow:
        row = held(session, self.stream_id, self.worker)
        if row is None:
            raise HoldLost()
        return row

    def _ever_sampled(self) -> bool:
        return self.samples_before > 0 or self.timing.last_ms is not None

    def _end(self, status: str, reason: str) -> None:
        now = self.tools.clock()
        with transaction(self.tools.sessions) as session:
            row = self._held(session)
            finish(session, row, status, reason, now)

    # ---- reading ------------------------------------------------------------------------
    def _source(self) -> Source:
        settings = self.tools.settings
        if self.row_url.split(":", 1)[0].lower() in ("http", "https"):
            client = self.tools.guard.client(self.tools.http_timeout)
            return HlsSource(
                self.row_url,
                client,
                max_lag_seconds=settings.max_lag_seconds,
                stall_seconds=settings.stall_seconds,
                stop=self.stop,
            )
        return FFmpegSource(
            self.row_url,
            self.tools.guard,
            max_lag_seconds=settings.max_lag_seconds,
            stall_seconds=settings.stall_seconds,
            stop=self.stop,
        )

    def _samples(self, source: Source) -> Iterator[Sample]:
        """Samples of the source's frames, in the stream's time (a generator)."""
        engine = self.tools.engine()
        picker = FramePicker(self.fps, self.tools.scene_threshold, sample_side(engine))
        max_ms = self.tools.settings.max_duration_seconds * 1000.0
        for item in source.frames():
            if self.stop.is_set():
                return
            at_ms = self._time_of(item)
            if at_ms is None:
                continue
            if item.skipped or (self.timing.last_ms is not None and at_ms < self.timing.last_ms):
                picker = FramePicker(self.fps, self.tools.scene_threshold, sample_side(engine))
            self.timing.last_ms = max(at_ms, self.timing.last_ms or 0)
            if at_ms > max_ms or self._elapsed_ms() > max_ms:
                raise _DurationReached()
            sample = picker.push(item.frame, at_ms)
            if sample is not None and (
                self.resume_ms is None or sample.timestamp_ms > self.resume_ms
            ):
                yield sample

    def _elapsed_ms(self) -> float:
        return (self.tools.clock() - self.timing.started_at).total_seconds() * 1000.0

    def _time_of(self, item: SourceFrame) -> int | None:
        """The frame's time in the stream (ms from its start; None for a frame without a
        time, which is left out); a jump back of the source's clock moves the origin so the
        time goes on from the wall clock; a jump to the live edge records a gap."""
        timing = self.timing
        seen = item.frame.time
        if seen is None or math.isnan(seen):  # no time, or no time base to read it in
            return None
        if timing.origin is None:
            timing.origin = seen - (self._elapsed_ms() / 1000.0 if self._ever_sampled() else 0.0)
        at_ms = round((seen - timing.origin) * 1000.0)
        if timing.last_ms is not None and at_ms < timing.last_ms - JUMP_BACK_MS:
            timing.origin = seen - self._elapsed_ms() / 1000.0
            at_ms = round((seen - timing.origin) * 1000.0)
        step_ms = 1000.0 / self.fps
        # Skipped to the live edge (the worker fell behind, the source came back after
        # segments slid away, or a worker took the stream over): the time between is a gap.
        jumped = timing.last_ms is not None and at_ms > timing.last_ms + 1.5 * step_ms
        if jumped and timing.last_ms is not None and (item.skipped or not self._seen_here):
            timing.pending_gap = (timing.last_ms, at_ms)
        self._seen_here = True
        return max(at_ms, 0)

    # ---- one sample ---------------------------------------------------------------------
    def _handle(self, sample: Sample) -> None:
        detections = self._detect(sample)
        step_ms = round(1000.0 / self.fps)
        changes = self.tracker.observe(sample.timestamp_ms, detections.labels, step_ms)
        ruling = self.tools.decider.decide(self.stream_id, self.tracker.open.values(), self.context)
        thumbnail = None
        if changes.started:
            thumbnail = self._keep_thumbnail(sample)
        moment = None
        moments = self.tools.moments
        asks_review = ruling is not None and ruling.action == "review"
        if asks_review and self.last_action != "review" and moments is not None:
            # The moment goes to the review lane as an item of its own.
            moment = moments.submit(
                sample.image,
                stream_id=self.stream_id,
                tenant=self.tenant,
                context=self.context,
                external_id=self.external_id,
                at_ms=sample.timestamp_ms,
            )
        write = SampleWrite(
            at_ms=sample.timestamp_ms,
            origin=self.timing.origin,
            changes=changes,
            open_now=tuple(self.tracker.open.values()),
            ruling=ruling,
            thumbnail=thumbnail,
            gap=self.timing.pending_gap,
            moment=moment,
        )
        now = self.tools.clock()
        with transaction(self.tools.sessions) as session:
            row = self._held(session)
            keys = write_sample(session, row, write, now)
            self.last_action = row.last_action
        for name, key in keys.items():
            self.tracker.keyed(name, key)
        self.timing.pending_gap = None
        self.resume_ms = sample.timestamp_ms
        if row.status not in ("starting", "live"):
            raise HoldLost()  # the policy terminated it

    def _detect(self, sample: Sample) -> ImageDetections:
        """The sample's detections; a still picture reuses the last ones (as files do)."""
        threshold = self.tools.reuse_threshold
        signature = picture_signature(sample.image) if threshold > 0 else None
        anchor = self._anchor
        if (
            anchor is not None
            and signature is not None
            and not (sample.scene_change or sample.cut)
            and picture_distance(signature, anchor[2]) < threshold  # type: ignore[arg-type]
        ):
            return anchor[1]
        result = self.tools.engine().detect_frames([sample.image])[0]
        if signature is not None:
            self._anchor = (sample, result.detections, signature)
        return result.detections

    def _keep_thumbnail(self, sample: Sample) -> str:
        small = sample.image.copy()
        small.thumbnail((320, 320))
        out = io.BytesIO()
        small.convert("RGB").save(out, format="JPEG", quality=80)
        key = f"streams/{self.stream_id}/{sample.timestamp_ms}-{new_id('t')[-8:]}.jpg"
        self.tools.blobs.put_bytes(key, out.getvalue(), "image/jpeg")
        return key


class _DurationReached(Exception):
    pass
