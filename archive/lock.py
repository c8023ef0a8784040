"""ARCHIVE/lock: one writing crawl per archive; a lock left by a dead process is stale and taken over.

Taking the lock (and taking over a stale one) happens under an exclusive flock on ARCHIVE/lock.guard, so
that of several processes finding the same stale lock exactly one takes it over: without it, each could
remove the lock the other had just made and make its own. The guard file is never removed (a process
waiting on a removed file's flock would hold a lock nobody else sees). The lock itself appears whole,
through a hard link to a finished file, so a reader never sees it half-written and takes it for stale.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["ArchiveLocked", "acquire_lock", "live_lock_holder", "release_lock"]

logger = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ArchiveLocked(RuntimeError):
    """Another live crawl holds the archive."""


def acquire_lock(archive: Path, run_id: str) -> Path:
    """Take ARCHIVE/lock (pid + run id); a stale lock of a dead process is taken over, with a warning."""
    lock = archive / "lock"
    with _guard(archive):
        holder = _holder(lock)
        if holder is not None:
            pid = _pid(holder)
            if pid and _alive(pid):
                raise ArchiveLocked(f"{archive} is being written by run {holder.get('run_id')} (pid {pid}); "
                                    f"wait for it to finish, or stop it first")
            logger.warning("taking over the stale lock of run %s (pid %s is gone)", holder.get("run_id"), pid)
            lock.unlink(missing_ok=True)
        _create(lock, {"pid": os.getpid(), "run_id": run_id, "started": _now()})
    return lock


def live_lock_holder(archive: Path) -> dict[str, Any] | None:
    """The run holding ARCHIVE/lock if its process is alive; None when unlocked or the lock is stale."""
    holder = _holder(archive / "lock")
    pid = _pid(holder or {})
    return holder if pid and _alive(pid) else None


def release_lock(archive: Path) -> None:
    """Remove ARCHIVE/lock if this process holds it."""
    lock = archive / "lock"
    if _holder(lock) is None:
        return
    with _guard(archive):
        if _pid(_holder(lock) or {}) == os.getpid():
            lock.unlink(missing_ok=True)


@contextmanager
def _guard(archive: Path) -> Iterator[None]:
    """Hold the exclusive flock on ARCHIVE/lock.guard: one process at a time reads and changes the lock."""
    fd = os.open(archive / "lock.guard", os.O_CREAT | os.O_RDWR, 0o644)
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
