"""The outbound guard refuses every address form that reaches modgate's own network (SSRF), with a
fake resolver: no DNS, no network."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from modgate.errors import (
    InvalidParameterException,
    OutboundAddressRefusedException,
    OutboundHostUnresolvedException,
    OutboundRedirectRefusedException,
    SettingsError,
)
from modgate.outbound.guard import (
    OutboundGuard,
    OutboundPolicy,
    error_class,
    response_error_class,
)
from modgate.settings import load_settings

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


class FakeResolver:
    """``socket.getaddrinfo`` over a dict; answers can be changed between calls."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[tuple[Any, Any, Any, Any, Any]]:
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (address, port, 0, 0) if ":" in address else (address, port),
            )
            for address in self.answers[host]
        ]


NAMES = {
    "localhost": ["127.0.0.1", "::1"],
    "metadata.internal": ["10.0.0.5"],
    "hooks.internal": ["10.20.0.7"],
    "other.internal": ["10.20.0.7"],
    "example.com": [PUBLIC_V4, PUBLIC_V6],
    "half.example.com": [PUBLIC_V4, "192.168.1.10"],
    "rebind.example": [PUBLIC_V4],
}


def guard(allow: str = "", names: dict[str, list[str]] | None = None) -> OutboundGuard:
    return OutboundGuard(OutboundPolicy.parse(allow), FakeResolver(dict(names or NAMES)))


SSRF_MATRIX = [
    ("http://127.0.0.1:8080/admin", "loopback"),
    ("http://127.255.255.254/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://LOCALHOST./", "loopback"),
    ("http://api.localhost/", "loopback"),
    ("http://2130706433/", "loopback"),  # decimal
    ("http://0177.0.0.1/", "loopback"),  # octal
    ("http://017700000001/", "loopback"),  # octal, one part
    ("http://0x7f.1/", "loopback"),  # hex, short
    ("http://0x7f000001/", "loopback"),  # hex, one part
    ("http://127.1/", "loopback"),  # short
    ("http://127.0.0.1./", "loopback"),  # trailing dot
    ("http://0/", "unspecified"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "ipv4-mapped"),
    ("http://[::ffff:7f00:1]/", "ipv4-mapped"),
    ("http://[::ffff:8.8.8.8]/", "ipv4-mapped"),
    ("http://[::127.0.0.1]/", "ipv4-compatible"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://172.31.255.255/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "shared (CGNAT)"),
    ("http://100.127.255.254/", "shared (CGNAT)"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://192.0.2.1/", "documentation"),
    ("http://198.51.100.1/", "documentation"),
    ("http://203.0.113.1/", "documentation"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://192.0.0.8/", "special-purpose"),
    ("http://198.18.0.1/", "special-purpose"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[fd00::1]/", "unique-local"),
    ("http://[fc00::1]/", "unique-local"),
    ("http://[2002:7f00:1::1]/", "6to4"),  # 6to4 of 127.0.0.1
    ("http://[2002:a9fe:a9fe::]/", "6to4"),  # 6to4 of 169.254.169.254
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "teredo"),  # client 127.0.0.1
    ("http://[64:ff9b::7f00:1]/", "nat64"),  # NAT64 of 127.0.0.1
    ("http://[64:ff9b::a9fe:a9fe]/", "nat64"),  # NAT64 of 169.254.169.254
    ("http://[64:ff9b:1::a00:1]/", "nat64"),  # local-use NAT64 prefix
    ("http://metadata.internal/", "private"),  # an internal name
    ("https://half.example.com/", "private"),  # one internal answer is enough
]


@pytest.mark.parametrize(("url", "address_class"), SSRF_MATRIX)
def test_internal_addresses_are_refused_in_every_form(url: str, address_class: str) -> None:
    with pytest.raises(OutboundAddressRefusedException) as refused:
        guard().check_url(url)
    assert refused.value.details == {"address_class": address_class}
    assert refused.value.code == "OutboundAddressRefusedException"
    assert refused.value.http_status == 400


@pytest.mark.parametrize(
    "url",
    [
        f"http://{PUBLIC_V4}/hook",
        "https://example.com/hook",
        f"http://[{PUBLIC_V6}]:8443/",
        "http://[2002:5db8:d822::1]/",  # 6to4 of a public address
        "http://[64:ff9b::5db8:d822]/",  # NAT64 of a public address
        "http://[2001:0:4136:e378:8000:63bf:a247:2bdd]/",  # Teredo, public server and client
        "http://1572395042/",  # decimal form of 93.184.216.34
    ],
)
def test_public_addresses_pass(url: str) -> None:
    assert guard().check_url(url).url == url


def test_target_holds_the_checked_addresses_and_port() -> None:
    target = guard().check_url("https://Example.com/hook")
    assert (target.scheme, target.host, target.port) == ("https", "example.com", 443)
    assert [str(address) for address in target.addresses] == [PUBLIC_V4, PUBLIC_V6]


def test_a_numeric_host_is_never_handed_to_the_resolver() -> None:
    # A resolver that would call every name public cannot rescue a numeric loopback host.
    everything_public = FakeResolver({})
    everything_public.answers = {"2130706433": [PUBLIC_V4], "0x7f.1": [PUBLIC_V4]}
    checker = OutboundGuard(OutboundPolicy(), everything_public)
    for url in ("http://2130706433/", "http://0x7f.1/"):
        with pytest.raises(OutboundAddressRefusedException):
            checker.check_url(url)
    assert everything_public.calls == []


def test_numbers_that_are_no_address_are_refused() -> None:
    for url in ("http://4294967296/", "http://1.256.1.1/"):
        with pytest.raises(InvalidParameterException, match="IPv4 address"):
            guard().check_url(url)


def test_the_refusal_does_not_reveal_the_internal_address() -> None:
    with pytest.raises(OutboundAddressRefusedException) as refused:
        guard().check_url("http://metadata.internal/")
    shown = str(refused.value.to_dict())
    assert "10.0.0.5" not in shown and "metadata.internal" not in shown
    assert "private" in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://user:secret@example.com/",
        "http:///path-only",
        "example.com/hook",
        "http://example.com:0/",
    ],
)
def test_urls_of_the_wrong_shape_are_refused(url: str) -> None:
    with pytest.raises(InvalidParameterException) as refused:
        guard().check_url(url)
    assert refused.value.code == "InvalidParameterException"


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(OutboundHostUnresolvedException) as refused:
        guard().check_url("https://nowhere.invalid/")
    assert refused.value.http_status == 400


# ---- the allow list ---------------------------------------------------------------------------


def test_allow_list_by_cidr() -> None:
    checker = guard("10.0.0.0/8")
    checker.check_url("http://10.1.2.3/")
    checker.check_url("http://metadata.internal/")  # resolves into the network
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://127.0.0.1/")
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://192.168.1.1/")


def test_allowed_address_in_any_written_form() -> None:
    checker = guard("127.0.0.1")
    for url in ("http://127.0.0.1/", "http://2130706433/", "http://[::ffff:127.0.0.1]/"):
        checker.check_url(url)
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://127.0.0.2/")
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://[::1]/")


def test_allow_list_by_ipv6_cidr() -> None:
    checker = guard("fd00:1::/64")
    checker.check_url("http://[fd00:1::7]/")
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://[fd00:2::7]/")


def test_allow_list_by_host_name() -> None:
    checker = guard("Hooks.Internal.")
    assert checker.check_url("https://hooks.internal/events").host == "hooks.internal"
    # The same address under another name, or written as an address, is still refused.
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("https://other.internal/")
    with pytest.raises(OutboundAddressRefusedException):
        checker.check_url("http://10.20.0.7/")


def test_allowing_localhost_by_name() -> None:
    guard("localhost").check_url("http://localhost:8080/")


def test_allow_list_parsing_normalises_entries() -> None:
    policy = OutboundPolicy.parse(" 10.0.0.0/8 , Hooks.Internal. ,, fd00::/8, 192.168.1.5 ,")
    assert [str(network) for network in policy.networks] == [
        "10.0.0.0/8",
        "fd00::/8",
        "192.168.1.5/32",
    ]
    assert policy.host_names == {"hooks.internal"}
    assert OutboundPolicy.parse("") == OutboundPolicy()


@pytest.mark.parametrize(
    ("entry", "hint"),
    [
        ("10.0.0.1/8", "write 10.0.0.0/8"),
        ("10.0.0.0/33", "is not a CIDR"),
        ("300.1.1.1", "is not a CIDR"),
        ("https://hooks.internal", "without scheme"),
        ("*.internal", "no wildcards"),
        ("hooks internal", "is not a CIDR"),
        ("bücher.de", "xn--"),
    ],
)
def test_bad_allow_entries_are_named_with_the_fix(entry: str, hint: str) -> None:
    with pytest.raises(SettingsError) as refused:
        OutboundPolicy.parse(f"10.0.0.0/8,{entry}")
    assert "MODGATE_OUTBOUND_ALLOW" in refused.value.message
    assert repr(entry) in refused.value.message and hint in refused.value.message


def test_every_bad_entry_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        OutboundPolicy.parse("10.0.0.1/8,*.x")
    assert "'10.0.0.1/8'" in refused.value.message and "'*.x'" in refused.value.message


def test_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().outbound_allow == ""
    assert OutboundPolicy.from_settings(load_settings()) == OutboundPolicy()
    monkeypatch.setenv("MODGATE_OUTBOUND_ALLOW", "10.0.0.0/8,hooks.internal")
    policy = OutboundPolicy.from_settings(load_settings())
    assert policy.host_names == {"hooks.internal"}
    OutboundGuard(policy, FakeResolver(NAMES)).check_url("http://10.9.9.9/")


def test_a_bad_setting_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_OUTBOUND_ALLOW", "10.0.0.1/8")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "MODGATE_OUTBOUND_ALLOW" in refused.value.message
    assert "write 10.0.0.0/8" in refused.value.message


# ---- connections and error classes ----------------------------------------------------------


def test_rebinding_is_refused_at_connect_time_without_connecting() -> None:
    resolver = FakeResolver({"rebind.example": [PUBLIC_V4]})
    checker = OutboundGuard(OutboundPolicy(), resolver)
    checker.check_url("http://rebind.example/hook")  # public when registered
    resolver.answers["rebind.example"] = ["127.0.0.1"]  # loopback when used
    with checker.client(timeout=1) as client, pytest.raises(OutboundAddressRefusedException):
        client.post("http://rebind.example/hook", content=b"{}")
    assert resolver.calls == ["rebind.example", "rebind.example"]


def _raised_from(outer: type[Exception], inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer("failed") from exc
    except Exception as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (OutboundAddressRefusedException(address_class="loopback"), "address_refused"),
        (OutboundHostUnresolvedException(), "unresolved"),
        (OutboundRedirectRefusedException(status_code=302), "redirect_refused"),
        (InvalidParameterException("bad url"), "url_invalid"),
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (_raised_from(httpx.ConnectError, ConnectionRefusedError(111, "no")), "connect_refused"),
        (_raised_from(httpx.ConnectError, OSError(113, "No route to host")), "connect_failed"),
        (_raised_from(httpx.ConnectError, ssl.SSLCertVerificationError("bad cert")), "tls"),
        (httpx.ReadError("reset"), "connection_lost"),
        (httpx.RemoteProtocolError("not http"), "protocol_error"),
        (RuntimeError("surprise"), "request_failed"),
    ],
)
def test_error_classes(exc: Exception, expected: str) -> None:
    assert error_class(exc) == expected


def test_http_status_error_classes() -> None:
    request = httpx.Request("POST", "https://example.com/")
    failed = httpx.Response(503, request=request)
    assert error_class(httpx.HTTPStatusError("503", request=request, response=failed)) == "http_503"
    assert response_error_class(httpx.Response(204)) is None
    assert response_error_class(httpx.Response(302)) == "redirect_refused"
    assert response_error_class(httpx.Response(404)) == "http_404"
