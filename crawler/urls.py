"""URL canonicalisation and scope: so nothing is fetched twice and navigation stays on the agency's host
(or, through its disclosure navigation, on a sibling host under the seed's own domain)."""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.suffixes import OFFLINE_SUFFIXES

__all__ = ["canonical_url", "host_key", "in_scope", "is_private_host", "own_domain", "sibling_host"]

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


def in_scope(url: str, allowed: tuple[str, ...]) -> bool:
    """True when `url` is on one of the `allowed` site keys; a key with a path (`xx.gov.cn:8080/zwgk/`,
    a sibling host reached through its disclosure column) allows that path and below only."""
    key = host_key(url)
    for entry in allowed:
        site, slash, prefix = entry.partition("/")
        if site == key and (not slash or urlsplit(url).path.startswith("/" + prefix)):
            return True
    return False


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


@lru_cache(maxsize=4096)
def _registrable(host: str) -> str:
    return str(OFFLINE_SUFFIXES(host).top_domain_under_public_suffix or "")


def quick_host_key(href: str) -> str | None:
    """`host_key` of an absolute http(s) href by string work alone; None when it needs the full parser
    (relative, userinfo, IPv6) — a portal page links ~150 other sites, each checked before anything else."""
    scheme, sep, rest = href.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return None
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()
    if not netloc or "@" in netloc or "[" in netloc or "\\" in netloc:
        return None
    return netloc.removeprefix("www.")


@lru_cache(maxsize=4096)
def own_domain(url: str) -> str:
    """The domain a seed owns: its host without `www.` (www.xx.gov.cn → xx.gov.cn), never a public suffix
    (www.gov.cn stays www.gov.cn); '' for an address. Not the registrable domain: gz.gov.cn is shared by
    every agency of the city (sthjj.gz.gov.cn), while a seed sthjj.gz.gov.cn owns only itself."""
    host = (urlsplit(url).hostname or "").lower()
    bare = host.removeprefix("www.")
    if _registrable(bare):
        return bare
    return host if _registrable(host) else ""


def sibling_host(url: str, seed: str) -> bool:
    """True when `url` is on another host under the seed's own domain, on the seed's port."""
    domain = own_domain(seed)
    parts, seed_parts = urlsplit(url), urlsplit(seed)
    host = (parts.hostname or "").lower()
    if not domain or parts.port != seed_parts.port or host_key(url) == host_key(seed):
        return False
    return host == domain or host.endswith("." + domain)
