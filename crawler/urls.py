"""URL canonicalisation and scope: so nothing is fetched twice and navigation stays on the agency's host."""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["canonical_url", "host_key", "is_private_host"]

_SESSION = re.compile(r";jsessionid=[^?#/]*", re.IGNORECASE)
_DROP_PARAMS = {"jsessionid", "phpsessid", "sid", "sessionid", "aspsessionid", "utm_source", "utm_medium",
                "utm_campaign", "utm_term", "utm_content", "spm", "fromid", "timestamp", "_"}


def canonical_url(url: str) -> str:
    """Lower-case scheme/host, default port and fragment dropped, session/tracking parameters removed."""
    url = _SESSION.sub("", url.strip())
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _DROP_PARAMS]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, safe="/:,{}\"") if query else "", ""))


def host_key(url: str) -> str:
    """Host without a leading `www.` plus port: the www/bare twins share one key."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}:{parts.port}" if parts.port else host


@lru_cache(maxsize=4096)
def is_private_host(host: str) -> bool:
    """True for private, loopback, link-local or reserved addresses (resolving names once)."""
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(host, None)}
        except (socket.gaierror, UnicodeError):
            return False
    return any(a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast for a in addresses)
