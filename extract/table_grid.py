"""The reports' tables read as grids: figures placed by column position, blanks kept, rows matched loosely.

A grid is a table as `extract` keeps it (HTML and DOCX tables, spreadsheets, and PDF tables rebuilt from
word positions): rows of cells, a blank cell where the agency left one. Columns are named from the header
rows, so a row with blanks still puts every figure under its own column. Rows are matched to the standard
form by a distinctive key of their label, by a fuzzy label where the source damaged it, and by their
position between matched neighbours; every loose match is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

__all__ = [
    "APPLICANT_KEYS",
    "ROW_KEYS",
    "Cell",
    "GridRow",
    "Span",
    "SpannedTable",
    "StatRow",
    "align_rows",
    "application_grid",
    "article20_grid",
    "label_key",
    "parse_cell",
    "review_grid",
    "stat_table_grid",
    "table_spans",
]

Table = tuple[tuple[str, ...], ...]
Span = tuple[int, int, int, int]  # (row, column, rowspan, colspan) of a merged cell's top-left slot

APPLICANT_KEYS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
# Distinctive text of each row of the application table, in the national format's order.
ROW_KEYS = ("本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "予以公开", "部分公开",
            "属于国家秘密", "其他法律行政法规禁止公开", "危及三安全一稳定", "保护第三方合法权益",
            "属于三类内部事务信息",
            "属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项", "本机关不掌握相关政府信息",
            "没有现成信息需要另行制作", "补正后申请内容仍不明确", "信访举报投诉类申请", "重复申请",
            "要求提供公开出版物",
            "无正当理由大量反复申请", "要求行政机关确认或重新出具已获取信息", "申请人无正当理由逾期不补正",
            "申请人逾期未按收费通知要求缴纳费用", "其他", "总计", "结转下年度继续办理")
SINGLE_OTHER = "其他处理"  # the 2019 trial form prints （六）其他处理 as one row
LOOSE_RATIO = 0.6
_UNIT = r"(万元|元|件|条|个|项|次|人次|宗|%)"
_NUMBER = re.compile(rf"^([-+]?\d+(?:\.\d+)?)\s*{_UNIT}?$")
_GROUP = re.compile(r"^([一二三四]、本年度办理结果|[(（][一二三四五六七][)）])")
_GROUP_NAME = re.compile(r"^(不予公开|无法提供|不予处理|其他处理)(?=.)")
_ITEM = re.compile(r"^(\d{1,2}|[一二三四五六七八九])\s*[.．、]")
_NOISE = re.compile(r"[\s\"“”'‘’「」『』:：，,。、（）().．]")


class SpannedTable(tuple[tuple[str, ...], ...]):
    """A table whose merged cells are known: still the plain grid (a merged cell's text repeated in every
    slot it covers, so readers by column position keep working), plus `spans`, one (row, column, rowspan,
    colspan) per cell that covers more than one slot."""

    spans: tuple[Span, ...]

    def __new__(cls, rows: Table, spans: tuple[Span, ...] = ()) -> SpannedTable:
        table = super().__new__(cls, rows)
        table.spans = tuple(span for span in spans if span[2] > 1 or span[3] > 1)
        return table

    def __reduce__(self) -> tuple[type[SpannedTable], tuple[Table, tuple[Span, ...]]]:
        # the process pool of the indexer pickles documents: the spans travel with the rows
        return SpannedTable, (tuple(self), self.spans)


def table_spans(table: Table) -> tuple[Span, ...]:
    """The merged cells of `table`; () when it has none or its source does not say (PDF, text)."""
    return table.spans if isinstance(table, SpannedTable) else ()


@dataclass(frozen=True)
class Cell:
    """A figure read from one cell: its value (None when the cell is blank) and what was done to read it."""

    value: float | None
    note: str = ""


@dataclass(frozen=True)
class GridRow:
    """A table row with figures: its label and one cell per named column."""

    label: str
    cells: tuple[Cell, ...]


def parse_cell(text: str, unit: str = "") -> Cell | None:
    """A cell's figure: '' → blank, '251000元' under a 万元 column → 25.1; None for text that is no figure."""
    cleaned = text.replace(",", "").replace("，", "").replace(" ", "").replace("\u3000", "").strip()
    if cleaned in ("", "-", "—", "/", "／", "无"):
        return Cell(None, "blank")
    match = _NUMBER.match(cleaned)
    if not match:
        return None
    value, found_unit = float(match.group(1)), match.group(2) or ""
    if found_unit == "元" and unit == "万元":
        return Cell(round(value / 10000, 6), "unit: 元 → 万元")
    if found_unit == "万元" and unit == "元":
        return Cell(value * 10000, "unit: 万元 → 元")
    return Cell(value, f"unit: {found_unit}" if found_unit else "")


def label_key(label: str) -> str:
    """A row label without numbering, group prefix, spaces or punctuation (`（三）不予公开 2.x` → `x`)."""
    key = "".join(label.split()).replace("(", "（").replace(")", "）")
    for _ in range(4):
        before = key
        for prefix in (_GROUP, _GROUP_NAME, _ITEM):
            key = prefix.sub("", key).lstrip("、.．:：")
        if key == before:
            break
    return _NOISE.sub("", key)


@lru_cache(maxsize=1 << 15)  # the standard form's labels recur report after report: a pair is scored once
def _similarity(expected: str, key: str) -> float:
    """Similarity of two label keys, 0.0 for every pair below LOOSE_RATIO (all that `align_rows` reads)."""
    if not key:
        return 0.0
    if key == expected or (len(expected) >= 4 and expected in key):
        return 1.0
    # ratio() is 2·M/T with M at most the characters the two share (so at most the shorter length): most
    # pairs of a form (25 keys × every data row) cannot reach LOOSE_RATIO, and are ruled out without difflib
    total = len(expected) + len(key)
    if 2.0 * min(len(expected), len(key)) / total < LOOSE_RATIO:
        return 0.0
    if 2.0 * sum(min(expected.count(ch), key.count(ch)) for ch in set(expected)) / total < LOOSE_RATIO:
        return 0.0
    return SequenceMatcher(None, expected, key, autojunk=False).ratio()


def align_rows(labels: Sequence[str], keys: Sequence[str]) -> dict[int, tuple[int, str]]:
    """Expected row index → (data row index, note) by an order-keeping alignment of labels to keys.

    Pairs need a label similarity of LOOSE_RATIO or more; a data row left between two matched neighbours
    takes the one expected row left between them. Notes say how a non-exact match was made."""
    data = [label_key(label) for label in labels]
    scores = [[_similarity(k, d) for d in data] for k in keys]
    best = [[0.0] * (len(data) + 1) for _ in range(len(keys) + 1)]
    for j in range(len(keys) - 1, -1, -1):
        for i in range(len(data) - 1, -1, -1):
            take = scores[j][i] + best[j + 1][i + 1] if scores[j][i] >= LOOSE_RATIO else -1.0
            best[j][i] = max(take, best[j + 1][i], best[j][i + 1])
    matched: dict[int, tuple[int, str]] = {}
    j = i = 0
    while j < len(keys) and i < len(data):
        score = scores[j][i]
        if score >= LOOSE_RATIO and abs(best[j][i] - (score + best[j + 1][i + 1])) < 1e-9:
            matched[j] = (i, "" if score == 1.0 else f"loose label: {labels[i]!r}")
            j, i = j + 1, i + 1
        elif abs(best[j][i] - best[j + 1][i]) < 1e-9:
            j += 1
        else:
            i += 1
    return _fill_between(matched, labels, len(keys))


def _fill_between(matched: dict[int, tuple[int, str]], labels: Sequence[str], count: int) -> dict[int, tuple[int, str]]:
    used = {i for i, _note in matched.values()}
    for j in range(count):
        if j in matched:
            continue
        before, after = matched.get(j - 1), matched.get(j + 1)
        if before and after and after[0] - before[0] == 2 and before[0] + 1 not in used:
            matched[j] = (before[0] + 1, f"loose position: {labels[before[0] + 1]!r}")
            used.add(before[0] + 1)
    return matched


def _norm(text: str) -> str:
    return "".join(text.split())  # every whitespace character (as the regex \s) removed


def _header_texts(table: Table, first_data: int) -> list[str]:
    width = max(len(row) for row in table)
    texts = []
    for c in range(width):
        parts: list[str] = []
        for row in table[:first_data]:
            cell = _norm(row[c]) if c < len(row) else ""
            if cell and (not parts or parts[-1] != cell):
                parts.append(cell)
        texts.append("".join(parts))
    return texts


def _columns(headers: Sequence[str], names: Sequence[str]) -> dict[str, int]:
    """Column index of each name: the column whose header ends with it (specific names claim first)."""
    found: dict[str, int] = {}
    for name in sorted(names, key=len, reverse=True):
        for c, text in enumerate(headers):
            if c not in found.values() and (text.endswith(name) or (len(name) >= 4 and name in text)):
                found[name] = c
                break
    return found


def _is_figure_row(row: Sequence[str], minimum: int) -> bool:
    return sum(1 for cell in row if _NUMBER.match(_norm(cell).replace(",", ""))) >= minimum


def _label(row: Sequence[str], first_value: int) -> str:
    parts: list[str] = []
    for cell in row[:first_value]:
        cell = " ".join(cell.split())
        if cell and cell not in parts:
            parts.append(cell)
    return " ".join(parts)


def application_grid(table: Table) -> list[GridRow] | None:
    """Rows of an application table (label + the seven applicant columns), None if the grid is not one."""
    first = next((r for r, row in enumerate(table) if _is_figure_row(row, 3)), None)
    if first is None or not any(re.search(r"本年新收|予以公开|结转", _norm("".join(row))) for row in table):
        return None
    width = max(len(row) for row in table)
    found = _columns(_header_texts(table, first), APPLICANT_KEYS)
    if len(found) == len(APPLICANT_KEYS):
        columns = [found[name] for name in APPLICANT_KEYS]
    else:
        columns = list(range(width - len(APPLICANT_KEYS), width))  # no usable header: the last seven
    rows = []
    for row in table[first:]:
        padded = tuple(row) + ("",) * (width - len(row))
        cells = [parse_cell(padded[c]) for c in columns]
        label = _label(padded, min(columns))
        if label and all(cell is not None for cell in cells) and any(c.value is not None for c in cells if c):
            rows.append(GridRow(label, tuple(c for c in cells if c is not None)))
    return rows


def review_grid(table: Table) -> list[Cell] | None:
    """The 15 figures of a 复议/诉讼 table by column position, None if the grid is not one."""
    text = _norm("".join("".join(row) for row in table))
    if "行政复议" not in text or not re.search(r"行政诉讼|起诉", text):
        return None
    for row in table:
        cells = [parse_cell(cell) for cell in row]
        if any(cell is None for cell in cells) or sum(1 for c in cells if c and c.value is not None) < 3:
            continue
        values = [c for c in cells if c is not None]
        if len(values) >= 15:
            return values[-15:]
    return None


def article20_grid(table: Table, columns: dict[str, tuple[str, ...]]) -> list[tuple[str, str, Cell]]:
    """(row, column, figure) of the 第二十条 table: each item's figures under its own header, blanks kept."""
    figures: list[tuple[str, str, Cell]] = []
    for row in table:
        cells = [_norm(cell) for cell in row]
        item = next((name for name in columns if name in cells), None)
        if item is None:
            continue
        start = len(cells) - 1 - cells[::-1].index(item)
        values = [cell for cell in row[start + 1:]]
        distinct = _distinct_spans(values)
        names = columns[item]
        filled = [value for value in distinct if _norm(value)]
        if len(names) == 1 and len(set(filled)) <= 1:  # one figure in a cell spanning the columns
            distinct = filled or [""]
        if len(distinct) < len(names):
            continue
        for name, raw in zip(names, distinct[: len(names)], strict=False):
            cell = parse_cell(raw, "万元" if "万元" in name else "")
            if cell is not None:
                figures.append((item, name, cell))
    return figures


def _distinct_spans(values: Sequence[str]) -> list[str]:
    """Cells of a row with a colspan'd cell (repeated by the grid) counted once."""
    out: list[str] = []
    for index, value in enumerate(values):
        if index and value and value == values[index - 1] and not _NUMBER.match(_norm(value)):
            continue
        out.append(value)
    return out


@dataclass(frozen=True)
class StatRow:
    """A row of a pre-2019 统计表: its own label, unit, figures by column and the row it details, if any."""

    label: str
    unit: str
    cells: tuple[tuple[str, Cell], ...]
    parent: str = ""  # the total this row is part of (a 其中 or numbered row under it)
    exhaustive: bool = False  # True when the parent's parts must add up to it (numbered parts, a 总数)


_PARENT = re.compile(r"^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])")
_PART = re.compile(r"^(其中[:：]?|\d{1,2}\s*[.．、])")


def stat_table_grid(table: Table) -> list[StatRow] | None:
    """Rows of a pre-2019 统计表 (指标名称 / 计量单位 / <year>年度 / 历年累计), None if the grid is not one.

    A row is a part of the total above it when marked `其中` (often a rowspan'd cell of its own) or
    numbered `1.`; parts of a 总数 or numbered parts must add up to it, other 其中 rows only stay below it."""
    head = next((r for r, row in enumerate(table[:4]) if any("指标名称" in _norm(c) for c in row)), None)
    if head is None:
        return None
    header = [_norm(cell) for cell in table[head]]
    label_cols = [c for c, text in enumerate(header) if "指标名称" in text]
    unit_col = next((c for c, text in enumerate(header) if "单位" in text), None)
    value_cols = [(c, "本年度" if re.search(r"年度|本年", text) else "历年累计")
                  for c, text in enumerate(header) if re.search(r"年度|本年|累计", text)]
    out: list[StatRow] = []
    parent, exhaustive = "", False
    for row in table[head + 1:]:
        label = _norm("".join(dict.fromkeys(row[c] for c in label_cols if c < len(row))))
        if not label or not value_cols:
            continue
        unit = _norm(row[unit_col]) if unit_col is not None and unit_col < len(row) else ""
        cells = tuple((name, cell) for name, cell in ((name, parse_cell(row[c] if c < len(row) else "", unit))
                                                       for c, name in value_cols) if cell is not None)
        part = _PART.match(label)
        if part and parent:
            exhaustive = exhaustive or part.group(1)[0].isdigit()
            out.append(StatRow(_PART.sub("", label), unit, cells, parent, exhaustive))
            continue
        parent, exhaustive = _PARENT.sub("", label), "总数" in label
        out.append(StatRow(parent, unit, cells))
    return out
