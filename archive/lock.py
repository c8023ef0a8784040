"""ARCHIVE/lock: one writing crawl per archive; a lock left by a dead process is stale and taken over.

Taking the lock (and taking over a stale one) happens under an exclusive flock on ARCHIVE/lock.guard, so
that of several processes finding the same stale lock exactly one takes it over: without it, each could
remove the lock the other had just made and make its own. The guard file is never removed (a process
waiting on a removed file's flock would hold a lock nobody else sees). The lock itself appears whole,
through a hard link to a finished file, so a reader never sees it half-written and takes it for stale.

A cluster worker takes its own lock, ARCHIVE/lock.WORKER (flock is unreliable on network file systems, and
several workers write one archive): the lock names its host, and a lock of another host is never taken
for stale here, since its pid means nothing on this machine.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ArchiveLocked", "acquire_lock", "live_lock_holder", "live_worker_locks", "release_lock"]

logger = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ArchiveLocked(RuntimeError):
    """Another live crawl holds the archive."""


def acquire_lock(archive: Path, run_id: str, name: str = "lock") -> Path:
    """Take ARCHIVE/NAME (pid + run id, + host for a worker's lock); a stale lock of a dead process is taken
    over, with a warning."""
    lock = archive / name
    with _guard(archive, name):
        holder = _holder(lock)
        if holder is not None:
            pid = _pid(holder)
            if pid and _live(holder):
                raise ArchiveLocked(f"{archive} is being written by run {holder.get('run_id')} (pid {pid}); "
                                    f"wait for it to finish, or stop it first")
            logger.warning("taking over the stale lock of run %s (pid %s is gone)", holder.get("run_id"), pid)
            lock.unlink(missing_ok=True)
        fields: dict[str, Any] = {"pid": os.getpid(), "run_id": run_id, "started": _now()}
        if name != "lock":  # a worker's lock: the archive may be shared with other machines
            fields["host"] = socket.gethostname()
        _create(lock, fields)
    return lock


def live_lock_holder(archive: Path) -> dict[str, Any] | None:
    """The run holding ARCHIVE/lock if its process is alive; None when unlocked or the lock is stale."""
    holder = _holder(archive / "lock")
    pid = _pid(holder or {})
    return holder if pid and _live(holder or {}) else None


def live_worker_locks(archive: Path) -> list[dict[str, Any]]:
    """The live cluster workers' locks (ARCHIVE/lock.WORKER) of the archive."""
    live = []
    for path in sorted(archive.glob("lock.*")):
        if path.name.endswith((".guard", ".tmp")):
            continue
        holder = _holder(path)
        if holder and _pid(holder) and _live(holder):
            live.append(holder)
    return live


def release_lock(archive: Path, name: str = "lock") -> None:
    """Remove ARCHIVE/NAME if this process holds it."""
    lock = archive / name
    if _holder(lock) is None:
        return
    with _guard(archive, name):
        if _pid(_holder(lock) or {}) == os.getpid():
            lock.unlink(missing_ok=True)


@contextmanager
def _guard(archive: Path, name: str = "lock") -> Iterator[None]:
    """Hold the exclusive flock on ARCHIVE/NAME.guard: one process at a time reads and changes the lock."""
    fd = os.open(archive / f"{name}.guard", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def _holder(lock: Path) -> dict[str, Any] | None:
    """The lock's fields; {} when it exists but cannot be read (stale); None when there is no lock."""
    try:
        holder = json.loads(lock.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _pid(holder: dict[str, Any]) -> int:
    try:
        return int(holder.get("pid", 0) or 0)
    except (TypeError, ValueError):
        return 0


def _create(lock: Path, fields: dict[str, Any]) -> None:
    """Make `lock` appear with all of `fields` at once (a hard link to a finished file)."""
    temporary = lock.with_name(f".{lock.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(fields), encoding="utf-8")
    try:
        os.link(temporary, lock)
    except FileExistsError:  # made by a process that does not take the guard: it holds the archive
        raise ArchiveLocked(f"could not lock {lock.parent}: {lock} appeared meanwhile") from None
    except OSError:  # a file system without hard links: created and written under the guard instead
        with lock.open("x", encoding="utf-8") as handle:
            handle.write(json.dumps(fields))
    finally:
        temporary.unlink(missing_ok=True)


def _live(holder: dict[str, Any]) -> bool:
    """Whether the lock's process runs: its pid is alive here, or it runs on another host (unknowable)."""
    host = holder.get("host")
    if host and host != socket.gethostname():
        return True
    return _alive(_pid(holder))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
