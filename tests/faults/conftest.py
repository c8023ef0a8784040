"""The fault-injection suite prints, at the end of the run, each case's outcome and peak memory."""

from __future__ import annotations

from typing import Any

OUTCOMES: list[dict[str, Any]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    terminalreporter.section("fault injection: outcome and peak RSS (MiB) of the process tree")
    for row in OUTCOMES:
        kinds = ", ".join(f"{k} {v:.0f}" for k, v in sorted(row.get("peaks", {}).items()))
        terminalreporter.write_line(f"{row['case']:<22} {row['outcome']:<58} {row['seconds']:6.1f} s  "
                                    f"tree {row.get('tree', 0):6.0f}  [{kinds}]")
