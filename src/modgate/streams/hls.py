"""HLS sources: playlists and segments fetched over HTTP through the outbound guard, their bytes
decoded with PyAV.

modgate never hands an HLS URL to FFmpeg: FFmpeg would resolve and connect to every playlist and
segment host itself, past the guard. Instead the playlist is polled with the guard's client
(``modgate.outbound``: each connection's host is resolved and checked, redirects refused), each
new segment is downloaded the same way (a size cap, a timeout), and its bytes are opened by PyAV
from memory. A master playlist is followed to its lowest-bandwidth variant (samples are small).

Live edge: the first read starts with the newest segments (at most ``max_lag_seconds`` of them,
and at least one); when more than ``max_lag_seconds`` of unread segments pile up (the worker
fell behind), the older ones are skipped and the frame after the jump says so (``skipped``).
A playlist that stops growing for ``stall_seconds`` is a lost source; ``#EXT-X-ENDLIST`` ends
the stream once its segments are read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from modgate.outbound import error_class
from modgate.streams.source import SourceEnded, SourceFrame, SourceLost, decode_video_frames

MAX_PLAYLIST_BYTES = 1 << 20
MAX_SEGMENT_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class MediaSegment:
    sequence: int
    duration: float
    url: str


@dataclass(frozen=True, slots=True)
class Playlist:
    segments: tuple[MediaSegment, ...]
    target_duration: float
    ended: bool
    init_url: str | None = None
    variants: tuple[tuple[int, str], ...] = ()  # (bandwidth, url) of a master playlist


def parse_playlist(text: str, base_url: str) -> Playlist:
    """A media or master playlist (RFC 8216); ``SourceLost`` when it is not one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("#EXTM3U"):
        raise SourceLost("the source is not an HLS playlist (no #EXTM3U)", fatal=True)
    sequence, target, ended, init = 0, 2.0, False, None
    segments: list[MediaSegment] = []
    variants: list[tuple[int, str]] = []
    duration: float | None = None
    bandwidth: int | None = None
    for line in lines[1:]:
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-ENDLIST"):
            ended = True
        elif line.startswith("#EXT-X-MAP:"):
            uri = _attribute(line, "URI")
            init = urljoin(base_url, uri) if uri else None
        elif line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].split(",", 1)[0])
        elif line.startswith("#EXT-X-STREAM-INF:"):
            bandwidth = int(_attribute(line, "BANDWIDTH") or 0)
        elif not line.startswith("#"):
            if bandwidth is not None:
                variants.append((bandwidth, urljoin(base_url, line)))
                bandwidth = None
            else:
                segments.append(
                    MediaSegment(
                        sequence + len(segments), duration or target, urljoin(base_url, line)
                    )
                )
                duration = None
    return Playlist(tuple(segments), target, ended, init, tuple(variants))


def _attribute(line: str, name: str) -> str | None:
    for part in line.split(":", 1)[1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return None


class HlsSource:
    """Frames of a live HLS stream, from ``after_sequence`` (a takeover) or the live edge."""

    def __init__(
        self,
        url: str,
        client: httpx.Client,
        *,
        max_lag_seconds: float,
        stall_seconds: float,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.client = client
        self.max_lag = max_lag_seconds
        self.stall = stall_seconds
        self.stop = stop
        self.clock = clock
        self.last_sequence: int | None = None
        self._init: bytes | None = None

    def frames(self) -> Iterator[SourceFrame]:
        playlist_url = self.url
        playlist = self._playlist(playlist_url)
        if playlist.variants:
            playlist_url = min(playlist.variants)[1]
            playlist = self._playlist(playlist_url)
        last_new = self.clock()
        while not self.stop.is_set():
            fresh = [s for s in playlist.segments if self._is_new(s)]
            skipped = False
            if fresh:
                last_new = self.clock()
                # Segments that slid out of the playlist while the source was away are a gap.
                skipped = (
                    self.last_sequence is not None and fresh[0].sequence > self.last_sequence + 1
                )
                fresh, dropped = self._from_live_edge(fresh)
                skipped = skipped or dropped
            for segment in fresh:
                if self.stop.is_set():
                    return
                data = self._fetch(segment.url, MAX_SEGMENT_BYTES)
                for frame in decode_video_frames(self._with_init(playlist, data)):
                    yield SourceFrame(frame, skipped)
                    skipped = False
                self.last_sequence = segment.sequence
            if playlist.ended and not [s for s in playlist.segments if self._is_new(s)]:
                raise SourceEnded("the source ended (#EXT-X-ENDLIST)")
            if not fresh:
                if self.clock() - last_new > self.stall:
                    raise SourceLost(f"the source stalled: no new segment for {self.stall:g} s")
                self.stop.wait(min(max(playlist.target_duration / 4, 0.1), 1.0))
            playlist = self._playlist(playlist_url)

    def close(self) -> None:
        self.client.close()

    def _is_new(self, segment: MediaSegment) -> bool:
        return self.last_sequence is None or segment.sequence > self.last_sequence

    def _from_live_edge(self, fresh: list[MediaSegment]) -> tuple[list[MediaSegment], bool]:
        """The newest of ``fresh`` that fit in ``max_lag`` seconds (at least one); whether
        older ones were left out after segments were already read (the worker fell behind)."""
        total, keep = 0.0, 0
        for segment in reversed(fresh):
            if keep and total + segment.duration > self.max_lag:
                break
            total += segment.duration
            keep += 1
        skipped = keep < len(fresh) and self.last_sequence is not None
        return fresh[len(fresh) - keep :], skipped

    def _with_init(self, playlist: Playlist, data: bytes) -> bytes:
        if playlist.init_url is None:
            return data
        if self._init is None:
            self._init = self._fetch(playlist.init_url, MAX_SEGMENT_BYTES)
        return self._init + data

    def _playlist(self, url: str) -> Playlist:
        data = self._fetch(url, MAX_PLAYLIST_BYTES)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SourceLost("the source is not an HLS playlist", fatal=True) from exc
        return parse_playlist(text, url)

    def _fetch(self, url: str, limit: int) -> bytes:
        """The body at ``url`` (through the guard); ``SourceLost`` with the error's class."""
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise SourceLost(f"the source answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > limit:
                        raise SourceLost(f"a response over {limit} bytes", fatal=True)
                return bytes(body)
        except SourceLost:
            raise
        except Exception as exc:  # every failure of a request ends in its stable class
            fatal = error_class(exc) in ("address_refused", "redirect_refused", "url_invalid")
            raise SourceLost(f"the source could not be read ({error_class(exc)})", fatal) from exc


__all__ = ["HlsSource", "MediaSegment", "Playlist", "parse_playlist"]
