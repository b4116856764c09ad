"""The outbound guard against real HTTP servers on 127.0.0.1: refused by default, reached when
allowed, with the URL's Host header and TLS name; no redirect followed; rebinding refused before
any connection. Names resolve through a fake resolver (or /etc/hosts for localhost): no internet."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modgate.errors import OutboundAddressRefusedException, OutboundRedirectRefusedException
from modgate.outbound.guard import (
    OutboundGuard,
    OutboundPolicy,
    Outcome,
    guarded_client,
    request_outcome,
)


class Server:
    """An HTTP server on 127.0.0.1 that counts TCP connections and records each request.
    ``/redirect`` answers 302 to ``/target``; ``/hang`` answers only when the test ends."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.connections = 0
        self.requests: list[dict[str, str]] = []
        self.server_names: list[str | None] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "host": self.headers["Host"]})
                if self.path == "/hang":
                    outer.release.wait(10)
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", f"{outer.base}/target")
                else:
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        class CountingServer(ThreadingHTTPServer):
            def verify_request(self, request: Any, client_address: Any) -> bool:
                outer.connections += 1
                return True

        self.server = CountingServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


class Names:
    """A resolver for test names, all answering 127.0.0.1 unless told otherwise."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[tuple[Any, Any, Any, Any, Any]]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in self.answers[host]
        ]


def test_a_local_server_is_refused_by_default(server: Server) -> None:
    with guarded_client(OutboundPolicy(), timeout=5) as client:
        with pytest.raises(OutboundAddressRefusedException):
            client.post(f"{server.base}/hook", content=b"{}")
        outcome = request_outcome(client, "POST", f"{server.base}/hook", content=b"{}")
    assert outcome == Outcome(status_code=None, error_class="address_refused")
    assert server.connections == 0


def test_an_allowed_cidr_is_reached_with_its_host_header(server: Server) -> None:
    with guarded_client(OutboundPolicy.parse("127.0.0.1/32"), timeout=5) as client:
        outcome = request_outcome(client, "POST", f"{server.base}/hook", content=b"{}")
    assert outcome == Outcome(status_code=204, error_class=None) and outcome.ok
    assert server.requests == [{"path": "/hook", "host": f"127.0.0.1:{server.port}"}]


def test_allowed_localhost_is_reached_through_the_system_resolver(server: Server) -> None:
    # localhost may answer ::1 first; nothing listens there, so the next checked address is used.
    with guarded_client(OutboundPolicy.parse("localhost"), timeout=5) as client:
        response = client.post(f"http://localhost:{server.port}/hook", content=b"{}")
    assert response.status_code == 204
    assert server.requests == [{"path": "/hook", "host": f"localhost:{server.port}"}]


def test_the_checked_address_is_connected_to_under_the_urls_host_name(server: Server) -> None:
    names = Names({"hooks.internal": ["127.0.0.1"]})
    checker = OutboundGuard(OutboundPolicy.parse("hooks.internal"), names)
    url = f"http://hooks.internal:{server.port}/hook"
    checker.check_url(url)
    with checker.client(timeout=5) as client:
        assert client.post(url, content=b"{}").status_code == 204
    assert server.requests == [{"path": "/hook", "host": f"hooks.internal:{server.port}"}]
    assert names.calls == ["hooks.internal", "hooks.internal"]  # registration, then connection


def test_dns_rebinding_is_refused_before_any_connection(server: Server) -> None:
    names = Names({"rebind.example": ["93.184.216.34"]})
    checker = OutboundGuard(OutboundPolicy(), names)
    url = f"http://rebind.example:{server.port}/hook"
    checker.check_url(url)  # public when the webhook is registered
    names.answers["rebind.example"] = ["127.0.0.1"]  # the local server when it is delivered
    with checker.client(timeout=5) as client:
        outcome = request_outcome(client, "POST", url, content=b"{}")
    assert outcome == Outcome(status_code=None, error_class="address_refused")
    assert server.connections == 0 and server.requests == []


def test_a_redirect_is_refused_and_its_target_never_contacted(server: Server) -> None:
    with guarded_client(OutboundPolicy.parse("127.0.0.0/8"), timeout=5) as client:
        outcome = request_outcome(client, "POST", f"{server.base}/redirect", content=b"{}")
        # Asking httpx to follow does not get around the guard either.
        with pytest.raises(OutboundRedirectRefusedException):
            client.post(f"{server.base}/redirect", content=b"{}", follow_redirects=True)
    assert outcome == Outcome(status_code=302, error_class="redirect_refused")
    assert [request["path"] for request in server.requests] == ["/redirect", "/redirect"]


def test_a_server_that_does_not_answer_is_a_timeout(server: Server) -> None:
    with guarded_client(OutboundPolicy.parse("127.0.0.1"), timeout=0.3) as client:
        outcome = request_outcome(client, "POST", f"{server.base}/hang", content=b"{}")
    assert outcome == Outcome(status_code=None, error_class="timeout")


def test_a_closed_port_is_connect_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with guarded_client(OutboundPolicy.parse("127.0.0.1"), timeout=2) as client:
        outcome = request_outcome(client, "POST", f"http://127.0.0.1:{port}/", content=b"{}")
    assert outcome == Outcome(status_code=None, error_class="connect_refused")


# ---- TLS: SNI and the certificate check use the URL's host name -----------------------------


def _certificate(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for ``name`` and a client context that
    trusts only that certificate."""
    x509 = pytest.importorskip("cryptography.x509")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_context = ssl.create_default_context(cadata=cert_pem.decode())
    return server_context, client_context


def test_tls_uses_the_urls_host_name_for_sni_and_the_certificate(tmp_path: Path) -> None:
    server_context, client_context = _certificate(tmp_path, "hooks.internal")
    tls_server = Server(tls=server_context)
    try:
        names = Names({"hooks.internal": ["127.0.0.1"], "wrong.internal": ["127.0.0.1"]})
        policy = OutboundPolicy.parse("hooks.internal,wrong.internal")
        with guarded_client(policy, 5, resolver=names, verify=client_context) as client:
            good = request_outcome(client, "POST", f"https://hooks.internal:{tls_server.port}/")
            bad = request_outcome(client, "POST", f"https://wrong.internal:{tls_server.port}/")
    finally:
        tls_server.close()
    assert good == Outcome(status_code=204, error_class=None)
    assert tls_server.requests == [{"path": "/", "host": f"hooks.internal:{tls_server.port}"}]
    assert tls_server.server_names[0] == "hooks.internal"
    assert bad == Outcome(status_code=None, error_class="tls")
