"""Files that are either whole or absent: written to a temporary name, flushed to disk, then renamed.

A crash or a full disk while writing leaves the old file (or none) and at most a `.tmp` file, never a
0-byte or half-written manifest, run record or index file that a later command would trip on.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably; on any error the target is untouched."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)  # the rename itself survives a power loss
    finally:
        os.close(directory)
