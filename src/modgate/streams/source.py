"""Where a stream's pictures come from: HLS over the guarded HTTP client (``hls.py``), RTMP,
RTSP and SRT through FFmpeg (PyAV), every one checked by the outbound guard.

``check_source_url`` is what submission runs: a supported scheme, no credentials in a URL the
API would show, and a host that is not internal unless ``MODGATE_OUTBOUND_ALLOW`` lists it (the
webhooks' rule). For RTMP, RTSP and SRT, FFmpeg makes the connection: the host is resolved and
checked again when the worker opens it, and FFmpeg is given the checked address (not the name,
so a name that answers 127.0.0.1 later is not followed; for ``rtmps``/``rtsps`` the name is kept
for the certificate check, and only checked). HLS never reaches FFmpeg's network code.

A source raises ``SourceEnded`` when the stream is over and ``SourceLost`` when it is lost
(``fatal``: reconnecting cannot help, such as a response that is no playlist); the worker
reconnects after a lost source with backoff.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import av

from modgate.errors import InvalidParameterException, UnsupportedStreamSourceException
from modgate.outbound import OutboundGuard
from modgate.streams.models import SCHEMES
from modgate.streams.relay import PROBE_MICROS, relayed
from modgate.streams.source_errors import SourceEnded, SourceLost

__all__ = ["SourceEnded", "SourceLost", "SourceFrame", "Source", "FFmpegSource"]

DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443, "rtsp": 554, "rtsps": 322, "srt": 0}
TLS_SCHEMES = ("rtmps", "rtsps")


@dataclass(frozen=True, slots=True)
class SourceFrame:
    """A decoded picture; ``skipped``: pictures before it were skipped (the worker was behind
    the live edge)."""

    frame: av.VideoFrame
    skipped: bool = False


class Source(Protocol):
    def frames(self) -> Iterator[SourceFrame]:
        """Pictures until the stream ends (``SourceEnded``) or is lost (``SourceLost``); called
        again to reconnect."""
        ...

    def close(self) -> None:
        """Release what the source holds (connections)."""
        ...


def check_source_url(guard: OutboundGuard, url: str) -> None:
    """Refuse a URL a stream cannot be read from: its shape (400), its scheme (400
    ``UnsupportedStreamSourceException``), or an internal host (400, the guard's errors)."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise InvalidParameterException("url must not hold spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidParameterException(f"url is not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsupportedStreamSourceException(
            f"url must be HLS (http, https), RTMP (rtmp, rtmps), RTSP (rtsp, rtsps) or SRT "
            f"(srt), not {scheme or 'a URL without a scheme'!r}.",
            schemes=list(SCHEMES),
        )
    if not parts.hostname:
        raise InvalidParameterException("url must name a host.")
    if scheme in ("http", "https"):
        guard.check_url(url)
        return
    if parts.username is not None or parts.password is not None:
        raise InvalidParameterException(
            "url must not carry credentials: they would be shown with the stream."
        )
    guard.checked_addresses(parts.hostname, port or DEFAULT_PORTS[scheme])


def decode_video_frames(data: bytes) -> Iterator[av.VideoFrame]:
    """The frames of the first video stream in ``data`` (an HLS segment); a damaged packet is
    skipped; bytes that are no video raise ``SourceLost`` (fatal)."""
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise SourceLost("a segment is not media FFmpeg can read", fatal=True) from exc
    with container:
        if not container.streams.video:
            raise SourceLost("a segment holds no video", fatal=True)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for packet in container.demux(stream):
            try:
                yield from stream.decode(packet)
            except av.error.FFmpegError:
                continue


def ffmpeg_options(url: str, stall_seconds: float) -> dict[str, str]:
    """FFmpeg's options for reading ``url``: read timeouts, and RTSP over TCP. ``timeout``
    means a socket timeout to RTSP and SRT, but to RTMP it is how long to wait for a publisher
    to connect, and it turns the reader into a server listening on the source's address: RTMP
    gets only ``rw_timeout`` (PyAV's read timeout bounds the rest)."""
    micros = str(int(stall_seconds * 1_000_000))
    scheme = url.split(":", 1)[0].lower()
    # A live source arrives at the pace of real time: FFmpeg's default 5 s of probing would
    # hold the first picture (and every event) back by as long.
    options = {"rw_timeout": micros, "analyzeduration": str(PROBE_MICROS)}
    if scheme not in ("rtmp", "rtmps"):
        options["timeout"] = micros
    if scheme in ("rtsp", "rtsps"):
        options["rtsp_transport"] = "tcp"
    return options


def _flushed(stream: av.VideoStream) -> list[av.VideoFrame]:
    """The pictures a decoder still holds at the end of its packets (PyAV leaves their time
    base unset: it is the stream's)."""
    try:
        frames = list(stream.decode(None))
    except av.error.FFmpegError:
        return []
    for frame in frames:
        if frame.time_base is None:
            frame.time_base = stream.time_base
    return frames


class FFmpegSource:
    """RTMP, RTSP or SRT read by FFmpeg from the checked address, with read timeouts. When
    the pictures' time runs more than ``max_lag_seconds`` behind the wall clock (decoding and
    detection did not keep up), packets are read and dropped without decoding until it
    catches up, then decoding resumes at a keyframe (``skipped``)."""

    def __init__(
        self,
        url: str,
        guard: OutboundGuard,
        *,
        max_lag_seconds: float,
        stall_seconds: float,
        stop: threading.Event,
    ) -> None:
        self.url = url
        self.guard = guard
        self.max_lag = max_lag_seconds
        self.stall = stall_seconds
        self.stop = stop

    def frames(self) -> Iterator[SourceFrame]:
        options = ffmpeg_options(self.url, self.stall)
        url = self._connect_url()
        if url.lower().startswith("srt:"):
            yield from self._relayed(url)
            return
        try:
            container = av.open(
                url,
                mode="r",
                options=options,
                timeout=(self.stall, self.stall),
                metadata_errors="ignore",
            )
        except av.error.FFmpegError as exc:
            raise SourceLost(f"the source could not be opened: {exc}") from exc
        with container:
            if not container.streams.video:
                raise SourceLost("the source holds no video", fatal=True)
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            yield from self._read(container, stream)

    def _relayed(self, url: str) -> Iterator[SourceFrame]:
        """SRT, which PyAV's FFmpeg cannot read, through an ``ffmpeg`` relay (``relay.py``):
        the relay's clean exit is the stream's end, a stall or an error its loss."""
        probe = {"analyzeduration": str(PROBE_MICROS)}
        with relayed(url, self.stall, probe) as relay:
            assert relay.container is not None
            if not relay.container.streams.video:
                raise SourceLost("the source holds no video", fatal=True)
            stream = relay.container.streams.video[0]
            stream.thread_type = "AUTO"
            try:
                yield from self._read(relay.container, stream)
            except SourceEnded:
                failure = relay.failure(self.stall)
                if failure is not None:
                    raise SourceLost(f"the source was lost: {failure}") from None
                raise

    def _read(
        self, container: av.container.InputContainer, stream: av.VideoStream
    ) -> Iterator[SourceFrame]:
        wall_start: float | None = None
        media_start: float | None = None
        dropping = skipped = False
        try:
            for packet in container.demux(stream):
                if self.stop.is_set():
                    return
                time_of = float(packet.pts * packet.time_base) if packet.pts is not None else None
                if time_of is not None:
                    if wall_start is None or media_start is None:
                        wall_start, media_start = time.monotonic(), time_of
                    lag = (time.monotonic() - wall_start) - (time_of - media_start)
                    if lag > self.max_lag:
                        dropping = skipped = True
                    elif dropping and packet.is_keyframe and lag < self.max_lag / 2:
                        dropping = False
                if dropping and packet.size:
                    continue
                try:
                    decoded = stream.decode(packet)
                except av.error.FFmpegError:
                    continue
                for frame in decoded:
                    yield SourceFrame(frame, skipped)
                    skipped = False
        except av.error.FFmpegError as exc:
            # The pictures the decoder still holds came before the loss: they are the
            # stream's too.
            yield from (SourceFrame(frame, skipped) for frame in _flushed(stream))
            raise SourceLost(f"the source was lost: {exc}") from exc
        yield from (SourceFrame(frame, skipped) for frame in _flushed(stream))
        raise SourceEnded("the source ended")

    def close(self) -> None:
        return None  # each connection is closed when its frames end

    def _connect_url(self) -> str:
        """The URL with its host replaced by the address the guard checked (TLS schemes keep
        the name, for the certificate)."""
        parts = urlsplit(self.url)
        assert parts.hostname is not None
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS[scheme]
        try:
            address = self.guard.checked_addresses(parts.hostname, port)[0]
        except InvalidParameterException as exc:
            raise SourceLost(f"the source's host was refused: {exc.message}", fatal=True) from exc
        if scheme in TLS_SCHEMES:
            return self.url
        host = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
