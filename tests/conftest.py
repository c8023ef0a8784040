"""Shared test helpers: paths, and `require_program` (skip outside CI, fail in CI)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def headless_chromium(height: int = 1000) -> Iterator[Any]:
    """Debian's Chromium driven by selenium, headless, with the network chatter this machine refuses off."""
    chromium = require_program("chromium", "apt-get install chromium chromium-driver fonts-wqy-zenhei")
    driver_path = require_program("chromedriver", "apt-get install chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--window-size=1280,{height}", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def seed_text(number: int) -> str:
    """Return seed report `number` (0–4) as copied into tests/fixtures/seeds."""
    [path] = SEEDS_DIR.glob(f"{number:03d}_*.txt")
    return path.read_text(encoding="utf-8")
