"""Merged cells of report tables: the grid still repeats a merged cell in every slot it covers (the figures
are read by column position), and the table says which cells are merged, for HTML and DOCX reports."""

from __future__ import annotations

import io
import pickle

import docx

from extract.document import EXTRACTOR_VERSION, document
from extract.table_grid import table_spans
from extract.tables import parse_report

# The head of the national form's table 三 as TRS/Hanweb pages publish it (GBK, a blank cell left empty).
_FORM_THREE = """<html><head><meta charset="gbk"><title>某县2023年政府信息公开工作年度报告</title></head><body>
<div class="TRS_Editor"><p>三、收到和处理政府信息公开申请情况</p>
<table border="1">
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
    <td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>12</td><td>3</td><td></td><td>0</td><td>0</td>
    <td>0</td><td>15</td></tr>
<tr><td colspan="3">二、上年结转政府信息公开申请数量</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td>
    <td>0</td><td>1</td></tr>
</table></div></body></html>"""


def _html_table() -> tuple[tuple[str, ...], ...]:
    doc = document(_FORM_THREE.encode("gbk"), {"Content-Type": "text/html"}, "http://127.0.0.2/art/2024/1/20/1.html")
    assert len(doc.tables) == 1
    return doc.tables[0]


def test_html_table_gives_its_spans_and_keeps_the_repeated_grid() -> None:
    table = _html_table()
    assert table[0][:4] == (table[0][0],) * 3 + ("申请人情况",)
    assert table[1][3:5] == ("自然人", "法人或其他组织") and table[2][3] == "自然人"  # repeated, as before
    assert table[2][4:9] == ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
    assert table_spans(table) == ((0, 0, 3, 3), (0, 3, 1, 7), (1, 3, 2, 1), (1, 4, 1, 5), (1, 9, 2, 1),
                                  (3, 0, 1, 3), (4, 0, 1, 3))


def test_the_grid_with_spans_still_gives_the_figures() -> None:
    table = _html_table()
    parse = parse_report("\n".join("\t".join(row) for row in table), (table,), 2023)
    values = {(f.row_label, f.col_label): f.value for f in parse.figures}
    assert values[("一、本年新收政府信息公开申请数量", "自然人")] == 12
    assert values[("一、本年新收政府信息公开申请数量", "总计")] == 15
    assert values[("二、上年结转政府信息公开申请数量", "自然人")] == 1


def test_spans_survive_the_indexers_process_pool() -> None:
    table = _html_table()
    copy = pickle.loads(pickle.dumps(table))
    assert copy == table and table_spans(copy) == table_spans(table)


def test_broken_overlapping_spans_never_overlap() -> None:
    html = ("<html><body><div id='zoom'><table><tr><td rowspan='2'>项目</td><td colspan='2'>申请</td></tr>"
            "<tr><td colspan='3'>予以公开</td></tr></table></div></body></html>")
    doc = document(html.encode(), {"Content-Type": "text/html; charset=utf-8"}, "http://127.0.0.2/a.html")
    table = doc.tables[0]
    assert table == (("项目", "申请", "申请", ""), ("项目", "予以公开", "予以公开", "予以公开"))
    assert table_spans(table) == ((0, 0, 2, 1), (0, 1, 1, 2), (1, 1, 1, 3))


def _word_report() -> bytes:
    """A Word table merged the way Word merges cells (gridSpan across, vMerge down), with a blank cell."""
    word = docx.Document()
    word.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    table = word.add_table(rows=4, cols=6)
    table.cell(0, 0).merge(table.cell(1, 2)).text = "行政复议"
    table.cell(0, 3).merge(table.cell(0, 5)).text = "行政诉讼"
    for c, label in enumerate(("结果维持", "结果纠正", "总计"), start=3):
        table.cell(1, c).text = label
    table.cell(2, 0).merge(table.cell(3, 0)).text = "件数"
    for r, values in ((2, ("1", "0", "1", "0", "", "0")), (3, ("0", "0", "0", "2", "0", "2"))):
        for c, value in enumerate(values[1:], start=1):
            table.cell(r, c).text = value
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def test_docx_merged_cells_give_their_spans() -> None:
    doc = document(_word_report(), {}, "http://127.0.0.2/files/report2023.docx")
    assert doc.error == ""
    table = doc.tables[0]
    assert table[0] == ("行政复议",) * 3 + ("行政诉讼",) * 3
    assert table[1][:3] == ("行政复议",) * 3 and table[3][0] == "件数"
    assert table[2][4] == ""  # the blank the agency left stays blank
    assert table_spans(table) == ((0, 0, 2, 3), (0, 3, 1, 3), (2, 0, 2, 1))


def test_spans_change_the_extractors_output_so_its_version_moves() -> None:
    assert EXTRACTOR_VERSION >= 4  # documents extracted before spans were kept are extracted again
