"""Fixtures of the cluster tests: a real redis-server (skipped outside CI when absent, failing in CI)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.redis_server import RedisServer
from tests.conftest import require_program


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of its own (AOF on) on a free loopback port, stopped after the test."""
    server = RedisServer(require_program("redis-server", "apt-get install redis-server"), tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()
