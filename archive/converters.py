"""Subprocess converters passed to `extract.document` (extract stays pure): antiword for .doc, timed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["default_converters", "antiword", "ConverterTimeout"]

TIMEOUT_SECONDS = 30


class ConverterTimeout(TimeoutError):
    """A converter ran past its time limit (a TimeoutError, so `extract` records it as `timeout`)."""


def antiword(body: bytes, timeout: float = TIMEOUT_SECONDS) -> str:
    """Text of a .doc file via antiword (UTF-8 output); raises on failure or timeout."""
    program = shutil.which("antiword")
    if program is None:
        raise RuntimeError("antiword is not installed (apt-get install antiword)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.doc"
        path.write_bytes(body)
        try:
            done = subprocess.run([program, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ConverterTimeout(f"antiword ran over {timeout:g} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"antiword failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return done.stdout.decode("utf-8", "replace")


def default_converters() -> dict[str, Callable[[bytes], str]]:
    """The converters available on this machine."""
    return {"doc": antiword} if shutil.which("antiword") else {}
