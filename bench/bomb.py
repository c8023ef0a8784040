"""Peak memory of every nianbao process on a 1 GiB gzip bomb, against the same crawl without it.

`python -m bench.bomb`: crawls the hostile loopback portal of the fault suite twice (an ordinary report; the
same plus a report answered by a ~1 MB gzip body that inflates to 1 GiB), then `nianbao index --rebuild` and
`nianbao serve`'s `/-/raw/ID` of the bomb. Goal: the bomb adds under 100 MB to any process.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.faults.hostile import HostilePortal
from tests.faults.processes import peak_of_tree, run_measured
from tests.faults.test_faults import FAST
from tests.serve.conftest import start_serve, stop_serve

ROOT = Path(__file__).resolve().parent.parent


def _crawl(case: str, folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True)
    with HostilePortal(case) as portal:
        measured = run_measured([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(portal.seeds(folder)),
                                 "--archive", str(folder / "archive"), *FAST], cwd=ROOT, timeout=300)
    index = run_measured([sys.executable, "-m", "crawler.cli", "index", "--archive", str(folder / "archive"),
                          "--rebuild", "--quiet"], cwd=ROOT, timeout=300)
    peaks = dict(measured.peak_by_kind)
    peaks.update({f"nianbao index: {k}": v for k, v in index.peak_by_kind.items()})
    peaks["nianbao serve"] = _serve(folder / "archive", case)
    return peaks


def _serve(archive: Path, case: str) -> float:
    conn = sqlite3.connect(archive / "index.db")
    try:
        [(capture_id,)] = conn.execute("select id from captures where url like ?",
                                       ("%/bomb.html" if case == "bomb" else "%/t2023.html",)).fetchall()
    finally:
        conn.close()
    served = start_serve(archive)
    try:
        urllib.request.urlopen(f"{served.base}/-/raw/{capture_id}", timeout=120).read()
        return sum(peak_of_tree(served.process.pid).values())
    finally:
        stop_serve(served)


def main(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        control = _crawl("control", Path(tmp) / "control")
        bomb = _crawl("bomb", Path(tmp) / "bomb")
    print(f"{'process':28} {'without MiB':>12} {'with bomb MiB':>14} {'added':>8}")
    for kind in sorted(set(control) | set(bomb)):
        if kind in ("other", "nianbao index: other"):
            continue
        added = bomb.get(kind, 0) - control.get(kind, 0)
        print(f"{kind:28} {control.get(kind, 0):12.0f} {bomb.get(kind, 0):14.0f} {added:+8.0f}")
    worst = max(bomb.get(k, 0) - control.get(k, 0) for k in bomb)
    print(f"largest addition: {worst:+.0f} MiB (goal: under 100 MiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
