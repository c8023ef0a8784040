"""The reports' standard statistics, read by their labels whatever flattening the tables went through.

Tables reach us as real HTML tables (tab-separated rows in the text), one cell per line with `|`
separators (seed 001), one cell per line with blank lines (seed 002), tab-separated rows with empty cells
(seed 003) or PDF text. All of them reduce to a stream of cells: the parser finds each row's label in the
stream (in the order the national format fixes) and reads the figures that follow it, so a lost or
merged cell costs one row, never the table. The format's own consistency checks are then run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .metadata import to_simplified

__all__ = ["ReportParse", "Figure", "Check", "parse_report", "APPLICANT_COLUMNS", "RESULT_ROWS", "REVIEW_COLUMNS"]

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
SECTIONS = ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项")
_HEADING = re.compile(r"^\s*([一二三四五六])\s*[、.．]\s*(总体情况|主动公开|收到和处理|.{0,12}行政复议|存在的主要问题|"
                      r"其他需要报告|依申请公开|因政府信息公开|存在问题)", re.MULTILINE)
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Figure:
    """One figure of a report's tables."""

    section: str  # 二 | 三 | 四
    row_label: str
    col_label: str
    value: float


@dataclass(frozen=True)
class Check:
    """One consistency check the format defines."""

    name: str
    ok: bool
    detail: str


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
        cell = re.sub(r"\s+", " ", raw).strip()
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


def _application_rows(section: str, unplaced: list[str]) -> dict[str, tuple[float, ...]]:
    cells = _cells(section)
    patterns = [(label, re.compile(pattern)) for label, pattern in RESULT_ROWS]
    rows: dict[str, tuple[float, ...]] = {}
    position = 0
    for index, (label, pattern) in enumerate(patterns):
        start = next((i for i in range(position, len(cells)) if _number(cells[i]) is None and pattern.search(cells[i])),
                     None)
        if start is None:
            unplaced.append(f"三: row {label!r} not found")
            continue
        later = [p for _l, p in patterns[index + 1:]]
        values: list[float] = []
        cursor = start + 1
        while cursor < len(cells) and len(values) < 7:
            cell = cells[cursor]
            number = _number(cell)
            if number is not None:
                values.append(number)
            elif any(p.search(cell) for p in later):
                break
            cursor += 1
        if len(values) < 7:
            unplaced.append(f"三: row {label!r} has {len(values)} of 7 figures")
            continue
        rows[label] = tuple(values)
        position = cursor
    return rows


def _article20(section: str, fmt: str, unplaced: list[str]) -> list[Figure]:
    columns = _ARTICLE20_2021 if fmt == "2021" else _ARTICLE20_2019
    cells = _cells(section)
    figures = []
    for index, cell in enumerate(cells):
        label = cell.replace(" ", "")
        if label not in columns:
            label = cell.rsplit(" ", 1)[-1]  # "第二十条第（五）项 行政许可" on one PDF line
            if label not in columns:
                continue
        names = columns[label]
        values = []
        for follow in cells[index + 1:index + 1 + len(names)]:
            number = _number(follow)
            if number is None:
                break
            values.append(number)
        if not values:
            unplaced.append(f"二: no figures after {label!r}")
        figures += [Figure("二", label, name, value) for name, value in zip(names, values)]
    return figures


def _review(section: str, unplaced: list[str]) -> list[Figure]:
    numbers = [n for n in (_number(c) for c in _cells(section)) if n is not None]
    if len(numbers) < 15:
        if numbers or "行政复议" in section:
            unplaced.append(f"四: {len(numbers)} of 15 figures")
        return []
    return [Figure("四", column.split(" ", 1)[0], column.split(" ", 1)[1], value)
            for column, value in zip(REVIEW_COLUMNS, numbers[-15:])]


def _checks(rows: dict[str, tuple[float, ...]], review: list[Figure]) -> list[Check]:
    checks: list[Check] = []
    first, second = rows.get(RESULT_ROWS[0][0]), rows.get(RESULT_ROWS[1][0])
    total, carried = rows.get("（七）总计"), rows.get("四、结转下年度继续办理")
    if first and second and total and carried:
        bad = [APPLICANT_COLUMNS[c] for c in range(7) if first[c] + second[c] != total[c] + carried[c]]
        checks.append(Check("勾稽关系: 一+二 = 七总计+四", not bad, "columns off: " + ", ".join(bad) if bad else ""))
    bad_rows = [label for label, values in rows.items() if abs(sum(values[:6]) - values[6]) > 1e-9]
    if rows:
        checks.append(Check("每行总计 = 各申请人之和", not bad_rows, "; ".join(bad_rows)))
    parts = [label for label, _pattern in RESULT_ROWS[2:-2]]
    if total and all(p in rows for p in parts):
        bad = [APPLICANT_COLUMNS[c] for c in range(7) if abs(sum(rows[p][c] for p in parts) - total[c]) > 1e-9]
        checks.append(Check("（七）总计 = （一）至（六）之和", not bad, "columns off: " + ", ".join(bad) if bad else ""))
    if len(review) == 15:
        values = [f.value for f in review]
        bad_groups = [REVIEW_COLUMNS[g * 5].rsplit(" ", 1)[0] for g in range(3)
                      if abs(sum(values[g * 5:g * 5 + 4]) - values[g * 5 + 4]) > 1e-9]
        checks.append(Check("复议/诉讼 总计 = 四项之和", not bad_groups, "; ".join(bad_groups)))
    return checks


def parse_report(text: str, tables: Sequence[Table] = (), year: int | None = None) -> ReportParse:
    """Figures, sections, checks and unplaced items of a report's text (never raises)."""
    try:
        return _parse(to_simplified(text or ""), tables, year)
    except (ValueError, IndexError, RecursionError) as exc:  # the corpus test keeps this branch unreachable
        return ReportParse("unknown", unplaced=(f"parser error: {exc}",))


def _parse(text: str, tables: Sequence[Table], year: int | None) -> ReportParse:
    if tables and "本年新收" not in text:  # structured tables not already written into the text
        text += "\n\n" + "\n\n".join("\n".join("\t".join(row) for row in table) for table in tables)
    fmt = detect_format(text, year)
    sections = split_sections(text)
    ordered = tuple((SECTIONS[" 一二三四五六".index(n) - 1], sections[n]) for n in "一二三四五六" if n in sections)
    if fmt == "pre2019":
        return ReportParse(fmt, sections=ordered)
    unplaced: list[str] = []
    figures: list[Figure] = []
    if "二" in sections and fmt in ("2021", "2019"):
        figures += _article20(sections["二"], fmt, unplaced)
    rows = _application_rows(sections.get("三", ""), unplaced) if "三" in sections else {}
    if "三" not in sections:
        unplaced.append("三: section not found")
    for label, values in rows.items():
        figures += [Figure("三", label, column, value) for column, value in zip(APPLICANT_COLUMNS, values)]
    review = _review(sections["四"], unplaced) if "四" in sections else []
    figures += review
    return ReportParse(fmt, tuple(figures), ordered, tuple(_checks(rows, review)), tuple(unplaced))
