"""A live RTSP source made in the test: a small RTSP server on 127.0.0.1 (RFC 2326 over TCP,
RTP interleaved on the connection, H.264 packetized as RFC 6184 says) that plays a generated
clip (``live_ffmpeg.write_clip``) to the client at the pace of real time from its PLAY.

Enough of RTSP for FFmpeg's client: OPTIONS, DESCRIBE (an SDP with the clip's parameter sets),
SETUP (TCP interleaved only), PLAY, TEARDOWN. ``stall()`` stops sending and keeps the
connection open; after the clip the connection closes.
"""

from __future__ import annotations

import base64
import socket
import socketserver
import struct
import threading
import time
from pathlib import Path

import av

from servers import free_port

MTU = 1400


def _nal_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit (start codes removed)."""
    units, start, index = [], None, 0
    while index < len(data) - 2:
        if data[index : index + 3] == b"\x00\x00\x01":
            if start is not None:
                units.append(data[start:index].rstrip(b"\x00"))
            start = index = index + 3
            continue
        index += 1
    if start is not None:
        units.append(data[start:])
    return [unit for unit in units if unit]


def _payloads(unit: bytes) -> list[bytes]:
    """RTP payloads of one NAL unit: itself, or FU-A fragments when it is large."""
    if len(unit) <= MTU:
        return [unit]
    indicator = (unit[0] & 0xE0) | 28
    kind, body = unit[0] & 0x1F, unit[1:]
    chunks = [body[i : i + MTU] for i in range(0, len(body), MTU)]
    out = []
    for number, chunk in enumerate(chunks):
        header = kind | (0x80 if number == 0 else 0) | (0x40 if number == len(chunks) - 1 else 0)
        out.append(bytes([indicator, header]) + chunk)
    return out


class LiveRtsp:
    """``clip`` played live at ``url`` to each client that connects."""

    def __init__(self, clip: Path) -> None:
        container = av.open(str(clip))
        stream = container.streams.video[0]
        self.frames: list[tuple[float, list[bytes]]] = []
        for packet in container.demux(stream):
            if packet.pts is not None and packet.size:
                units = _nal_units(bytes(packet))
                self.frames.append((float(packet.pts * packet.time_base), units))
        container.close()
        first = self.frames[0][0]
        self.frames = [(at - first, units) for at, units in self.frames]
        units = self.frames[0][1]
        sps = next(u for u in units if u[0] & 0x1F == 7)
        pps = next(u for u in units if u[0] & 0x1F == 8)
        self.sprop = ",".join(base64.b64encode(u).decode() for u in (sps, pps))
        self.profile = sps[1:4].hex()
        self.port = free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/live/cam"
        self.log = clip.with_suffix(".rtsp.log")  # the requests served, for failures
        self.log.write_text("")
        self.stalled = threading.Event()
        self.closing = threading.Event()
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request, self.rfile)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True

    def __enter__(self) -> LiveRtsp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()

    def stall(self) -> None:
        self.stalled.set()

    def _sdp(self) -> str:
        return (
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=modgate test\r\nt=0 0\r\n"
            "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
            f"a=fmtp:96 packetization-mode=1;profile-level-id={self.profile};"
            f"sprop-parameter-sets={self.sprop}\r\na=control:track1\r\n"
        )

    def _serve(self, sock: socket.socket, reader: object) -> None:
        rfile = reader  # a buffered reader over the connection
        while not self.closing.is_set():
            request = self._request(rfile)
            if request is None:
                return
            method, url, headers = request
            with self.log.open("a") as log:
                log.write(f"{time.monotonic():.2f} {method} {url}\n")
            reply = [f"CSeq: {headers.get('cseq', '0')}"]
            body = b""
            if method == "OPTIONS":
                reply.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
            elif method == "DESCRIBE":
                body = self._sdp().encode()
                reply += [f"Content-Base: {self.url}/", "Content-Type: application/sdp"]
            elif method == "SETUP":
                if "interleaved" not in headers.get("transport", ""):
                    sock.sendall(b"RTSP/1.0 461 Unsupported Transport\r\n" + _end(reply))
                    continue
                reply += ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1", "Session: 1"]
            elif method == "PLAY":
                reply += ["Session: 1", "Range: npt=0.000-"]
                sock.sendall(b"RTSP/1.0 200 OK\r\n" + _end(reply))
                self._play(sock)
                return
            elif method == "TEARDOWN":
                sock.sendall(b"RTSP/1.0 200 OK\r\n" + _end(reply))
                return
            if body:
                reply.append(f"Content-Length: {len(body)}")
            sock.sendall(b"RTSP/1.0 200 OK\r\n" + _end(reply) + body)

    @staticmethod
    def _request(rfile: object) -> tuple[str, str, dict[str, str]] | None:
        line = rfile.readline()  # type: ignore[attr-defined]
        while line in (b"\r\n", b"\n"):
            line = rfile.readline()  # type: ignore[attr-defined]
        if not line:
            return None
        method, url, _ = line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (header := rfile.readline().decode().strip()) != "":  # type: ignore[attr-defined]
            name, _, value = header.partition(":")
            headers[name.strip().lower()] = value.strip()
        if int(headers.get("content-length", "0")):
            rfile.read(int(headers["content-length"]))  # type: ignore[attr-defined]
        return method, url, headers

    def _play(self, sock: socket.socket) -> None:
        start = time.monotonic()
        sequence = 0
        for at, units in self.frames:
            if self.closing.wait(max(0.0, start + at - time.monotonic())):
                return
            while self.stalled.is_set():  # the connection stays open, nothing comes
                if self.closing.wait(0.1):
                    return
            stamp = int(at * 90000) & 0xFFFFFFFF
            payloads = [p for unit in units for p in _payloads(unit)]
            for number, payload in enumerate(payloads):
                marker = 0x80 if number == len(payloads) - 1 else 0
                header = struct.pack("!BBHII", 0x80, marker | 96, sequence & 0xFFFF, stamp, 1)
                sequence += 1
                packet = header + payload
                try:
                    sock.sendall(b"$\x00" + struct.pack("!H", len(packet)) + packet)
                except OSError:
                    return


def _end(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
