"""nianbao's page builders on small real indexes: the standard form's tables with a failing check marked
on its cells, encoding notes in words, binary captures recognised by their bytes, download names, the
deadlines of art. 49 and the coverage statuses."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from archive.db import connect
from archive.index.figures import update_figures
from archive.index.schema import index_text, open_index
from archive.serve.coverage import coverage_page
from archive.serve.deadlines import deadline, is_government, status
from archive.serve.raw import binary_kind, download_name
from archive.serve.report import mojibake_words, report_page, text_html
from crawler.demo.build import make_docx, make_pdf
from crawler.demo.reports import as_lines, make_report
from extract.metadata import to_simplified
from tests.conftest import FIXTURES


def _insert(db_path: Path, rows: list[dict[str, object]]) -> None:
    db = open_index(db_path)
    for row in rows:
        text = str(row.get("text", ""))
        title = str(row["title"])
        db.conn.execute(
            "insert into documents (id, url, agency, province, title, title_simplified, year, published, kind, "
            "is_report, text, text_simplified, mojibake_detail, parent_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?)", (row["id"], f"http://127.0.0.2/{row['id']}.html", row["agency"], row.get("province", "浙江省"),
                          title, to_simplified(title), row.get("year"), row.get("published", ""),
                          row.get("kind", "html"), row.get("is_report", 1), text, to_simplified(text),
                          row.get("mojibake_detail", ""), row.get("parent_id")))
        index_text(db.conn, int(str(row["id"])), to_simplified(title), to_simplified(text))
    db.conn.commit()
    update_figures(db)
    db.conn.close()


@pytest.fixture
def index(tmp_path: Path) -> Path:
    lines = as_lines(make_report("德清县应急管理局", 2023, 3))
    # a row whose total is not the sum of its cells, as reports typed by hand have
    lines = [re.sub(r"\t(\d+)$", lambda m: f"\t{int(m.group(1)) + 1}", line) if line.startswith("一、本年新收")
             else line for line in lines]
    detail = {"counts": {"gbk-misalignment": 5, "pinyin-annotation": 159}, "inferred": [["強", "lead byte 0x8F"]],
              "unrepaired": 3, "verdict": "damaged"}
    path = tmp_path / "index.db"
    title = "德清县应急管理局2023年政府信息公开工作年度报告"
    _insert(path, [
        {"id": 1, "agency": "德清县应急管理局", "title": title, "year": 2023, "published": "2024-02-20",
         "text": "\n".join(lines), "mojibake_detail": json.dumps(detail, ensure_ascii=False)},
        {"id": 2, "agency": "德清县应急管理局", "title": title + ".pdf", "year": 2023, "kind": "pdf", "parent_id": 1,
         "text": "\n".join(lines)},
        {"id": 3, "agency": "德清县乾元镇人民政府", "title": "乾元镇2023年政府信息公开工作年度报告", "year": 2023,
         "published": "2024-02-20", "text": "一、总体情况"},
    ])
    return path


def test_failing_check_is_marked_on_the_cells_it_concerns(index: Path) -> None:
    status_code, html = report_page(index, 1)
    assert status_code == 200
    assert html.count("<table class='form") == 3
    row = re.search(r"<tr><th>一、本年新收政府信息公开申请数量</th>(.*?)</tr>", html)
    assert row, html
    cells = re.findall(r"<td class='([^']*)'>([^<]*)</td>", row.group(1))
    assert [c for c, _v in cells] == ["num"] * 6 + ["num bad"]  # only the total that does not add up
    assert "每行总计 = 各申请人之和：未通过" in html


def test_report_page_says_encoding_damage_in_words_and_lists_copies(index: Path) -> None:
    _status, html = report_page(index, 1)
    assert "GBK 字节错位 5 处" in html and "转换器加注的拼音 159 处" in html and "3 处无法修复" in html
    assert "{&quot;counts&quot;" not in html and '{"counts"' not in html
    assert "href='/-/report/2'" in html and "（PDF）" in html
    assert "截止 2024-01-31：逾期" in html  # a department: 31 January


def test_mojibake_words_keeps_an_unknown_note_readable() -> None:
    assert mojibake_words("not json") == "not json"
    assert "新的类型 2 处" in mojibake_words(json.dumps({"counts": {"新的类型": 2}, "verdict": "repaired"}))


def test_merged_cells_are_drawn_once_but_equal_numbers_stay_apart() -> None:
    html = text_html("表头\n行政复议\t行政复议\t行政复议\t行政诉讼\t行政诉讼\n0\t0\t0\t1\t1\n")
    assert "<td colspan='3'>行政复议</td><td colspan='2'>行政诉讼</td>" in html
    assert "<td>0</td><td>0</td><td>0</td><td>1</td><td>1</td>" in html


def test_binary_captures_are_recognised_by_their_bytes() -> None:
    pdf = make_pdf(["德清县应急管理局2023年政府信息公开工作年度报告"])
    report = make_report("德清县应急管理局", 2023, 3)
    docx = make_docx(report)
    xls = (FIXTURES / "attachments" / "figures2023.xls").read_bytes()
    assert binary_kind(pdf) == "pdf"
    assert binary_kind(docx) == "docx"
    assert binary_kind(xls) == "ole"
    assert binary_kind("<html><body>年度报告</body></html>".encode("gb18030")) == ""
    assert binary_kind("年度报告".encode("utf-16")) == ""  # UTF-16 text has NUL bytes, and a BOM
    assert binary_kind(b"\x89PNG\r\n\x1a\n" + bytes(64)) == "png"


def test_download_keeps_the_original_name() -> None:
    pdf = make_pdf(["报告"])
    assert download_name("http://127.0.0.2/files/P020240120.pdf", "", pdf, 7) == "P020240120.pdf"
    named = "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.docx"
    assert download_name("http://127.0.0.2/down?id=3", named, b"PK\x03\x04word/", 7) == "年报.docx"
    assert download_name("http://127.0.0.2/down?id=3", 'attachment; filename="report.doc"', b"", 7) == "report.doc"
    assert download_name("http://127.0.0.2/attach/abc", "", pdf, 7) == "abc.pdf"
    assert download_name("http://127.0.0.2/", "", b"<html>", 7) == "capture-7.html"
    # a GBK file name sent raw, as warcio hands it over (bytes read as Latin-1)
    raw = 'attachment; filename="' + "2023年年报.pdf".encode("gbk").decode("latin-1") + '"'
    assert download_name("http://127.0.0.2/down?id=3", raw, pdf, 7) == "2023年年报.pdf"


def test_deadlines_follow_article_49() -> None:
    assert is_government("德清县乾元镇人民政府") and is_government("遂溪縣城月鎮")
    assert is_government("西湖区北山街道办事处")
    assert not is_government("德清县应急管理局") and is_government("德清县应急管理局", level="government")
    assert deadline(2023, government=False) == date(2024, 1, 31)
    assert deadline(2023, government=True) == date(2024, 3, 31)
    assert deadline(2018, government=False) == date(2019, 3, 31)  # before the revision: 31 March for all
    today = date(2025, 2, 15)
    assert status(2024, False, "2025-01-31", True, "", today) == "on_time"
    assert status(2024, False, "2025-02-01", True, "", today) == "late"
    assert status(2024, True, None, False, "", today) == "not_due"
    assert status(2024, False, None, False, "", today) == "missing"
    assert status(2024, False, None, False, "blocked", today) == "blocked"
    assert status(2024, False, None, False, "unreachable", today) == "unreachable"


def test_coverage_marks_late_reports_and_explains_a_missing_one(index: Path) -> None:
    _status, html = coverage_page(index, today=date(2024, 3, 1))
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>浙江省</td><td>([^<]+)</td>(.*?)</tr>", html)}
    assert "data-status='late'" in rows["德清县应急管理局"]  # published 20 February: after 31 January
    assert "data-status='on_time'" in rows["德清县乾元镇人民政府"]  # a township: by 31 March
    _status, html = coverage_page(index, {"agency": "德清县应急管理局", "province": "浙江省", "year": "2022"},
                                  today=date(2024, 3, 1))
    assert "未找到 2022 年度报告" in html


def test_coverage_tells_an_unreachable_site_from_a_missing_report(index: Path) -> None:

    with connect(index) as conn:  # a seed whose portal never answered: no capture of its URL
        conn.execute("insert into agencies (agency, province, url) values ('德清县财政局', '浙江省', "
                     "'http://127.0.0.9:1/')")
    _status, html = coverage_page(index, today=date(2024, 6, 1))
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>浙江省</td><td>([^<]+)</td>(.*?)</tr>", html)}
    assert "data-status='unreachable'" in rows["德清县财政局"]
    assert "data-status='unreachable'" not in rows["德清县应急管理局"]  # not a seed here: its reports are held
    _status, html = coverage_page(index, {"agency": "德清县财政局", "province": "浙江省", "year": "2023"},
                                  today=date(2024, 6, 1))
    assert "没有应答" in html


def test_cached_pages_follow_the_index_as_it_changes(index: Path) -> None:
    """A live crawl writes the index while it is served: kept answers must not outlive the index state."""
    _status, before = coverage_page(index, today=date(2024, 6, 1))
    assert "德清县民政局" not in before
    _insert(index, [{"id": 4, "agency": "德清县民政局", "title": "德清县民政局2023年政府信息公开工作年度报告",
                     "year": 2023, "published": "2024-01-10", "text": "一、总体情况"}])
    _status, after = coverage_page(index, today=date(2024, 6, 1))
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>浙江省</td><td>([^<]+)</td>(.*?)</tr>", after)}
    assert "data-status='on_time'" in rows["德清县民政局"]


def test_coverage_filters_by_city_as_the_seeds_name_it(index: Path) -> None:

    with connect(index) as conn:
        conn.executemany("insert into agencies (agency, province, city, url) values (?, '浙江省', ?, ?)",
                         [("德清县应急管理局", "湖州市", "http://127.0.0.3:1/"), ("杭州市财政局", "杭州市", "http://127.0.0.4:1/")])
    _status, html = coverage_page(index, {"province": "浙江省", "city": "湖州市"}, today=date(2024, 6, 1))
    assert "德清县应急管理局" in html and "杭州市财政局" not in html


def test_figures_count_a_report_and_its_pdf_copy_once(index: Path) -> None:
    import csv
    import io

    from archive.serve.figures import figures_csv

    with connect(index) as conn:
        received = conn.execute("select value from report_figures where document_id = 1 and section = '三' and "
                                "row_label like '一、本年新收%' and col_label = '总计'").fetchone()[0]
        copies = conn.execute("select count(distinct document_id) from report_figures").fetchone()[0]
    assert copies == 2  # the page and its PDF both carry the table
    rows = list(csv.DictReader(io.StringIO(figures_csv(index, {"agency": ["德清县应急管理局"]}))))
    assert [(r["series"], r["year"]) for r in rows] == [("德清县应急管理局", "2023")]
    assert float(rows[0]["依申请公开 收到申请"]) == received
    province = list(csv.DictReader(io.StringIO(figures_csv(index, {"province": ["浙江省"]}))))
    assert float(province[0]["依申请公开 收到申请"]) == received  # the township's report has no table


def test_the_seeds_level_column_decides_the_deadline(index: Path) -> None:
    """A seeds file may say which agencies are governments (`level`); the run record keeps it in `extra`."""
    archive = index.parent
    (archive / "runs").mkdir(exist_ok=True)
    seeds = [{"agency": "德清县应急管理局", "province": "浙江省", "url": "http://127.0.0.3:1/",
              "extra": {"level": "government"}}]
    (archive / "runs" / "20240601T000000000000Z-0001.json").write_text(
        json.dumps({"id": "20240601T000000000000Z-0001", "seeds": seeds}, ensure_ascii=False), encoding="utf-8")
    _status, html = coverage_page(index, today=date(2024, 6, 1), archive=archive)
    rows = {m.group(1): m.group(2) for m in re.finditer(r"<tr><td>浙江省</td><td>([^<]+)</td>(.*?)</tr>", html)}
    assert "data-status='on_time'" in rows["德清县应急管理局"]  # a government: 31 March, not 31 January
    _status, page_html = report_page(index, 1, archive)
    assert "截止 2024-03-31：按时" in page_html
    _status, without = report_page(index, 1)
    assert "截止 2024-01-31：逾期" in without


_FORM_THREE_HEAD = """<html><head><meta charset="gbk"><title>德清县民政局2023年政府信息公开工作年度报告</title></head>
<body><div class="TRS_Editor"><p>三、收到和处理政府信息公开申请情况</p><table border="1">
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
<td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>5</td><td>5</td><td>0</td><td>0</td><td>0</td><td>0</td>
<td>10</td></tr></table></div></body></html>"""


def _index_with_spans(tmp_path: Path) -> Path:
    """An index holding an extracted report page with its tables and their spans, stored as JSON beside
    each other (`documents.tables`, `documents.table_spans`)."""
    from extract.document import document
    from extract.table_grid import table_spans

    doc = document(_FORM_THREE_HEAD.encode("gbk"), {"Content-Type": "text/html"}, "http://127.0.0.2/5.html")
    path = tmp_path / "index.db"
    _insert(path, [{"id": 5, "agency": "德清县民政局", "title": doc.title, "year": 2023, "text": doc.text}])
    with connect(path) as conn:
        if "table_spans" not in {row[1] for row in conn.execute("pragma table_info(documents)")}:
            conn.execute("alter table documents add column table_spans text")
        conn.execute("update documents set tables = ?, table_spans = ? where id = 5",
                     (json.dumps([list(map(list, t)) for t in doc.tables], ensure_ascii=False),
                      json.dumps([[list(span) for span in table_spans(t)] for t in doc.tables])))
    return path


def test_report_page_draws_each_merged_cell_once_with_its_spans(tmp_path: Path) -> None:
    _status, html = report_page(_index_with_spans(tmp_path), 5)
    table = re.search(r"<table class='doc'>.*?</table>", html)
    assert table, html
    body = table.group(0)
    assert "<td rowspan='3' colspan='3'>（本列数据的勾稽关系为" in body
    assert body.count("申请人情况") == 1 and "<td colspan='7'>申请人情况</td>" in body
    assert "<td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td>" in body
    assert body.count("自然人") == 1 and body.count("总计") == 1
    # the row under them holds only the slots nobody covers; equal figures side by side stay apart
    assert "<tr><td>商业企业</td><td>科研机构</td>" in body
    assert "<td>5</td><td>5</td><td>0</td>" in body


def test_a_table_the_text_does_not_match_keeps_the_label_merging() -> None:
    """Text tables of a PDF (no grid) or text repaired after extraction: equal labels still drawn once."""
    html = text_html("表头\n行政复议\t行政复议\t行政诉讼\n0\t0\t1\n", [[["其他", "表格"]]], [[[0, 0, 1, 2]]])
    assert "<td colspan='2'>行政复议</td><td>行政诉讼</td>" in html


def test_pages_read_an_index_made_before_schema_5_the_same_way(index: Path) -> None:
    """`nianbao serve` only reads: an index no newer nianbao has opened for writing has no `report_years` or
    `names`, and the pages compute them from the documents instead."""
    from archive.serve.figures import figures_csv
    from archive.serve.home import home_page
    from archive.serve.reports import reports_page

    def pages() -> list[str]:
        return [coverage_page(index, today=date(2024, 6, 1))[1],
                coverage_page(index, {"province": "浙江省", "agency": "德清县应急管理局", "year": "2022"},
                              today=date(2024, 6, 1))[1],
                reports_page(index, {"province": "浙江省"}, date(2024, 6, 1))[1], home_page(index)[1],
                figures_csv(index, {"province": ["浙江省"]})]

    before = pages()
    with connect(index) as conn:  # made by schema 5: no agency_reports
        conn.executescript("drop table agency_reports;")
    assert pages() == before
    with connect(index) as conn:
        for (name,) in conn.execute("select name from sqlite_master where type = 'trigger'").fetchall():
            conn.execute(f"drop trigger {name}")
        conn.executescript("drop table report_years; drop table names; drop index report_figures_headline;")
    assert pages() == before
    assert "德清县应急管理局" in before[2] and "未找到 2022 年度报告" in before[1]
