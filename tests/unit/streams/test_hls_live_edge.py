"""An HLS source read through a client (here httpx's MockTransport): it starts at the live
edge, goes on from the last segment it read, skips to the live edge when more than the lag it
may have piled up (saying so on the first picture after the jump), and treats a playlist that
stops growing as a stalled source."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from modgate.streams.hls import HlsSource
from modgate.streams.source import SourceEnded, SourceLost
from video_corpus import clip_bytes, still

SEGMENT = clip_bytes(
    [still(seed=i) for i in range(4)], fps=4, container="mpegts", codec="mpeg2video"
)


class Live:
    """A playlist whose window the test moves by hand."""

    def __init__(self) -> None:
        self.first, self.count, self.ended = 0, 0, False
        self.fetched: list[int] = []

    def playlist(self) -> str:
        lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:1", f"#EXT-X-MEDIA-SEQUENCE:{self.first}"]
        for index in range(self.first, self.first + self.count):
            lines += ["#EXTINF:1.0,", f"s{index}.ts"]
        if self.ended:
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines)

    def handler(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if name == "live.m3u8":
            return httpx.Response(200, text=self.playlist())
        self.fetched.append(int(name[1:-3]))
        return httpx.Response(200, content=SEGMENT)


def _source(live: Live, lag: float = 2.5, stall: float = 30.0) -> HlsSource:
    client = httpx.Client(transport=httpx.MockTransport(live.handler))
    return HlsSource(
        "http://cam.example/live.m3u8",
        client,
        max_lag_seconds=lag,
        stall_seconds=stall,
        stop=threading.Event(),
    )


def _read(frames: Iterator[object], count: int) -> list[object]:
    return [next(frames) for _ in range(count)]


def test_it_starts_at_the_live_edge_and_skips_to_it_when_behind() -> None:
    live = Live()
    live.count = 10  # ten seconds already published: only the newest ~2.5 s are read
    frames = _source(live).frames()
    first = _read(frames, 8)  # two segments of four pictures
    assert live.fetched == [8, 9]
    assert not any(item.skipped for item in first)  # type: ignore[attr-defined]
    live.count = 20  # ten more while the worker was away: it skips to the newest
    after = _read(frames, 4)
    assert live.fetched == [8, 9, 18]
    assert [item.skipped for item in after] == [True, False, False, False]  # type: ignore[attr-defined]
    live.ended = True
    with pytest.raises(SourceEnded):
        _read(frames, 100)
    assert live.fetched == [8, 9, 18, 19]  # never more than the lag it may have


def test_a_playlist_that_stops_growing_is_a_stalled_source() -> None:
    live = Live()
    live.count = 1
    frames = _source(live, stall=0.3).frames()
    _read(frames, 4)
    with pytest.raises(SourceLost, match="stalled"):
        _read(frames, 1)
