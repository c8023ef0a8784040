"""The Redis side of a cluster run: connecting (the URL's password never logged), waiting out a Redis
restart, and the key names every worker agrees on."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis

__all__ = ["ACTIVE", "RUNS", "RedisGone", "as_text", "connect", "key", "mask_url", "ms", "now_ms", "retrying"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

ACTIVE = "nianbao:active"  # the id of the run workers join
RUNS = "nianbao:runs"  # every run this Redis database has seen, by start time
_TRANSIENT = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError)


class RedisGone(RuntimeError):
    """Redis did not come back within the wait the settings allow."""


def mask_url(url: str) -> str:
    """The Redis URL with its password (and user) replaced by `***`: the only form ever printed or logged."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect(url: str) -> redis.Redis:
    """A client for `url` (redis://[:password@]host:port/db) answering str; nothing is sent yet."""
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=10, socket_connect_timeout=5,
                                health_check_interval=15)


def key(run_id: str, *parts: str) -> str:
    """The name of one of run `run_id`'s keys."""
    return ":".join(("nianbao:run", run_id, *parts))


def retrying(call: Callable[[], T], wait: float, what: str = "redis") -> T:
    """`call()`, retried once a second while Redis is unreachable or loading (a restart), for at most
    `wait` seconds; then `RedisGone`. Blocking on purpose: a worker without its shared state must not crawl."""
    deadline = time.monotonic() + wait
    warned = False
    while True:
        try:
            return call()
        except _TRANSIENT as exc:
            if time.monotonic() > deadline:
                raise RedisGone(f"{what}: Redis did not answer for {wait:.0f} s ({type(exc).__name__})") from None
            if not warned:
                logger.warning("%s: Redis is not answering (%s); waiting for it", what, type(exc).__name__)
                warned = True
            time.sleep(1.0)


def ms(seconds: float) -> int:
    """Milliseconds for PX/PEXPIRE (at least 1)."""
    return max(1, int(seconds * 1000))


def now_ms() -> int:
    return int(time.time() * 1000)


def as_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
