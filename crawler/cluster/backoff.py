"""Which answers pause a host for the whole cluster, and for how long.

A host that answers 429 or 503, or whose anti-bot appliance answers instead of the site (瑞数 412/202,
加速乐 521, see `crawler.pages.detect_block`), is paused: no worker sends it anything until the pause ends.
The pause is the answer's Retry-After (seconds or an HTTP date) when it has one, else the retry back-off
of the request's attempt (NIANBAO_RETRY_BACKOFF × 2^retries, the wait before its own retry); never longer
than NIANBAO_CLUSTER_BACKOFF_MAX.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass

from scrapy import Request
from scrapy.http import Response

from crawler.pages import detect_block

__all__ = ["BACKOFF_STATUSES", "Backoff", "backoff_for", "backoff_of", "retry_after"]

BACKOFF_STATUSES = (429, 503)


@dataclass(frozen=True)
class Backoff:
    """A pause of one host: how long, and why (`429`, `503`, or the appliance's name)."""

    seconds: float
    reason: str


def retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds a Retry-After header value asks for (delta-seconds or an HTTP date); None when unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a malformed one without a zone is read as GMT too
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_for(status: int, body: bytes, headers: dict[str, str], retries: int, base: float,
                cap: float) -> Backoff | None:
    """The pause an answer asks of its host (None: none). `headers` are the answer's, lower-case names;
    `retries` the request's retries so far; `base` NIANBAO_RETRY_BACKOFF; `cap` the longest pause."""
    appliance = detect_block(status, body, headers.get("set-cookie", ""))
    if status not in BACKOFF_STATUSES and not appliance:
        return None
    asked = retry_after(headers.get("retry-after", "")) if headers.get("retry-after") else None
    seconds = asked if asked is not None else base * 2 ** retries
    seconds = min(cap, seconds)
    if seconds <= 0:
        return None
    return Backoff(seconds, appliance or str(status))


def backoff_of(request: Request, response: Response, base: float, cap: float) -> Backoff | None:
    """`backoff_for` the answer `response` to `request` (its Retry-After, cookies and attempt)."""
    headers = {name.decode("latin-1").lower(): b"; ".join(response.headers.getlist(name)).decode("latin-1")
               for name in (b"Retry-After", b"Set-Cookie") if name in response.headers}
    return backoff_for(response.status, response.body, headers, int(request.meta.get("retry_times", 0)), base, cap)
