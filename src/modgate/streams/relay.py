"""SRT through the system's ``ffmpeg``: the FFmpeg built into PyAV's wheels has no SRT
protocol (no libsrt), so an ``ffmpeg`` process connects to the checked address and passes the
stream's video on, unchanged, as MPEG-TS on a pipe that PyAV decodes.

The relay is always the caller (``mode`` in the URL is replaced: a source never makes the
worker listen), with the stall time as its connect and read timeout, so a stalled source ends
the relay, and with it the pipe. Its exit tells the stream's end (0) from a loss (its error).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import av

from modgate.streams.source_errors import SourceLost

PROBE_MICROS = 1_000_000


def relay_command(ffmpeg: str, url: str, stall_seconds: float) -> list[str]:
    """The ``ffmpeg`` command that reads ``url`` (SRT, host already the checked address) and
    writes its first video stream to stdout as MPEG-TS."""
    micros = str(int(stall_seconds * 1_000_000))
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in ("mode", "timeout")]
    query += [("mode", "caller"), ("timeout", micros)]
    source = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
    return [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-rw_timeout",
        micros,
        "-analyzeduration",  # as PyAV's reading: a live source is not probed for 5 s
        str(PROBE_MICROS),
        "-i",
        source,
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-flush_packets",  # each packet now, not 32 KB later: the pipe is live
        "1",
        "-f",
        "mpegts",
        "pipe:1",
    ]


@dataclass
class Relay:
    """A running relay: PyAV's ``container`` over its pipe."""

    process: subprocess.Popen[bytes]
    errors: IO[bytes]
    container: av.container.InputContainer | None = None

    def failure(self, wait_seconds: float) -> str | None:
        """Why the relay stopped (its last error), or None when the stream ended: SRT says a
        closed connection as ``Input/output error`` (the publisher's end, or its drop) and a
        read that timed out as ``Connection timed out`` (a stall), both exiting with 0."""
        try:
            code = self.process.wait(wait_seconds)
        except subprocess.TimeoutExpired:
            return None
        self.errors.seek(0)
        lines = self.errors.read().decode(errors="replace").strip().splitlines()
        last = lines[-1].rsplit(": ", 1)[-1] if lines else f"ffmpeg exited with {code}"
        if code != 0 or "timed out" in last.lower():
            return last
        return None


@contextmanager
def relayed(url: str, stall_seconds: float, options: dict[str, str]) -> Iterator[Relay]:
    """``url`` read through an ``ffmpeg`` relay; the relay is ended on exit."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise SourceLost(
            "reading SRT needs ffmpeg (with SRT) installed where the worker runs", fatal=True
        )
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            relay_command(ffmpeg, url, stall_seconds),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            bufsize=0,  # each read returns what came: a buffered pipe waits for 32 KB
            stderr=errors,
        )
        relay = Relay(process, errors)
        try:
            assert process.stdout is not None
            try:
                relay.container = av.open(
                    process.stdout,
                    mode="r",
                    format="mpegts",
                    options=options,
                    metadata_errors="ignore",
                )
            except av.error.FFmpegError as exc:
                reason = relay.failure(stall_seconds) or str(exc)
                raise SourceLost(f"the source could not be opened: {reason}") from exc
            with relay.container:
                yield relay
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
