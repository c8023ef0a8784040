"""`nianbao demo`, the first thing a new user runs: end to end, every report of the manifest, under a minute."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_runs_end_to_end_and_finds_every_report(tmp_path: Path) -> None:
    archive = tmp_path / "demo"
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--archive", str(archive)],
                          capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert elapsed < 60
    found = re.search(r"reports found: (\d+) \(the demo portals publish (\d+) agency-year reports\)", done.stdout)
    assert found and found.group(1) == found.group(2), done.stdout
    assert "Blocked: 贵州省生态环境厅" in done.stdout
    assert "Not available yet" not in done.stdout + done.stderr
    assert (archive / "index.db").exists() and list((archive / "warc").glob("*.warc.gz"))
    assert f"nianbao search --archive {archive}" in done.stdout
