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


def is_government(agency: str, level: str = "", simplified: str | None = None) -> bool:
    """True for a local people's government (by the seeds' `level` when given, else by the name's ending);
    `simplified`: the name's simplified spelling when the caller has it (OpenCC costs ~15 µs a name)."""
    if level in ("government", "department"):
        return level == "government"
    name = simplified if simplified is not None else to_simplified(agency or "")
    return name.strip().endswith(GOVERNMENT_SUFFIXES)


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


_LEVELS: dict[tuple[str, tuple[tuple[str, int, int], ...]], dict[tuple[str, str], str]] = {}


def seed_levels(archive: Path | None) -> dict[tuple[str, str], str]:
    """(province, agency) → 'government' or 'department', from the seeds' optional `level` column as the run
    records keep it (DIR/runs/*.json, seeds[].extra.level); later runs win. Kept while the run records stay
    as they are (a national run record is megabytes of JSON); treat the answer as read-only."""
    runs = sorted((archive / "runs").glob("*.json")) if archive else []
    state = []
    for path in runs:
        try:
            stat = path.stat()
        except OSError:
            continue
        state.append((path.name, stat.st_mtime_ns, stat.st_size))
    key = (str(archive), tuple(state))
    if key not in _LEVELS:
        if len(_LEVELS) > 8:
            _LEVELS.clear()
        _LEVELS[key] = _read_levels(runs)
    return _LEVELS[key]


def _read_levels(runs: list[Path]) -> dict[tuple[str, str], str]:
    levels: dict[tuple[str, str], str] = {}
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
