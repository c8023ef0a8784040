"""The reports' standard statistics, from the tables' grids first and from their flattened text otherwise.

Where the document kept its tables (HTML, DOCX, spreadsheets, PDF tables rebuilt from word positions) the
grid is read by column position, so blank cells stay in their columns (`table_grid`). Text copies of
tables come as one cell per line with `|` separators (seed 001), one cell per line with blank lines
(seed 002), tab-separated rows (seed 003) or PDF text with labels broken over lines: they reduce to a
stream of cells in which each row's label is found (in the national format's order, spaces and line
breaks inside a label ignored) and the figures that follow it are read. Figures only ever come from table
cells, never from prose. The format's consistency checks then run wherever their rows exist; a check that
cannot run says which row is missing, a failing one names rows, columns and values. Pre-2019 reports'
统计表 are read with their own row labels (section `pre2019`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .metadata import to_simplified
from .table_grid import (
    ROW_KEYS,
    SINGLE_OTHER,
    Cell,
    GridRow,
    align_rows,
    application_grid,
    article20_grid,
    parse_cell,
    review_grid,
    stat_table_grid,
)

__all__ = [
    "APPLICANT_COLUMNS",
    "OTHER_SINGLE_ROW",
    "RESULT_ROWS",
    "REVIEW_COLUMNS",
    "Check",
    "Figure",
    "ReportParse",
    "detect_format",
    "missing_figures",
    "parse_report",
    "split_sections",
]

Table = tuple[tuple[str, ...], ...]

APPLICANT_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
# (row label, pattern finding it in the cell stream); order is the national format's.
RESULT_ROWS: tuple[tuple[str, str], ...] = (
    ("一、本年新收政府信息公开申请数量", r"本年新收"),
    ("二、上年结转政府信息公开申请数量", r"上年结转"),
    ("（一）予以公开", r"予以公开"),
    ("（二）部分公开", r"部分公开"),
    ("（三）不予公开 1.属于国家秘密", r"属于国家秘密|^[(（]三[)）]\s*不予公开$"),
    ("（三）不予公开 2.其他法律行政法规禁止公开", r"禁止公开"),
    ("（三）不予公开 3.危及“三安全一稳定”", r"三安全一稳定|危及"),
    ("（三）不予公开 4.保护第三方合法权益", r"第三方合法权益"),
    ("（三）不予公开 5.属于三类内部事务信息", r"内部事务"),
    ("（三）不予公开 6.属于四类过程性信息", r"过程性信息"),
    ("（三）不予公开 7.属于行政执法案卷", r"行政执法案卷"),
    ("（三）不予公开 8.属于行政查询事项", r"行政查询事项"),
    ("（四）无法提供 1.本机关不掌握相关政府信息", r"不掌握|^[(（]四[)）]\s*无法提供$"),
    ("（四）无法提供 2.没有现成信息需要另行制作", r"没有现成信息|另行制作"),
    ("（四）无法提供 3.补正后申请内容仍不明确", r"仍不明确"),
    ("（五）不予处理 1.信访举报投诉类申请", r"信访举报|^[(（]五[)）]\s*不予处理$"),
    ("（五）不予处理 2.重复申请", r"重复申请"),
    ("（五）不予处理 3.要求提供公开出版物", r"公开出版物"),
    ("（五）不予处理 4.无正当理由大量反复申请", r"大量反复"),
    ("（五）不予处理 5.要求行政机关确认或重新出具已获取信息", r"确认或重新出具"),
    ("（六）其他处理 1.申请人无正当理由逾期不补正", r"逾期不补正|^[(（]六[)）]\s*其他处理$"),
    ("（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用", r"收费通知"),
    ("（六）其他处理 3.其他", r"^(3|三)\s*[.．、]\s*其他$|其他处理\s*3\s*[.．、]\s*其他$"),
    ("（七）总计", r"[(（]七[)）]\s*总计"),
    ("四、结转下年度继续办理", r"结转下年度"),
)
REVIEW_COLUMNS = tuple(f"{group} {label}" for group in ("行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉")
                       for label in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计"))
_ARTICLE20_2021 = {
    "规章": ("本年制发件数", "本年废止件数", "现行有效件数"),
    "行政规范性文件": ("本年制发件数", "本年废止件数", "现行有效件数"),
    "行政许可": ("本年处理决定数量",), "行政处罚": ("本年处理决定数量",), "行政强制": ("本年处理决定数量",),
    "行政事业性收费": ("本年收费金额（万元）",),
}
_ARTICLE20_2019 = {
    "规章": ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
    "规范性文件": ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
    "行政许可": ("上一年项目数量", "本年增/减", "处理决定数量"),
    "其他对外管理服务事项": ("上一年项目数量", "本年增/减", "处理决定数量"),
    "行政处罚": ("上一年项目数量", "本年增/减", "处理决定数量"),
    "行政强制": ("上一年项目数量", "本年增/减", "处理决定数量"),
    "行政事业性收费": ("上一年项目数量", "本年增/减"),
    "政府集中采购": ("采购项目数量", "采购总金额"),
}
OTHER_SINGLE_ROW = "（六）其他处理"  # the 2019 trial form's single row for what 2021 splits into three
SECTIONS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
_HEADING = re.compile(r"^\s*([一二三四五六])\s*[、.．]\s*(?:政府信息公开(?:工作)?)?(总体情况|主动公开|收到和处理|"
                      r".{0,12}行政复议|存在的?主要问题|其他需要报告|依申请公开|因政府信息公开|存在问题)", re.MULTILINE)
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_CELL_BREAKS = re.compile(r"[\t\n\r]+")
# Application rows as the grid aligner sees them: the 2019 single （六） row sits before the 2021 sub-rows.
_GRID_LABELS = (*(label for label, _p in RESULT_ROWS[:20]), OTHER_SINGLE_ROW,
                *(label for label, _p in RESULT_ROWS[20:]))
_GRID_KEYS = (*ROW_KEYS[:20], SINGLE_OTHER, *ROW_KEYS[20:])
_PARTS = tuple(label for label, _pattern in RESULT_ROWS[2:-2])
_SUB_OTHER = _PARTS[-3:]

Rows = dict[str, tuple[Cell, ...]]


@dataclass(frozen=True)
class Figure:
    """One figure of a report's tables."""

    section: str  # 二 | 三 | 四 | pre2019
    row_label: str
    col_label: str
    value: float
    note: str = ""  # "blank" (an empty cell, read as 0), how a row was matched loosely, a unit conversion


@dataclass(frozen=True)
class Check:
    """One consistency check the format defines; `ran` is False (and `detail` says why) when rows are missing."""

    name: str
    ok: bool
    detail: str
    ran: bool = True


@dataclass(frozen=True)
class ReportParse:
    """The statistics of one report, its sections, the checks and what could not be placed."""

    format: str  # 2021 | 2019 | pre2019 | unknown
    figures: tuple[Figure, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = ()
    unplaced: tuple[str, ...] = field(default=())

    def value(self, row_label: str, col_label: str, section: str = "三") -> float | None:
        """A figure by its labels (None if absent)."""
        for figure in self.figures:
            if figure.section == section and figure.row_label == row_label and figure.col_label == col_label:
                return figure.value
        return None


def _cells(text: str) -> list[str]:
    cells = []
    for raw in re.split(r"[\t\n|｜]+| {2,}|\u3000", text):  # PDF text separates cells by runs of spaces
        cell = " ".join(raw.split())
        trailing = re.fullmatch(r"(.*[^\d\s.,])\s+((?:[\d.,]+ )*[\d.,]+)", cell)
        if re.fullmatch(r"[\d.,]+( [\d.,]+)+", cell):  # figures that came out on one line
            cells.extend(cell.split(" "))
        elif trailing:  # a label and its figures on one line (PDF text)
            cells.append(trailing.group(1))
            cells.extend(trailing.group(2).split(" "))
        elif cell:
            cells.append(cell)
    return cells


def _number(cell: str) -> float | None:
    cell = cell.replace(",", "").replace("，", "")
    return float(cell) if _NUMBER.match(cell) else None


def split_sections(text: str) -> dict[str, str]:
    """Section number (一 … 六) → its text, by the format's headings."""
    matches = list(_HEADING.finditer(text))
    sections: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        number = match.group(1)
        if number not in sections:
            sections[number] = text[match.start():end].strip()
    return sections


def detect_format(text: str, year: int | None = None) -> str:
    """Which national format the report follows."""
    if re.search(r"本年制发件数|现行有效件数|本年处理决定数量", text):
        return "2021"
    if re.search(r"本年新制作数量|对外公开总数量|上一年项目数量", text):
        return "2019"
    if year is not None:  # no table labels: the year says which format the report owed
        return "2021" if year >= 2021 else "2019" if year >= 2019 else "pre2019"
    if re.search(r"本年新收|予以公开", text):
        return "unknown"
    return "pre2019" if re.search(r"(20(0\d|1[0-8]))年", text[:300]) else "unknown"


def _find_label(cells: Sequence[str], start: int, pattern: re.Pattern[str]) -> tuple[int, int] | None:
    """(first, last) cells of the first label at or after `start` matching `pattern`: PDF text breaks a
    label over lines and puts spaces inside it, so up to three text cells are read as one."""
    for first in range(start, len(cells)):
        if _number(cells[first]) is not None:
            continue
        if pattern.search(cells[first]):
            return first, first
        joined = ""
        for last in range(first, min(first + 3, len(cells))):
            if _number(cells[last]) is not None:
                break
            joined += "".join(cells[last].split())
            if pattern.search(joined):
                return first, last
    return None


def _text_applications(section: str, reasons: dict[str, str]) -> Rows:
    """Application rows read from a text copy of the table (cells in reading order)."""
    cells = _cells(section)
    patterns = [(label, re.compile(pattern)) for label, pattern in RESULT_ROWS]
    rows: Rows = {}
    bare_other = False
    position = 0
    for index, (label, pattern) in enumerate(patterns):
        found = _find_label(cells, position, pattern)
        if found is None:
            reasons[label] = "not found"
            continue
        later = [p for _l, p in patterns[index + 1:]]
        values: list[Cell] = []
        cursor = found[1] + 1
        while cursor < len(cells) and len(values) < 7:
            number = _number(cells[cursor])
            if number is not None:
                values.append(Cell(number))
            elif any(p.search(cells[cursor]) for p in later):
                break
            cursor += 1
        if len(values) < 7:
            reasons[label] = f"has {len(values)} of 7 figures"
            continue
        rows[label] = tuple(values)
        bare_other = bare_other or (label == _SUB_OTHER[0] and re.sub(r"\s+", "", cells[found[0]])[-4:] == "其他处理")
        position = cursor
    if bare_other and not any(label in rows for label in _SUB_OTHER[1:]):
        rows[OTHER_SINGLE_ROW] = rows.pop(_SUB_OTHER[0])  # a 2019 form: （六）其他处理 is one row
    return rows


def _grid_applications(tables: Sequence[Table], notes: dict[str, str]) -> Rows:
    """Application rows read from the documents' table grids, blanks in their columns."""
    data: list[GridRow] = []
    for table in tables:
        data += application_grid(table) or []
    if not data:
        return {}
    matched = align_rows([row.label for row in data], _GRID_KEYS)
    rows: Rows = {}
    for expected, (index, note) in sorted(matched.items()):
        label = _GRID_LABELS[expected]
        rows[label] = data[index].cells
        if note:
            notes[label] = note
    return rows


def _applications(section: str | None, tables: Sequence[Table], unplaced: list[str]) -> tuple[Rows, dict[str, str]]:
    """Rows of the application table from the grids, rows they miss from the text; unplaced says why not."""
    notes: dict[str, str] = {}
    rows = _grid_applications(tables, notes)
    reasons: dict[str, str] = {}
    if section is not None and len(rows) < len(RESULT_ROWS):
        for label, values in _text_applications(section, reasons).items():
            rows.setdefault(label, values)
    if section is None and not rows:
        unplaced.append("三: section not found")
        return rows, notes
    skip = _SUB_OTHER if OTHER_SINGLE_ROW in rows else ()
    for label, _pattern in RESULT_ROWS:
        if label not in rows and label not in skip:
            unplaced.append(f"三: row {label!r} {reasons.get(label, 'not found')}")
    return rows, notes


def _article20(section: str | None, tables: Sequence[Table], fmt: str, unplaced: list[str]) -> list[Figure]:
    """第二十条 figures from the grids, items they miss from the section's text."""
    columns = _ARTICLE20_2021 if fmt == "2021" else _ARTICLE20_2019
    figures: dict[tuple[str, str], Figure] = {}
    for table in tables:
        for item, name, cell in article20_grid(table, columns):
            figures.setdefault((item, name), Figure("二", item, name, cell.value or 0.0, cell.note))
    found = {item for item, _name in figures}
    if section is not None:
        for figure in _text_article20(section, columns, unplaced, found):
            figures.setdefault((figure.row_label, figure.col_label), figure)
    return list(figures.values())


def _text_article20(section: str, columns: dict[str, tuple[str, ...]], unplaced: list[str],
                    found: set[str]) -> list[Figure]:
    cells = _cells(section)
    figures = []
    for index, cell in enumerate(cells):
        label = cell.replace(" ", "")
        if label not in columns:
            label = cell.rsplit(" ", 1)[-1]  # "第二十条第（五）项 行政许可" on one PDF line
        if label not in columns or label in found:
            continue
        names = columns[label]
        values: list[Cell] = []
        for follow in cells[index + 1:index + 1 + len(names)]:
            parsed = parse_cell(follow, "万元" if "万元" in names[len(values)] else "")
            if parsed is None or parsed.value is None:
                break
            values.append(parsed)
        if not values:
            unplaced.append(f"二: no figures after {label!r}")
        figures += [Figure("二", label, name, value.value or 0.0, value.note)
                    for name, value in zip(names, values, strict=False)]
    return figures


def _text_review(section: str, unplaced: list[str]) -> list[Cell]:
    """The 15 figures of the 复议/诉讼 table: the first run of 15 figure cells, so numbers in prose never count."""
    run: list[float] = []
    longest = 0
    for cell in _cells(section):
        number = _number(cell)
        if number is None:
            if len(run) >= 15:
                break
            longest, run = max(longest, len(run)), []
            continue
        run.append(number)
    if len(run) >= 15:
        return [Cell(value) for value in run[:15]]
    if max(longest, len(run)) or "行政复议" in section:
        unplaced.append(f"四: no row of 15 figures (longest run {max(longest, len(run))})")
    return []


def _review(section: str | None, tables: Sequence[Table], unplaced: list[str]) -> list[Figure]:
    cells = next((found for found in (review_grid(table) for table in tables) if found), None)
    if cells is None and section is not None:
        cells = _text_review(section, unplaced) or None
    elif cells is None and tables:
        unplaced.append("四: section not found")
    return [Figure("四", column.split(" ", 1)[0], column.split(" ", 1)[1], cell.value or 0.0, cell.note)
            for column, cell in zip(REVIEW_COLUMNS, cells or [], strict=False)]


def _row_figures(rows: Rows, notes: dict[str, str]) -> list[Figure]:
    figures = []
    for label, cells in rows.items():
        for column, cell in zip(APPLICANT_COLUMNS, cells, strict=False):
            note = "; ".join(part for part in (notes.get(label, ""), cell.note) if part)
            figures.append(Figure("三", label, column, cell.value or 0.0, note))
    return figures


def _v(cell: Cell) -> float:
    return cell.value or 0.0


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _missing(rows: Rows, labels: Sequence[str]) -> str:
    absent = [label for label in labels if label not in rows]
    return f"row {absent[0]} not found" + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else "")


def _balance_check(rows: Rows) -> Check:
    name = "勾稽关系: 一+二 = 七总计+四"
    needed = (RESULT_ROWS[0][0], RESULT_ROWS[1][0], "（七）总计", "四、结转下年度继续办理")
    if not all(label in rows for label in needed):
        return Check(name, False, _missing(rows, needed), ran=False)
    first, second, total, carried = (rows[label] for label in needed)
    bad = [f"{APPLICANT_COLUMNS[c]}: 一 {_fmt(_v(first[c]))} + 二 {_fmt(_v(second[c]))} ≠ 七 {_fmt(_v(total[c]))} "
           f"+ 四 {_fmt(_v(carried[c]))}" for c in range(7)
           if abs(_v(first[c]) + _v(second[c]) - _v(total[c]) - _v(carried[c])) > 1e-9]
    return Check(name, not bad, "columns off: " + "; ".join(bad) if bad else "")


def _row_total_check(rows: Rows) -> Check:
    name = "每行总计 = 各申请人之和"
    if not rows:
        return Check(name, False, "no row of the application table found", ran=False)
    bad = [f"{label}: {'+'.join(_fmt(_v(c)) for c in cells[:6])} ≠ 总计 {_fmt(_v(cells[6]))}"
           for label, cells in rows.items() if abs(sum(_v(c) for c in cells[:6]) - _v(cells[6])) > 1e-9]
    return Check(name, not bad, "; ".join(bad))


def _parts_check(rows: Rows) -> Check:
    name = "（七）总计 = （一）至（六）之和"
    parts = [p for p in _PARTS if p not in _SUB_OTHER] + ([OTHER_SINGLE_ROW] if OTHER_SINGLE_ROW in rows
                                                           else list(_SUB_OTHER))
    if not all(label in rows for label in (*parts, "（七）总计")):
        return Check(name, False, _missing(rows, (*parts, "（七）总计")), ran=False)
    total = rows["（七）总计"]
    bad = [f"{APPLICANT_COLUMNS[c]}: （一）至（六） {_fmt(sum(_v(rows[p][c]) for p in parts))} ≠ （七）总计 "
           f"{_fmt(_v(total[c]))}" for c in range(7) if abs(sum(_v(rows[p][c]) for p in parts) - _v(total[c])) > 1e-9]
    return Check(name, not bad, "columns off: " + "; ".join(bad) if bad else "")


def _review_check(review: Sequence[Figure]) -> Check:
    name = "复议/诉讼 总计 = 四项之和"
    if len(review) != 15:
        return Check(name, False, "row of the 复议/诉讼 table not found", ran=False)
    values = [f.value for f in review]
    bad = [f"{REVIEW_COLUMNS[g * 5].rsplit(' ', 1)[0]}: {'+'.join(_fmt(v) for v in values[g * 5:g * 5 + 4])} ≠ 总计 "
           f"{_fmt(values[g * 5 + 4])}" for g in range(3)
           if abs(sum(values[g * 5:g * 5 + 4]) - values[g * 5 + 4]) > 1e-9]
    return Check(name, not bad, "; ".join(bad))


def _checks(rows: Rows, review: Sequence[Figure]) -> list[Check]:
    """The format's four checks, each run wherever its rows exist; real errors are reported, never repaired."""
    return [_balance_check(rows), _row_total_check(rows), _parts_check(rows), _review_check(review)]


def _statistics(tables: Sequence[Table]) -> tuple[list[Figure], list[Check]]:
    """Figures and checks of a pre-2019 统计表: each row with its own label, parts checked against their total."""
    figures: list[Figure] = []
    totals: dict[str, dict[str, float]] = {}
    parts: dict[str, list[tuple[str, dict[str, float]]]] = {}
    exhaustive: set[str] = set()
    for table in tables:
        for row in stat_table_grid(table) or []:
            label = f"{row.parent} 其中：{row.label}" if row.parent else row.label
            values = {column: _v(cell) for column, cell in row.cells}
            for column, cell in row.cells:
                note = "; ".join(part for part in (f"unit: {row.unit}" if row.unit else "", cell.note) if part)
                figures.append(Figure("pre2019", label, column, _v(cell), note))
            if row.parent:
                parts.setdefault(row.parent, []).append((row.label, values))
                if row.exhaustive:
                    exhaustive.add(row.parent)
            else:
                totals[row.label] = values
    return figures, [_stat_check(total, totals.get(total, {}), items, total in exhaustive and len(items) > 1)
                     for total, items in parts.items()]


def _stat_check(total: str, values: dict[str, float], items: list[tuple[str, dict[str, float]]],
                exhaustive: bool) -> Check:
    name = f"{total}: 其中各项之和 = 总数" if exhaustive else f"{total}: 其中各项 ≤ 总数"
    bad = []
    for column, whole in values.items():
        sums = [(label, part.get(column, 0.0)) for label, part in items]
        if exhaustive and abs(sum(v for _l, v in sums) - whole) > 1e-9:
            bad.append(f"{column}: {'+'.join(_fmt(v) for _l, v in sums)} ≠ {_fmt(whole)}")
        elif not exhaustive:
            bad += [f"{column}: {label} {_fmt(v)} > {_fmt(whole)}" for label, v in sums if v > whole + 1e-9]
    return Check(name, not bad, "; ".join(bad))


def _simplified(table: Table) -> Table:
    """A table in simplified script, a cell's inner line breaks as spaces (one OpenCC call per table)."""
    joined = to_simplified("\n".join("\t".join(_CELL_BREAKS.sub(" ", cell) for cell in row) for row in table))
    return tuple(tuple(line.split("\t")) for line in joined.split("\n"))


def missing_figures(parse: ReportParse) -> list[str]:
    """The standard figures of 二, 三 and 四 the parse lacks (`section|row|column`); a pre-2019 report owes
    only a 统计表, so it lacks something only when no figure was read."""
    if parse.format == "pre2019":
        return [] if parse.figures else ["pre2019|统计表|"]
    have = {(f.section, f.row_label, f.col_label) for f in parse.figures}
    article20 = _ARTICLE20_2019 if parse.format == "2019" else _ARTICLE20_2021
    wanted = [("二", item, name) for item, names in article20.items() for name in names]
    single = any(row == OTHER_SINGLE_ROW for _s, row, _c in have)
    rows = [label for label in _GRID_LABELS if label not in (_SUB_OTHER if single else (OTHER_SINGLE_ROW,))]
    wanted += [("三", row, column) for row in rows for column in APPLICANT_COLUMNS]
    wanted += [("四", column.split(" ", 1)[0], column.split(" ", 1)[1]) for column in REVIEW_COLUMNS]
    return ["|".join(key) for key in wanted if key not in have]


def parse_report(text: str, tables: Sequence[Table] = (), year: int | None = None) -> ReportParse:
    """Figures, sections, checks and unplaced items of a report's text and tables (never raises)."""
    try:
        return _parse(to_simplified(text or ""), tuple(_simplified(t) for t in tables if t), year)
    except (ValueError, IndexError, RecursionError) as exc:  # the corpus test keeps this branch unreachable
        return ReportParse("unknown", unplaced=(f"parser error: {exc}",))


def _parse(text: str, tables: Sequence[Table], year: int | None) -> ReportParse:
    if tables and "本年新收" not in text:  # structured tables not already written into the text
        text += "\n\n" + "\n\n".join("\n".join("\t".join(row) for row in table) for table in tables)
    fmt = detect_format(text, year)
    sections = split_sections(text)
    ordered = tuple((SECTIONS[" 一二三四五六".index(n) - 1], sections[n]) for n in "一二三四五六" if n in sections)
    if fmt == "pre2019" or (fmt == "unknown" and not re.search(r"本年新收|予以公开", text)):
        stat_figures, stat_checks = _statistics(tables)
        return ReportParse(fmt, tuple(stat_figures), ordered, tuple(stat_checks))
    unplaced: list[str] = []
    figures: list[Figure] = []
    if fmt in ("2021", "2019"):
        figures += _article20(sections.get("二"), tables, fmt, unplaced)
    rows, notes = _applications(sections.get("三"), tables, unplaced)
    figures += _row_figures(rows, notes)
    review = _review(sections.get("四"), tables, unplaced)
    figures += review
    checks = _checks(rows, review)
    unplaced += [f"check not run: {check.name}: {check.detail}" for check in checks if not check.ran]
    return ReportParse(fmt, tuple(figures), ordered, tuple(checks), tuple(unplaced))
