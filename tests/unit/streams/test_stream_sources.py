"""Stream sources: playlists are read as RFC 8216 says, URLs are checked before a stream is
stored (schemes, credentials, internal hosts unless the operator allows them)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from modgate.errors import (
    InvalidParameterException,
    OutboundAddressRefusedException,
    UnsupportedStreamSourceException,
)
from modgate.outbound import OutboundGuard, OutboundPolicy
from modgate.streams.hls import parse_playlist
from modgate.streams.source import SourceLost, check_source_url, ffmpeg_options

MEDIA = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:2.000,
a.ts
#EXTINF:1.500,
https://cdn.example/b.ts
#EXT-X-ENDLIST
"""
MASTER = """#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720
hi/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180
lo/index.m3u8
"""


def test_a_media_playlist_numbers_its_segments_and_resolves_their_urls() -> None:
    playlist = parse_playlist(MEDIA, "https://live.example/cam/index.m3u8")
    assert [(s.sequence, s.duration, s.url) for s in playlist.segments] == [
        (41, 2.0, "https://live.example/cam/a.ts"),
        (42, 1.5, "https://cdn.example/b.ts"),
    ]
    assert playlist.ended and playlist.target_duration == 2.0


def test_a_master_playlist_lists_its_variants() -> None:
    playlist = parse_playlist(MASTER, "https://live.example/cam/master.m3u8")
    assert min(playlist.variants) == (300000, "https://live.example/cam/lo/index.m3u8")


def test_anything_else_is_no_playlist() -> None:
    with pytest.raises(SourceLost, match="not an HLS playlist") as caught:
        parse_playlist("<html>hello</html>", "https://live.example/")
    assert caught.value.fatal


def _resolver(answer: str) -> Any:
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    return resolve


def _guard(allow: str = "", answer: str = "93.184.216.34") -> OutboundGuard:
    return OutboundGuard(OutboundPolicy.parse(allow), _resolver(answer))


@pytest.mark.parametrize(
    "url",
    [
        "https://live.example/cam.m3u8",
        "rtmp://ingest.example/live/key",
        "rtsp://camera.example:8554/stream",
        "srt://relay.example:9000",
    ],
)
def test_public_sources_of_every_scheme_pass(url: str) -> None:
    check_source_url(_guard(), url)


@pytest.mark.parametrize("url", ["ftp://x.example/a.ts", "file:///etc/passwd", "x.m3u8"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedStreamSourceException):
        check_source_url(_guard(), url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/live.m3u8",
        "rtsp://10.0.0.7/stream",
        "rtmp://169.254.169.254/live",
        "srt://[::1]:9000",
    ],
)
def test_internal_hosts_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(OutboundAddressRefusedException):
        check_source_url(_guard(), url)
    check_source_url(_guard("127.0.0.1,10.0.0.0/8,169.254.169.254,::1"), url)


def test_a_name_that_resolves_inside_is_refused() -> None:
    with pytest.raises(OutboundAddressRefusedException):
        check_source_url(_guard(answer="192.168.1.20"), "rtsp://camera.example/stream")


def test_credentials_and_control_characters_are_refused() -> None:
    with pytest.raises(InvalidParameterException):
        check_source_url(_guard(), "rtsp://user:secret@camera.example/stream")
    with pytest.raises(InvalidParameterException):
        check_source_url(_guard(), "https://live.example/a\n.m3u8")


def test_ffmpeg_is_given_the_checked_address_not_the_name() -> None:
    import threading

    from modgate.streams.source import FFmpegSource

    def source(url: str) -> FFmpegSource:
        return FFmpegSource(
            url, _guard(), max_lag_seconds=5, stall_seconds=5, stop=threading.Event()
        )

    assert source("rtsp://camera.example:8554/live?x=1")._connect_url() == (
        "rtsp://93.184.216.34:8554/live?x=1"
    )
    assert source("rtmp://ingest.example/app/key")._connect_url() == (
        "rtmp://93.184.216.34/app/key"
    )
    assert source("rtsps://camera.example/live")._connect_url() == "rtsps://camera.example/live"
    refused = FFmpegSource(
        "rtsp://camera.example/live",
        _guard(answer="10.0.0.5"),
        max_lag_seconds=5,
        stall_seconds=5,
        stop=threading.Event(),
    )
    with pytest.raises(SourceLost, match="refused") as caught:
        refused._connect_url()
    assert caught.value.fatal


def test_an_ffmpeg_source_gives_every_frame_then_ends(tmp_path: Any) -> None:
    import io
    import threading

    import av

    from modgate.streams.source import FFmpegSource, SourceEnded
    from video_corpus import clip_bytes, still

    data = clip_bytes([still(seed=i) for i in range(20)], fps=10)
    source = FFmpegSource(
        "rtsp://camera.example/live", _guard(), max_lag_seconds=5, stall_seconds=5,
        stop=threading.Event(),
    )  # fmt: skip
    frames = []
    with av.open(io.BytesIO(data)) as container, pytest.raises(SourceEnded):
        for item in source._read(container, container.streams.video[0]):
            frames.append(item.frame.time)
    assert len(frames) == 20 and frames == sorted(frames)


def test_ffmpeg_reads_rtmp_as_a_client_with_read_timeouts() -> None:
    # ``timeout`` would make FFmpeg's RTMP reader listen on the source's address as a server.
    rtmp = ffmpeg_options("rtmp://203.0.113.7/live/key", 4.0)
    assert "timeout" not in rtmp and "listen" not in rtmp
    assert rtmp["rw_timeout"] == "4000000"
    rtsp = ffmpeg_options("rtsp://203.0.113.7/cam", 4.0)
    assert (rtsp["timeout"], rtsp["rtsp_transport"]) == ("4000000", "tcp")
    assert ffmpeg_options("srt://203.0.113.7:9000", 1.5)["timeout"] == "1500000"


def test_the_srt_relay_always_calls_out_with_the_stall_time_as_its_timeouts() -> None:
    from urllib.parse import parse_qs, urlsplit

    from modgate.streams.relay import relay_command

    command = relay_command("ffmpeg", "srt://203.0.113.7:9000?mode=listener&streamid=cam", 2.0)
    source = urlsplit(command[command.index("-i") + 1])
    assert (source.hostname, source.port) == ("203.0.113.7", 9000)
    # A URL never makes the worker listen; its other options pass through.
    assert parse_qs(source.query) == {
        "streamid": ["cam"],
        "mode": ["caller"],
        "timeout": ["2000000"],
    }
    assert command[command.index("-rw_timeout") + 1] == "2000000"
    assert command[-3:] == ["-f", "mpegts", "pipe:1"]
