"""Which IP addresses modgate refuses to connect to, and how a host turns into addresses.

A tenant-supplied URL must not reach modgate's own network (SSRF): loopback, RFC 1918, the cloud
metadata address 169.254.169.254, CGNAT, unique-local IPv6, and the IPv6 forms that carry an IPv4
address inside (mapped, compatible, 6to4, Teredo, NAT64). ``address_class`` names the class of a
refused address (the name is what an error may show; the address itself is never shown).

Host literals are parsed here, the way ``inet_aton``/``getaddrinfo`` read them (``2130706433``,
``0177.0.0.1``, ``0x7f.1``, ``127.1``), so a numeric host is checked as the address the OS would
connect to and never handed to a resolver that might read it differently.

``parse_allow_list`` reads ``MODGATE_OUTBOUND_ALLOW``, the operator's exceptions to all this.
"""

from __future__ import annotations

import ipaddress
import re

from modgate.errors import SettingsError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _v4(text: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(text)


def _v6(text: str) -> ipaddress.IPv6Network:
    return ipaddress.IPv6Network(text)


# First match wins; the explicit table gives each refusal a readable class, ``is_global`` below
# catches the rest of IANA's special-purpose registry (192.0.0.0/24, 198.18.0.0/15 …).
_IPV4_CLASSES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_v4("0.0.0.0/8"), "unspecified"),
    (_v4("127.0.0.0/8"), "loopback"),
    (_v4("10.0.0.0/8"), "private"),
    (_v4("172.16.0.0/12"), "private"),
    (_v4("192.168.0.0/16"), "private"),
    (_v4("169.254.0.0/16"), "link-local"),
    (_v4("100.64.0.0/10"), "shared (CGNAT)"),
    (_v4("224.0.0.0/4"), "multicast"),
    (_v4("255.255.255.255/32"), "broadcast"),
    (_v4("192.0.2.0/24"), "documentation"),
    (_v4("198.51.100.0/24"), "documentation"),
    (_v4("203.0.113.0/24"), "documentation"),
    (_v4("240.0.0.0/4"), "reserved"),
    (_v4("192.0.0.0/24"), "special-purpose"),  # IETF protocol assignments
    (_v4("198.18.0.0/15"), "special-purpose"),  # benchmarking
)
_IPV6_CLASSES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_v6("::/128"), "unspecified"),
    (_v6("::1/128"), "loopback"),
    (_v6("::ffff:0:0/96"), "ipv4-mapped"),
    (_v6("::/96"), "ipv4-compatible"),
    (_v6("fe80::/10"), "link-local"),
    (_v6("fec0::/10"), "site-local"),
    (_v6("fc00::/7"), "unique-local"),
    (_v6("ff00::/8"), "multicast"),
    (_v6("2001:db8::/32"), "documentation"),
    (_v6("3fff::/20"), "documentation"),
    (_v6("64:ff9b:1::/48"), "nat64"),  # local-use NAT64 (RFC 8215): a private translator
)
_NAT64 = _v6("64:ff9b::/96")
_SIX_TO_FOUR = _v6("2002::/16")
_TEREDO = _v6("2001::/32")


def _ipv4_class(address: ipaddress.IPv4Address) -> str | None:
    for network, name in _IPV4_CLASSES:
        if address in network:
            return name
    return None if address.is_global else "special-purpose"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...] | None:
    """The IPv4 addresses a 6to4, Teredo or NAT64 address leads to; None for other addresses."""
    if address in _SIX_TO_FOUR and address.sixtofour is not None:
        return (address.sixtofour,)
    if address in _TEREDO and address.teredo is not None:
        return address.teredo  # (server, client)
    if address in _NAT64:
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    return None


def _ipv6_class(address: ipaddress.IPv6Address) -> str | None:
    for network, name in _IPV6_CLASSES:
        if address in network:
            return name
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        if any(_ipv4_class(inner) is not None for inner in embedded):
            if address in _SIX_TO_FOUR:
                return "6to4"
            return "teredo" if address in _TEREDO else "nat64"
        return None  # a translation prefix in front of a public IPv4 address
    return None if address.is_global else "special-purpose"


def address_class(address: IPAddress) -> str | None:
    """The class of an address modgate does not connect to (``loopback``, ``private`` …), or
    None for a public address."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_class(address)
    return _ipv6_class(address)


def allow_forms(address: IPAddress) -> tuple[IPAddress, ...]:
    """The address and, for an IPv4-mapped one, the IPv4 address it stands for: allowing
    127.0.0.1 also allows ::ffff:127.0.0.1, which reaches the same socket."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return (address, address.ipv4_mapped)
    return (address,)


_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_OCTAL = re.compile(r"0[0-7]*")
_DECIMAL = re.compile(r"[1-9][0-9]*")


def _number(part: str) -> int | None:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    if _DECIMAL.fullmatch(part):
        return int(part)
    return None


class InvalidNumericHost(ValueError):
    """A host written as numbers that is no IPv4 address (a part out of range)."""


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """BSD ``inet_aton``: 1 to 4 parts, each decimal, octal (0…) or hex (0x…); the last part
    fills the remaining bytes (``127.1`` is 127.0.0.1). None when ``text`` is not numeric."""
    parts = text.split(".")
    if len(parts) > 4:
        return None
    numbers = [_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = [number for number in numbers if number is not None]
    if any(number > 0xFF for number in leading) or last >= 256 ** (4 - len(leading)):
        raise InvalidNumericHost(f"{text!r} is not a valid IPv4 address")
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address a host literal stands for (``[::1]``, ``127.0.0.1``, ``2130706433``,
    ``0x7f.1`` …), or None when the host is a name to resolve.

    Raises ``InvalidNumericHost`` for numbers that are no address (``4294967296``, ``1.256.1.1``).
    """
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if ":" in text:
        return None
    return _inet_aton(text.removesuffix("."))


def is_localhost_name(host: str) -> bool:
    """``localhost`` and its subdomains are loopback whatever a resolver says (RFC 6761)."""
    name = host.lower().removesuffix(".")
    return name == "localhost" or name.endswith(".localhost")


_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
_ALLOW_EXAMPLES = (
    "a CIDR (10.0.0.0/8, fd00::/8), an address (10.1.2.3) or a host name (hooks.internal)"
)


def _allow_entry(entry: str) -> IPNetwork | str:
    """One entry of ``MODGATE_OUTBOUND_ALLOW`` as a network or a lower-case host name."""
    if "://" in entry:
        raise ValueError(f"{entry!r}: give the host name alone, without scheme or path")
    if "/" in entry or ":" in entry or re.fullmatch(r"[0-9.]+", entry):
        try:
            return ipaddress.ip_network(entry)
        except ValueError as exc:
            if "has host bits set" in str(exc):
                network = ipaddress.ip_network(entry, strict=False)
                raise ValueError(f"{entry!r} has host bits set; write {network}") from exc
            raise ValueError(f"{entry!r} is not {_ALLOW_EXAMPLES}") from exc
    name = entry.lower().removesuffix(".")
    if not name.isascii():
        raise ValueError(f"{entry!r}: write an international host name in its xn-- form")
    if not _HOST_NAME.fullmatch(name):
        raise ValueError(f"{entry!r} is not {_ALLOW_EXAMPLES}; list each name, no wildcards")
    return name


def parse_allow_list(text: str) -> tuple[tuple[IPNetwork, ...], frozenset[str]]:
    """``MODGATE_OUTBOUND_ALLOW``: comma-separated entries, blanks ignored. Raises
    ``SettingsError`` naming every bad entry at once."""
    networks: list[IPNetwork] = []
    names: set[str] = set()
    problems: list[str] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            allowed = _allow_entry(entry)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if isinstance(allowed, str):
            names.add(allowed)
        else:
            networks.append(allowed)
    if problems:
        raise SettingsError("MODGATE_OUTBOUND_ALLOW: " + "; ".join(problems), problems=problems)
    return tuple(networks), frozenset(names)
