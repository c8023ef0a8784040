"""Shared test helpers: paths, and `require_program` (skip outside CI, fail in CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS_DIR = FIXTURES / "seeds"
TOOLS_BIN = Path(os.environ.get("NIANBAO_TOOLS_VENV", ROOT / ".venv-tools")) / "bin"
IN_CI = bool(os.environ.get("CI"))


def require_program(name: str, hint: str = "") -> str:
    """Return the path of program `name`; skip when absent outside CI, fail when absent in CI."""
    path = shutil.which(name) or (str(TOOLS_BIN / name) if (TOOLS_BIN / name).exists() else None)
    if path:
        return path
    message = f"{name} is not installed{': ' + hint if hint else ''}"
    if IN_CI:
        pytest.fail(message + " (CI must install it: see Makefile `sysdeps`/`tools`)")
    pytest.skip(message)


def seed_text(number: int) -> str:
    """Return seed report `number` (0–4) as copied into tests/fixtures/seeds."""
    [path] = SEEDS_DIR.glob(f"{number:03d}_*.txt")
    return path.read_text(encoding="utf-8")
