"""Peak memory of a command's whole process tree, sampled from /proc while it runs."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Measured", "peak_of_tree", "run_measured"]

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    """A finished command: exit code, output, and peak resident memory (MiB) by process kind."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_tree_mib: float = 0.0
    peak_by_kind: dict[str, float] = field(default_factory=dict)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(_children(current))
    return found


def _kind(pid: int) -> str:
    """crawl, live index, index worker, index, serve or other: from the command line."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""
    for needle, kind in (("archive.index.live", "live index"), ("forkserver", "index worker"),
                         ("multiprocessing", "index worker"), ("datasette", "serve"), (" crawl ", "crawl"),
                         (" index ", "index"), (" serve ", "serve"), (" demo", "crawl")):
        if needle in cmd:
            return kind
    return "other"


def _rss_mib(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def run_measured(command: Sequence[str], cwd: Path, timeout: float, env: dict[str, str] | None = None,
                 every: float = 0.05) -> Measured:
    """Run `command`, sampling every process of its tree every `every` seconds."""
    started = time.monotonic()
    child = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    peaks: dict[str, float] = {}
    tree_peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = 0.0
            for pid in _tree(child.pid):
                rss = _rss_mib(pid)
                total += rss
                kind = _kind(pid)
                peaks[kind] = max(peaks.get(kind, 0.0), rss)
            tree_peak[0] = max(tree_peak[0], total)
            done.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
        if child.poll() is None:
            child.kill()
            child.wait()
    return Measured(child.returncode, stdout, stderr, time.monotonic() - started, round(tree_peak[0], 1),
                    {k: round(v, 1) for k, v in peaks.items() if k})


def peak_of_tree(pid: int) -> dict[str, float]:
    """Lifetime peak RSS (VmHWM, MiB) of each process now in `pid`'s tree, by kind."""
    peaks: dict[str, float] = {}
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        hwm = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0.0)
        kind = _kind(member)
        peaks[kind] = max(peaks.get(kind, 0.0), round(hwm, 1))
    return peaks
