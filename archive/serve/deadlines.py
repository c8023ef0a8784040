"""When a report is due, and whether it came on time (条例 art. 49).

Since the 2019 revision (reports on 2019 onwards), departments of governments at county level and above
publish by 31 January and local people's governments (townships and streets included) by 31 March of the
next year; before it, 31 March for all.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from extract.metadata import to_simplified

__all__ = ["GOVERNMENT_SUFFIXES", "STATUS_LABELS", "deadline", "is_government", "seed_levels", "status"]

GOVERNMENT_SUFFIXES = ("人民政府", "镇", "乡", "街道办事处", "街道")
STATUS_LABELS = {"on_time": "按时", "late": "逾期", "undated": "已发布（日期不详）", "missing": "缺失",
                 "blocked": "被拦截", "unreachable": "无法访问", "not_due": "未到期"}


def is_government(agency: str, level: str = "") -> bool:
    """True for a local people's government (by the seeds' `level` when given, else by the name's ending)."""
    if level in ("government", "department"):
        return level == "government"
    return to_simplified(agency or "").strip().endswith(GOVERNMENT_SUFFIXES)


def deadline(year: int, government: bool) -> date:
    """Last day to publish the report on `year`."""
    if year >= 2019 and not government:
        return date(year + 1, 1, 31)
    return date(year + 1, 3, 31)


def status(year: int, government: bool, published: str | None, held: bool, access: str, today: date) -> str:
    """One of STATUS_LABELS' keys for an agency's report on `year`; `access` is '' when its site answered,
    else 'blocked' or 'unreachable'."""
    due = deadline(year, government)
    if held:
        if not published:
            return "undated"
        try:
            day = date.fromisoformat(published[:10])
        except ValueError:
            return "undated"
        return "on_time" if day <= due else "late"
    if today <= due:
        return "not_due"
    return access or "missing"


def seed_levels(archive: Path | None) -> dict[tuple[str, str], str]:
    """(province, agency) → 'government' or 'department', from the seeds' optional `level` column as the run
    records keep it (DIR/runs/*.json, seeds[].extra.level); later runs win."""
    levels: dict[tuple[str, str], str] = {}
    runs = sorted((archive / "runs").glob("*.json")) if archive else []
    for path in runs:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for seed in record.get("seeds") or [] if isinstance(record, dict) else []:
            level = str(((seed or {}).get("extra") or {}).get("level", "")).strip().lower()
            if level in ("government", "department"):
                levels[(seed.get("province") or "", seed.get("agency") or "")] = level
    return levels
