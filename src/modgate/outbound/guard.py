"""The one guard for every outbound connection modgate makes (webhooks; later stream sources, URL
sources and remote model backends).

A URL a tenant registers must not become a way into modgate's own network (SSRF): a webhook to
``http://169.254.169.254/`` or to an internal name would otherwise be fetched by the server and its
answer shown back in the delivery log. So:

* ``OutboundGuard.check_url`` refuses, when a URL is registered, any URL whose host is or resolves
  to an internal address (see ``outbound_addresses``) unless ``MODGATE_OUTBOUND_ALLOW`` lists the
  address or the host name;
* ``OutboundGuard.client`` / ``guarded_client`` is an ``httpx.Client`` whose connections resolve
  the host once, check every answer, and connect to the checked address itself: a name that
  answers with a public address at registration and 127.0.0.1 later (DNS rebinding) is refused at
  connect time. The Host header, TLS SNI and certificate checks still use the URL's host name.
  Redirects are refused, never followed;
* ``error_class`` / ``request_outcome`` turn what happened into a short stable string
  (``timeout``, ``http_503`` …), so callers store a status code and that string, never a body.

Environment proxies and ``.netrc`` are ignored: a proxy would resolve names where we cannot check.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import AfterValidator

from modgate.errors import (
    InvalidParameterException,
    OutboundAddressRefusedException,
    OutboundHostUnresolvedException,
    OutboundRedirectRefusedException,
    SettingsError,
)
from modgate.outbound.addresses import (
    InvalidNumericHost,
    IPAddress,
    IPNetwork,
    address_class,
    allow_forms,
    is_localhost_name,
    literal_address,
    parse_allow_list,
)

if TYPE_CHECKING:  # settings.py imports this module for the validator below
    from modgate.settings import Settings

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]]
"""``socket.getaddrinfo``'s shape: ``(host, port) -> [(family, type, proto, canonname,
sockaddr)]``; tests pass a fake that changes its answers."""

ERROR_CLASSES = (
    "address_refused",  # the host is or resolves to an internal address
    "unresolved",  # the host name does not resolve
    "redirect_refused",  # the server answered 3xx
    "connect_refused",  # nothing listens on the port
    "connect_failed",  # unreachable network or host
    "timeout",  # connect, send or answer took longer than the timeout
    "tls",  # handshake or certificate check failed
    "connection_lost",  # the connection broke while sending or reading
    "protocol_error",  # the answer was not HTTP
    "url_invalid",  # the URL cannot be requested
    "request_failed",  # anything else
)
"""The stable error classes; besides these, ``http_<status>`` for an answer outside 2xx/3xx."""


@dataclass(frozen=True)
class OutboundPolicy:
    """What modgate may connect to beyond public addresses: ``MODGATE_OUTBOUND_ALLOW``."""

    networks: tuple[IPNetwork, ...] = ()
    host_names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> OutboundPolicy:
        """Comma-separated CIDRs (``10.0.0.0/8``, ``fd00::/8``, a bare address) and host names
        (``hooks.internal``); raises ``SettingsError`` listing every bad entry."""
        networks, host_names = parse_allow_list(text)
        return cls(networks, host_names)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls.parse(settings.outbound_allow)

    def allows_host(self, host: str) -> bool:
        return host.lower().removesuffix(".") in self.host_names

    def allows_address(self, address: IPAddress) -> bool:
        return any(form in network for form in allow_forms(address) for network in self.networks)


def _validated_allow_list(text: str) -> str:
    try:
        OutboundPolicy.parse(text)
    except SettingsError as exc:  # pydantic names the variable itself
        raise ValueError("; ".join(exc.details["problems"])) from exc
    return text


OutboundAllowList = Annotated[str, AfterValidator(_validated_allow_list)]
"""The type of the ``outbound_allow`` setting: a string refused at start-up when an entry is bad."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the guard, with the addresses its host had when it was checked."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


DEFAULT_PORTS = {"http": 80, "https": 443}
_URL_PROBLEM = "url must be an absolute http:// or https:// URL"


class OutboundGuard:
    """The outbound policy and the resolver it checks names with; one per process."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver = socket.getaddrinfo) -> None:
        self.policy = policy
        self.resolver = resolver

    def check_url(self, url: str) -> Target:
        """Refuse a URL modgate must not request (raises ``InvalidParameterException`` for its
        shape, ``OutboundAddressRefusedException`` / ``OutboundHostUnresolvedException`` for its
        host); otherwise the checked ``Target``."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            self._refuse_internal_literal(url)  # say why 0177.0.0.1 is refused, not only that
            raise InvalidParameterException(f"{_URL_PROBLEM}: {exc}.") from exc
        if parsed.scheme not in ("http", "https") or not parsed.raw_host:
            raise InvalidParameterException(f"{_URL_PROBLEM}.")
        if parsed.userinfo:
            raise InvalidParameterException(f"{_URL_PROBLEM} without credentials.")
        port = parsed.port if parsed.port is not None else DEFAULT_PORTS[parsed.scheme]
        if port == 0:
            raise InvalidParameterException(f"{_URL_PROBLEM}: port 0 cannot be connected to.")
        host = parsed.raw_host.decode("ascii")
        addresses = self.checked_addresses(host, port)
        return Target(url=url, scheme=parsed.scheme, host=host, port=port, addresses=addresses)

    def _refuse_internal_literal(self, url: str) -> None:
        """httpx refuses some numeric hosts (``0177.0.0.1``) that ``inet_aton`` accepts; when
        such a host is internal, the refusal names its class."""
        try:
            host = urlsplit(url).hostname or ""
            literal = literal_address(host)
        except (ValueError, InvalidNumericHost):
            return
        if literal is not None:
            self.checked_addresses(str(literal), 0)

    def checked_addresses(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """Resolve ``host`` once and return its addresses when the policy lets modgate connect
        to all of them; one internal answer refuses the host."""
        if is_localhost_name(host) and not self.policy.allows_host(host):
            raise OutboundAddressRefusedException(address_class="loopback")
        addresses = self.resolve(host, port)
        if self.policy.allows_host(host):
            return addresses
        for address in addresses:
            refused = address_class(address)
            if refused is not None and not self.policy.allows_address(address):
                raise OutboundAddressRefusedException(address_class=refused)
        return addresses

    def resolve(self, host: str, port: int) -> tuple[IPAddress, ...]:
        """A literal's own address, or the resolver's answers (IPv4 and IPv6, in its order)."""
        try:
            literal = literal_address(host)
        except InvalidNumericHost as exc:
            raise InvalidParameterException(f"{_URL_PROBLEM}: {exc}.") from exc
        if literal is not None:
            return (literal,)
        try:
            answers = self.resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise OutboundHostUnresolvedException() from exc
        addresses = dict.fromkeys(
            literal_address(str(sockaddr[0]))
            for family, _type, _proto, _name, sockaddr in answers
            if family in (socket.AF_INET, socket.AF_INET6)
        )
        found = tuple(address for address in addresses if address is not None)
        if not found:
            raise OutboundHostUnresolvedException()
        return found

    def client(self, timeout: float, verify: ssl.SSLContext | bool = True) -> httpx.Client:
        """An ``httpx.Client`` whose every connection goes through this guard."""
        return httpx.Client(
            transport=GuardedTransport(self, verify=verify),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        )


def guarded_client(
    policy: OutboundPolicy,
    timeout: float,
    *,
    resolver: Resolver = socket.getaddrinfo,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An ``httpx.Client`` that connects only where ``policy`` allows; see ``OutboundGuard``."""
    return OutboundGuard(policy, resolver).client(timeout, verify=verify)


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore asks its backend for a TCP stream to (host, port); this one resolves and checks
    the host, then connects to the checked address. TLS is started afterwards by httpcore with
    the URL's host name as SNI and for certificate matching."""

    def __init__(self, guard: OutboundGuard) -> None:
        self.guard = guard
        self.sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or ())
        failure: httpcore.ConnectError | None = None
        for address in self.guard.checked_addresses(host, port):
            try:
                return self.sockets.connect_tcp(str(address), port, timeout, local_address, options)
            except httpcore.ConnectError as exc:  # try the next address, as getaddrinfo users do
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty tuple
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not outbound connections")

    def sleep(self, seconds: float) -> None:
        self.sockets.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` with a guarded connection pool; a 3xx answer raises
    ``OutboundRedirectRefusedException`` (whatever ``follow_redirects`` says)."""

    def __init__(self, guard: OutboundGuard, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        ssl_context = (
            verify
            if isinstance(verify, ssl.SSLContext)
            else httpx.create_ssl_context(verify=verify, trust_env=False)
        )
        # httpx builds its pool with the default backend; ours replaces it, with httpx's
        # default limits. The rebinding and Host-header tests pin that this takes effect.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(guard),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if 300 <= response.status_code < 400:
            response.close()
            raise OutboundRedirectRefusedException(status_code=response.status_code)
        return response


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def error_class(exc: BaseException) -> str:
    """The stable class (one of ``ERROR_CLASSES`` or ``http_<status>``) of a failed request."""
    if isinstance(exc, OutboundAddressRefusedException):
        return "address_refused"
    if isinstance(exc, OutboundHostUnresolvedException):
        return "unresolved"
    if isinstance(exc, OutboundRedirectRefusedException):
        return "redirect_refused"
    if isinstance(exc, httpx.HTTPStatusError):
        return response_error_class(exc.response) or "request_failed"
    if isinstance(exc, InvalidParameterException | httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "url_invalid"
    causes = list(_causes(exc))
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return "tls"
    if isinstance(exc, httpx.TimeoutException) or any(
        isinstance(cause, TimeoutError) for cause in causes
    ):
        return "timeout"
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "connect_refused"
    if isinstance(exc, httpx.ConnectError):
        return "connect_failed"
    if isinstance(exc, httpx.NetworkError | ConnectionError):
        return "connection_lost"
    if isinstance(exc, httpx.ProtocolError):
        return "protocol_error"
    return "request_failed"


def response_error_class(response: httpx.Response) -> str | None:
    """None for a 2xx answer; ``redirect_refused`` for 3xx; ``http_<status>`` otherwise."""
    if 200 <= response.status_code < 300:
        return None
    if 300 <= response.status_code < 400:
        return "redirect_refused"
    return f"http_{response.status_code}"


@dataclass(frozen=True)
class Outcome:
    """What a log may keep of one request: the status code (when an answer came) and the error
    class (None on success). Never the answer's body."""

    status_code: int | None
    error_class: str | None

    @property
    def ok(self) -> bool:
        return self.error_class is None


def request_outcome(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Outcome:
    """Send one request and report its ``Outcome``; the answer's body is not read. Failures are
    reported, not raised: whatever stopped the request, this try failed."""
    try:
        with client.stream(method, url, content=content, headers=headers) as response:
            return Outcome(response.status_code, response_error_class(response))
    except Exception as exc:  # noqa: BLE001 - see the docstring
        failure = error_class(exc)
        if failure == "request_failed":
            logger.warning("outbound %s request failed unexpectedly", method, exc_info=True)
        status = None
        if isinstance(exc, OutboundRedirectRefusedException):
            status = exc.details.get("status_code")
        return Outcome(status, failure)
