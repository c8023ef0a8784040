"""Standard statistics: exact figures in every layout, the format's checks, never an exception."""

from __future__ import annotations


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.demo.build import make_docx, make_pdf
from crawler.demo.reports import APPLICANT_COLUMNS, as_html, as_lines, make_report
from extract.document import document
from extract.tables import RESULT_ROWS, REVIEW_COLUMNS, parse_report
from tests.conftest import seed_text

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
    for (label, _pattern), row in zip(RESULT_ROWS, report.applications):
        for column, value in zip(APPLICANT_COLUMNS, row[1:]):
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
    for column, value in zip(REVIEW_COLUMNS, report.review):
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
@given(st.text(alphabet=st.sampled_from(list("一二三四五六、（）()|\t\n 0123456789.总计本年新收予以公开结转下年度行政复议规章")),
               max_size=400),
       st.integers(0, 4), st.integers(0, 3000))
def test_parser_never_raises(noise: str, number: int, cut: int) -> None:
    text = seed_text(number)
    for candidate in (noise, text[:cut] + noise, noise + text[cut:]):
        result = parse_report(candidate)
        assert result.format in ("2021", "2019", "pre2019", "unknown")
