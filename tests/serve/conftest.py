"""Fixtures of the serve tests: the demo archive (crawled from the bundled loopback portals) and a running
`nianbao serve` on it."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """A running `nianbao serve`."""

    base: str
    archive: Path
    process: subprocess.Popen[bytes]


def start_serve(archive: Path, *extra: str) -> Served:
    """Start `nianbao serve` on a free loopback port and wait until it answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--archive", str(archive),
                                "--port", str(port), *extra], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1).close()
            return Served(base, archive, process)
        except OSError as error:
            if process.poll() is not None:
                message = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"serve exited: {message}") from error
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("serve did not answer within 30 s")


def stop_serve(served: Served) -> None:
    """Stop it the way a service manager does (SIGTERM) and reap it."""
    served.process.terminate()
    try:
        served.process.wait(timeout=15)
    finally:
        if served.process.stderr:
            served.process.stderr.close()


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("serve-demo") / "archive"
    subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--archive", str(archive)], check=True,
                   capture_output=True, timeout=240, cwd=ROOT)
    return archive


@pytest.fixture(scope="session")
def served(demo_archive: Path) -> Iterator[Served]:
    server = start_serve(demo_archive)
    try:
        yield server
    finally:
        stop_serve(server)
