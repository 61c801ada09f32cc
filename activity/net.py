"""Sending a webhook delivery to a public address only (no SSRF).

The URL's host is resolved once; every address it resolves to must be public, whichever
way it was written (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``, ``[::1]``,
``[::ffff:127.0.0.1]``... all reach the resolver, which reads them as the address they
are). The connection then goes to an address that was checked, never to the name again
(a second lookup could answer differently: DNS rebinding), with the name in the Host
header and in TLS's SNI and certificate check. Redirects are not followed.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
RESPONSE_EXCERPT_BYTES = 2_000


class AddressRefused(ValueError):
    """The URL may not be called: a message for the person who gave it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    duration_ms: int


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo), which reach them."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    # IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::/96) addresses.
    packed = ip.packed
    if packed[:12] == bytes(12) or packed[:12] == bytes.fromhex("0064ff9b0000000000000000"):
        found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def is_public(ip: IPAddress) -> bool:
    """Whether ``ip`` is an ordinary public address: not private, loopback, link-local,
    multicast, reserved, unspecified or shared (100.64/10), and, for IPv6, not one that
    carries such an IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return False
        if any(not is_public(inner) for inner in _embedded_ipv4(ip)):
            return False
        if ip.is_site_local:
            return False
    return bool(
        ip.is_global
        and not ip.is_private
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_unspecified
    )


def _allowed_hosts() -> set[str]:
    return {h.strip().lower().strip("[]") for h in settings.CRIT_WEBHOOK_ALLOWED_HOSTS if h}


def url_parts(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a webhook URL; AddressRefused if it is not
    a plain http or https URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("That is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressRefused("Only http:// and https:// addresses can receive webhooks.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("The URL needs a host name.")
    try:  # an international name, as DNS and the Host header spell it
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise AddressRefused("That host name is not valid.") from exc
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("Leave the user name and password out of the URL.")
    if port == 0:
        raise AddressRefused("That is not a valid port.")
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """Check ``url`` and resolve its host. Raises AddressRefused unless it is http(s) and
    every address the host resolves to is public, or the host is one of
    CRIT_WEBHOOK_ALLOWED_HOSTS."""
    scheme, host, port, path = url_parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"The host “{host}” could not be found.") from exc
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused(f"The host “{host}” could not be found.")
    if host.lower() not in _allowed_hosts():
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if "%" in address or not is_public(ip):
                raise AddressRefused(
                    "Webhooks can only be sent to public addresses; "
                    f"“{host}” is a private, local or reserved address."
                )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, with the host's name for SNI and the certificate."""

    def __init__(
        self, address: str, *, server_name: str, context: ssl.SSLContext, **kwargs
    ) -> None:
        super().__init__(address, context=context, **kwargs)
        self._server_name = server_name
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST ``body`` to the first of the target's checked addresses that answers. Raises
    OSError (http.client.HTTPException included) when none can be reached or the answer
    is not HTTP."""
    timeout = settings.CRIT_WEBHOOK_TIMEOUT
    last_error: OSError | None = None
    for address in target.addresses:
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(
                address,
                server_name=target.host,
                port=target.port,
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(address, port=target.port, timeout=timeout)
        started = time.monotonic()
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={**headers, "Host": _host_header(target)},
            )
            answer = connection.getresponse()
            excerpt = answer.read(RESPONSE_EXCERPT_BYTES)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            last_error = exc if isinstance(exc, OSError) else OSError(str(exc))
            continue
        finally:
            connection.close()
        return Response(
            status=answer.status,
            body=excerpt.decode("utf-8", errors="replace"),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    raise last_error or OSError("No address to connect to.")
