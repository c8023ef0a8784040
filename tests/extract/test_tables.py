"""Standard statistics: exact figures in every layout, the format's checks, never an exception."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.demo.build import make_docx, make_pdf
from crawler.demo.reports import APPLICANT_COLUMNS, as_html, as_lines, make_report
from extract.document import document
from extract.tables import OTHER_SINGLE_ROW, RESULT_ROWS, REVIEW_COLUMNS, ReportParse, parse_report
from tests.conftest import FIXTURES, seed_text
from tests.fixtures.reports.cases import all_reports, report_2021
from tests.fixtures.reports.make import make_pdf as draw_report
from tests.fixtures.reports.spec import Report

REPORTS_DIR = FIXTURES / "reports"

SEED_FIGURES = {  # every non-zero figure printed in the seeds (all others are 0)
    1: {("二", "行政规范性文件", "现行有效件数"): 7, ("二", "行政许可", "本年处理决定数量"): 867,
        ("二", "行政处罚", "本年处理决定数量"): 11},
    2: {("二", "行政许可", "本年处理决定数量"): 13, ("二", "行政处罚", "本年处理决定数量"): 5},
    3: {("二", "行政许可", "本年处理决定数量"): 6, ("二", "行政处罚", "本年处理决定数量"): 35},
}


@pytest.mark.parametrize("number", [1, 2, 3])
def test_seeds_parse_to_the_figures_printed_in_them(number: int) -> None:
    parse = parse_report(seed_text(number))
    assert parse.format == "2021" and parse.unplaced == ()
    assert len(parse.figures) == 10 + 25 * 7 + 15
    expected = SEED_FIGURES[number]
    for figure in parse.figures:
        assert figure.value == expected.get((figure.section, figure.row_label, figure.col_label), 0), figure
    assert [check.ok for check in parse.checks] == [True, True, True, True]
    assert [name for name, _ in parse.sections][-1] == "六、其他需要报告的事项"


def test_pre_2019_report_is_recognised_and_left_alone() -> None:
    parse = parse_report(seed_text(4), year=2018)
    assert parse.format == "pre2019" and parse.figures == () and parse.checks == () and parse.unplaced == ()


def _expected(report) -> dict[tuple[str, str], float]:  # type: ignore[no-untyped-def]
    table = {}
    for (label, _pattern), row in zip(RESULT_ROWS, report.applications, strict=True):
        for column, value in zip(APPLICANT_COLUMNS, row[1:], strict=True):
            table[(label, column)] = float(value)
    return table


def _layouts(report) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    html = f"<html><head><meta charset='utf-8'><title>{report.title}</title></head><body><h1>{report.title}</h1>" \
           f"<div id='zoom'>{as_html(report)}</div></body></html>"
    return {"html": html.encode(), "pdf": make_pdf(as_lines(report)), "docx": make_docx(report)}


@pytest.mark.parametrize("layout", ["html", "pdf", "docx"])
def test_demo_reports_parse_exactly_in_every_layout(layout: str) -> None:
    report = make_report("某县应急管理局", 2023, 4242)
    body = _layouts(report)[layout]
    doc = document(body, {}, f"http://127.0.0.2/r.{layout}")
    parse = parse_report(doc.text, doc.tables, doc.year)
    assert parse.format == "2021" and parse.unplaced == (), parse.unplaced
    for (row, column), value in _expected(report).items():
        assert parse.value(row, column) == value, (layout, row, column)
    for column, value in zip(REVIEW_COLUMNS, report.review, strict=True):
        group, label = column.split(" ", 1)[0], column.split(" ", 1)[1]
        assert parse.value(group, label, "四") == value
    assert parse.value("行政许可", "本年处理决定数量", "二") == report.figures["行政许可.本年处理决定数量"]
    assert all(check.ok for check in parse.checks) and len(parse.checks) == 4


def test_2019_format_is_recognised_and_parsed() -> None:
    report = make_report("某县应急管理局", 2020, 77)
    doc = document(_layouts(report)["html"], {}, "http://127.0.0.2/r.html")
    parse = parse_report(doc.text, doc.tables, doc.year)
    assert parse.format == "2019"
    assert parse.value("规范性文件", "本年新制作数量", "二") == report.figures["规范性文件.本年新制作数量"]
    assert parse.value("（七）总计", "总计") == report.figures["办理结果总计.总计"]


def test_a_broken_sum_fails_exactly_its_check() -> None:
    text = seed_text(3)
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("二、上年结转"))
    lines[index] = lines[index].replace("\t0\t0\t0\t0\t0\t0\t0", "\t2\t0\t0\t0\t0\t0\t2", 1)
    parse = parse_report("\n".join(lines))
    verdicts = {check.name: check.ok for check in parse.checks}
    assert verdicts == {"勾稽关系: 一+二 = 七总计+四": False, "每行总计 = 各申请人之和": True,
                        "（七）总计 = （一）至（六）之和": True, "复议/诉讼 总计 = 四项之和": True}
    failed = next(check for check in parse.checks if not check.ok)
    assert "自然人" in failed.detail and "总计" in failed.detail


def test_truncated_table_reports_what_it_could_not_place() -> None:
    text = seed_text(2)
    cut = text[: text.index("（五）不予处理") if "（五）不予处理" in text else text.index("(五)不予处理")]
    parse = parse_report(cut)
    assert parse.unplaced and any("结转下年度" in item or "总计" in item for item in parse.unplaced)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("一二三四五六、（）()|\t\n 0123456789."
                                             "总计本年新收予以公开结转下年度行政复议规章")),
               max_size=400),
       st.integers(0, 4), st.integers(0, 3000))
def test_parser_never_raises(noise: str, number: int, cut: int) -> None:
    text = seed_text(number)
    for candidate in (noise, text[:cut] + noise, noise + text[cut:]):
        result = parse_report(candidate)
        assert result.format in ("2021", "2019", "pre2019", "unknown")


# Reports made the way agencies make them (tests/fixtures/reports): ruled PDF tables with labels wrapped
# inside their cells, blank cells, damaged labels, the 2019 trial form, a pre-2019 统计表.
REPORTS = {report.name: (report, kind) for report, kind, _options in all_reports()}


def _fixture(name: str) -> tuple[Report, ReportParse]:
    report, kind = REPORTS[name]
    body = (REPORTS_DIR / f"{name}.{kind}").read_bytes()
    doc = document(body, {}, f"http://127.0.0.2/{name}.{kind}")
    return report, parse_report(doc.text, doc.tables, doc.year)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_fixture_reports_parse_every_figure_and_run_every_check(name: str) -> None:
    report, parse = _fixture(name)
    got = {(f.section, f.row_label, f.col_label): f.value for f in parse.figures}
    assert {key: got.get(key) for key in report.expected} == report.expected
    assert set(got) == set(report.expected)  # nothing more: no figure from prose
    assert parse.checks and all(check.ran for check in parse.checks), parse.checks
    assert all(check.ok for check in parse.checks if name != "pdf2021_error"), parse.checks


def test_pdf_wrapped_labels_are_rows_again_and_blank_cells_keep_their_columns() -> None:
    _report, parse = _fixture("pdf2021_wrapped")
    assert parse.value("（五）不予处理 5.要求行政机关确认或重新出具已获取信息", "总计") == 0
    assert parse.value("一、本年新收政府信息公开申请数量", "其他") == 1  # after three blank columns
    blank = [f for f in parse.figures if f.row_label == "（一）予以公开" and f.col_label == "科研机构"]
    assert [(f.value, f.note) for f in blank] == [(0.0, "blank")]
    assert {check.name: check.ok for check in parse.checks}["（七）总计 = （一）至（六）之和"] is True


def test_a_real_arithmetic_error_is_flagged_with_its_values_never_repaired() -> None:
    _report, parse = _fixture("pdf2021_error")
    failed = [check for check in parse.checks if not check.ok]
    assert [check.name for check in failed] == ["复议/诉讼 总计 = 四项之和"]
    assert failed[0].detail == "行政复议: 10+1+0+0 ≠ 总计 0"
    assert (parse.value("行政复议", "结果维持", "四"), parse.value("行政复议", "总计", "四")) == (10, 0)


@pytest.mark.parametrize("name", ["html2021_damaged", "pdf2021_error"])
def test_a_damaged_label_is_matched_loosely_and_says_so(name: str) -> None:
    _report, parse = _fixture(name)
    row = [f for f in parse.figures if f.row_label == "（三）不予公开 2.其他法律行政法规禁止公开"]
    assert len(row) == 7 and all("loose label" in f.note and "其他法律行政止公开" in f.note for f in row)
    assert not any("loose" in f.note for f in parse.figures if f not in row)


def test_2019_form_single_other_row_long_heading_and_no_figures_from_prose() -> None:
    _report, parse = _fixture("html2019_blanks")
    sections = dict(parse.sections)
    assert "五、存在的主要问题及改进情况" in sections
    assert "意见建议15条" not in sections["四、政府信息公开行政复议、行政诉讼情况"]
    assert parse.value(OTHER_SINGLE_ROW, "总计") == 0 and parse.value("（六）其他处理 3.其他", "总计") is None
    assert parse.value("行政复议", "尚未审结", "四") == 1 and parse.value("行政复议", "其他结果", "四") == 0
    assert parse.value("行政许可", "本年增/减", "二") == 2 and parse.value("行政处罚", "本年增/减", "二") == -1


def test_a_figure_with_a_unit_is_read_in_its_columns_unit() -> None:
    _report, parse = _fixture("html2021_damaged")
    [fee] = [f for f in parse.figures if f.row_label == "行政事业性收费"]
    assert (fee.col_label, fee.value, fee.note) == ("本年收费金额（万元）", 25.1, "unit: 元 → 万元")


def test_labels_broken_by_pdf_text_are_found_in_the_text_copy() -> None:
    text = seed_text(3).replace("确认或重新出具", "确认或重 新出具").replace("逾期不补正", "逾期不补\n正")
    parse = parse_report(text)
    assert parse.unplaced == ()
    assert all(check.ran and check.ok for check in parse.checks)


def test_numbers_in_prose_never_become_figures() -> None:
    text = seed_text(3)
    start, end = text.index("四、政府信息公开行政复议"), text.index("五、存在的主要问题")
    prose = "四、政府信息公开行政复议、行政诉讼情况\n" + "".join(
        f"本年度开展政务公开培训，参训人员 {n}\n人次，" for n in range(20, 40))  # PDF lines ending in a number
    parse = parse_report(text[:start] + prose + text[end:])
    assert [f for f in parse.figures if f.section == "四"] == []
    review = next(check for check in parse.checks if check.name == "复议/诉讼 总计 = 四项之和")
    assert not review.ran and review.detail == "row of the 复议/诉讼 table not found"


def test_a_check_that_cannot_run_says_which_row_is_missing() -> None:
    text = seed_text(3)
    parse = parse_report(text[: text.index("(七) 总计")] + text[text.index("四、结转下年度"):])
    verdicts = {check.name: (check.ran, check.detail) for check in parse.checks}
    assert verdicts["（七）总计 = （一）至（六）之和"] == (False, "row （七）总计 not found")
    assert verdicts["勾稽关系: 一+二 = 七总计+四"] == (False, "row （七）总计 not found")
    assert verdicts["每行总计 = 各申请人之和"] == (True, "")
    assert "check not run: （七）总计 = （一）至（六）之和: row （七）总计 not found" in parse.unplaced


def test_pre_2019_statistics_table_and_its_broken_sum() -> None:
    report, kind = REPORTS["html2016_statistics"]
    page = (REPORTS_DIR / f"{report.name}.{kind}").read_text(encoding="utf-8")
    page = re.sub(r"(网上申请数.*?<span>件</span>.*?<span>)6(</span>)", r"\g<1>7\g<2>", page, count=1)
    doc = document(page.encode("utf-8"), {}, "http://127.0.0.2/r.html")
    parse = parse_report(doc.text, doc.tables, doc.year)
    assert parse.format == "pre2019"
    assert parse.value("受理依申请公开信息总数 其中：网上申请数", "本年度", "pre2019") == 7
    failed = [check for check in parse.checks if not check.ok]
    assert [(c.name, c.detail) for c in failed] == [("受理依申请公开信息总数: 其中各项之和 = 总数",
                                                     "本年度: 2+7+1 ≠ 9")]


def _broken_at(filler_lines: int, split: str = "rows") -> tuple[Report, bytes]:
    """The 2021 fixture report laid out as Word breaks tables at page ends (header not repeated, page
    numbers in the footer), pushed down by `filler_lines` one-line paragraphs so that the page end falls
    on another row; `split="lines"` also breaks a row of several lines inside it."""
    filler = tuple(f"第{k}项工作已按期完成。" for k in range(filler_lines))
    report = report_2021("broken", overview=filler)
    return report, draw_report(report, "middle", split=split)


def _assert_every_figure(report: Report, body: bytes) -> None:
    doc = document(body, {}, "http://127.0.0.2/broken.pdf")
    parse = parse_report(doc.text, doc.tables, doc.year)
    got = {(f.section, f.row_label, f.col_label): f.value for f in parse.figures}
    assert {key: value for key, value in report.expected.items() if got.get(key) != value} == {}
    assert set(got) == set(report.expected)
    assert parse.checks and all(check.ran and check.ok for check in parse.checks), parse.checks


# One page's worth of shifts (57 lines) moves the page end across every row of 二, 三 and 四: the 四
# header alone at a page's foot, its figures on the next; 三's last row alone; 二 broken between its
# parts with different columns.
@pytest.mark.parametrize("filler_lines", range(40, 58))
def test_a_table_broken_across_pages_at_any_row_keeps_every_figure(filler_lines: int) -> None:
    _assert_every_figure(*_broken_at(filler_lines))


# Where this layout's page end falls inside a row of several lines: a wrapped label of 三 (its first line
# and the figures above, the rest of the label below) and 四's two-line column headers.
@pytest.mark.parametrize("filler_lines", [1, 4, 6, 27, 49])
def test_a_row_broken_across_pages_keeps_its_label_and_figures(filler_lines: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.fixtures.reports.make as maker

    broken: list[int] = []
    real = maker._break_row
    monkeypatch.setattr(maker, "_break_row", lambda grid, row, lines: broken.append(row) or real(grid, row, lines))
    report, body = _broken_at(filler_lines, split="lines")
    assert broken, "the layout no longer breaks a row here: choose the shifts again"
    _assert_every_figure(report, body)
