"""ARCHIVE/lock: one writing crawl per archive; a lock left by a dead process is stale and taken over."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

__all__ = ["ArchiveLocked", "acquire_lock", "release_lock", "live_lock_holder"]

logger = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ArchiveLocked(RuntimeError):
    """Another live crawl holds the archive."""


def acquire_lock(archive: Path, run_id: str) -> Path:
    """Take ARCHIVE/lock (pid + run id); a stale lock of a dead process is taken over, with a warning."""
    lock = archive / "lock"
    for _attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text(encoding="utf-8"))
                pid = int(holder.get("pid", 0))
            except (ValueError, OSError):
                holder, pid = {}, 0
            if pid and _alive(pid):
                raise ArchiveLocked(f"{archive} is being written by run {holder.get('run_id')} (pid {pid}); "
                                    f"wait for it to finish, or stop it first") from None
            logger.warning("taking over the stale lock of run %s (pid %s is gone)", holder.get("run_id"), pid)
            lock.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"pid": os.getpid(), "run_id": run_id, "started": _now()}, handle)
        return lock
    raise ArchiveLocked(f"could not lock {archive}")


def live_lock_holder(archive: Path) -> dict[str, Any] | None:
    """The run holding ARCHIVE/lock if its process is alive; None when unlocked or the lock is stale."""
    try:
        holder = json.loads((archive / "lock").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = int(holder.get("pid", 0) or 0)
    return holder if pid and _alive(pid) else None


def release_lock(archive: Path) -> None:
    """Remove ARCHIVE/lock if this process holds it."""
    lock = archive / "lock"
    try:
        if int(json.loads(lock.read_text(encoding="utf-8")).get("pid", 0)) == os.getpid():
            lock.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


