"""`check_archive`: the integrity of an archive folder — every WARC file, then the index against them
(the library half of `nianbao verify`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from archive.db import read_only
from archive.lock import live_lock_holder
from archive.warc.reader import warc_files
from archive.warc.verify import repair_warc, repairable, verify_warc

__all__ = ["ArchiveBusy", "ArchiveCheck", "check_archive"]


class ArchiveBusy(RuntimeError):
    """A live crawl is writing the archive: it cannot be repaired now."""


@dataclass
class ArchiveCheck:
    """What `check_archive` found (and mended)."""

    files: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # one line per mended file
    notes: list[str] = field(default_factory=list)  # worth knowing, not a problem (a file another tool wrote)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_archive(archive: Path, repair: bool = False) -> ArchiveCheck:
    """Verify every WARC file of `archive` and the index against them; `repair` mends what a killed crawl
    leaves. Raises FileNotFoundError when there is no WARC file, ArchiveBusy when repairing a live archive."""
    holder = live_lock_holder(archive)
    if holder and repair:
        raise ArchiveBusy(f"run {holder.get('run_id')} (pid {holder.get('pid')}) is writing {archive}; "
                          "stop it before --repair")
    files = warc_files(archive)
    if not files:
        raise FileNotFoundError(f"no WARC files in {archive / 'warc'}")
    result = ArchiveCheck(files=len(files))
    for path in files:
        check = verify_warc(path)
        result.records += check.records
        result.notes.extend(check.notes)
        if repair and repairable(check) and (not check.ok or path.name.endswith(".open")):
            fixed = repair_warc(path)
            result.repaired.append(f"repaired {path.name} → {fixed.name} ({check.records} complete records kept)")
            continue
        if check.ok and path.name.endswith(".open"):
            result.problems.append(f"{path.name}: not closed (a crawl was interrupted or is running)")
        result.problems.extend(check.problems)
    result.problems += _check_index(archive, {p.name.removesuffix(".open") for p in warc_files(archive)})
    return result


def _check_index(archive: Path, names: set[str]) -> list[str]:
    """The WARC files the index refers to that the archive no longer holds."""
    db = archive / "index.db"
    if not db.exists():
        return []
    with read_only(db) as conn:
        try:
            referred = [r[0] for r in conn.execute("select distinct warc_file from captures")]
        except sqlite3.Error as exc:
            return [f"{db}: {exc}"]
    return [f"index.db refers to {name}, which is not in {archive / 'warc'} (run `nianbao index` again after "
            "deleting index.db)" for name in referred if name not in names]
