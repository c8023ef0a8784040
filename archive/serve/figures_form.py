"""A report's figures laid out as the standard form's three tables (二, 三, 四), with the cells a failing
check concerns marked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from archive.serve.pages import e
from extract.tables import APPLICANT_COLUMNS, RESULT_ROWS

__all__ = ["figure_tables", "flagged_cells"]

Cell = tuple[str, str, str]  # (section, row label, column label)
_BALANCE_ROWS = (RESULT_ROWS[0][0], RESULT_ROWS[1][0], "（七）总计", "四、结转下年度继续办理")


def _named(detail: str) -> list[str]:
    """The rows, columns or groups a check's detail names: "总计: 一 31 + 二 1 ≠ …; 其他: …" → [总计, 其他]
    (an older form listed bare names: "总计, 自然人")."""
    text = detail.split(":", 1)[1] if detail.startswith("columns off:") else detail
    items = [item.strip() for item in text.split(";") if item.strip()]
    if len(items) == 1 and ":" not in items[0]:
        items = [item.strip() for item in items[0].split(",") if item.strip()]
    return [item.split(":", 1)[0].strip() for item in items]


def flagged_cells(checks: Iterable[Any]) -> set[Cell]:
    """Cells of the form that each failing check names (by its name and detail, as extract.tables writes)."""
    cells: set[Cell] = set()
    for check in checks:
        name, ok, detail = check["check_name"], check["ok"], check["detail"] or ""
        if ok:
            continue
        named = _named(detail)
        if name.startswith("勾稽关系"):
            cells |= {("三", row, col) for row in _BALANCE_ROWS for col in named}
        elif name.startswith("（七）总计"):
            cells |= {("三", "（七）总计", col) for col in named}
        elif name.startswith("每行总计"):
            cells |= {("三", row, "总计") for row in named}
        elif name.startswith("复议/诉讼"):
            for group in named:
                head, _sep, sub = group.partition(" ")
                cells.add(("四", head, f"{sub} 总计" if sub else "总计"))
    return cells


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _td(values: dict[Cell, float], cell: Cell, flagged: set[Cell]) -> str:
    cls = "num bad" if cell in flagged else "num"
    return f"<td class='{cls}'>{_num(values.get(cell))}</td>"


def _table_two(values: dict[Cell, float], order: Sequence[Cell], flagged: set[Cell]) -> str:
    """第二十条 items: rows sharing the same columns under one header row, as the form groups them."""
    rows: dict[str, list[str]] = {}
    for section, row, col in order:
        if section == "二" and col not in rows.setdefault(row, []):
            rows[row].append(col)
    html, last = [], None
    for row, cols in rows.items():
        if cols != last:
            html.append("<tr><th>信息内容</th>" + "".join(f"<th>{e(c)}</th>" for c in cols) + "</tr>")
            last = cols
        html.append(f"<tr><th>{e(row)}</th>" + "".join(_td(values, ("二", row, c), flagged) for c in cols) + "</tr>")
    return "<h3>二、主动公开政府信息情况</h3><table class='form two'>" + "".join(html) + "</table>"


def _table_three(values: dict[Cell, float], order: Sequence[Cell], flagged: set[Cell]) -> str:
    labels = list(dict.fromkeys(row for section, row, _c in order if section == "三"))
    head = ("<tr><th rowspan='2'>项目</th><th rowspan='2'>自然人</th><th colspan='5'>法人或其他组织</th>"
            "<th rowspan='2'>总计</th></tr><tr>" + "".join(f"<th>{c}</th>" for c in APPLICANT_COLUMNS[1:6]) + "</tr>")
    rows = "".join(f"<tr><th>{e(row)}</th>" + "".join(_td(values, ("三", row, c), flagged) for c in APPLICANT_COLUMNS)
                   + "</tr>" for row in labels)
    return f"<h3>三、收到和处理政府信息公开申请情况</h3><table class='form three'>{head}{rows}</table>"


def _table_four(values: dict[Cell, float], flagged: set[Cell]) -> str:
    results = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    groups = (("行政复议", ""), ("行政诉讼", "未经复议直接起诉 "), ("行政诉讼", "复议后起诉 "))
    head = ("<tr><th colspan='5' rowspan='2'>行政复议</th><th colspan='10'>行政诉讼</th></tr>"
            "<tr><th colspan='5'>未经复议直接起诉</th><th colspan='5'>复议后起诉</th></tr>"
            "<tr>" + "".join(f"<th>{r}</th>" for r in results * 3) + "</tr>")
    cells = "".join(_td(values, ("四", row, prefix + r), flagged) for row, prefix in groups for r in results)
    return f"<h3>四、政府信息公开行政复议、行政诉讼情况</h3><table class='form four'>{head}<tr>{cells}</tr></table>"


def figure_tables(figures: Sequence[Any], checks: Sequence[Any]) -> str:
    """HTML of the three tables (those the report has figures for); '' when it has none."""
    if not figures:
        return ""
    order: list[Cell] = [(f["section"], f["row_label"], f["col_label"]) for f in figures]
    values = {cell: f["value"] for cell, f in zip(order, figures, strict=True)}
    flagged = flagged_cells(checks)
    sections = {cell[0] for cell in order}
    parts = ["<h2>统计表（按国家规定格式）</h2>"]
    if "二" in sections:
        parts.append(_table_two(values, order, flagged))
    if "三" in sections:
        parts.append(_table_three(values, order, flagged))
    if "四" in sections:
        parts.append(_table_four(values, flagged))
    return "".join(parts)
