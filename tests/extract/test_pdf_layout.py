"""PDF tables rebuilt from word positions: ruled and unruled tables, wrapped labels, blank cells."""

from __future__ import annotations

import io
from itertools import pairwise

from crawler.demo.build import make_pdf
from extract.attachments import extract_attachment
from extract.pdf_layout import frames

FONT = "STSong-Light"
COLUMNS = (200.0, 250.0, 300.0, 350.0)  # centres of four figure columns


def _pdf(draw) -> bytes:  # type: ignore[no-untyped-def]
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=True)
    pdf.setFont(FONT, 9)
    draw(pdf)
    pdf.save()
    return out.getvalue()


def _unruled(pdf) -> None:  # type: ignore[no-untyped-def]
    """Columns aligned by tab stops, no borders; one label wraps, cells left blank."""
    pdf.drawString(50, 760, "下表为本年度收到申请情况。")
    for centre, name in zip(COLUMNS, ("自然人", "商业企业", "科研机构", "总计"), strict=True):
        pdf.drawCentredString(centre, 730, name)
    rows = (("（一）予以公开", ("6", "2", "", "8")), ("（二）部分公开", ("", "", "", "")),
            ("5.要求行政机关确认或重", ("1", "", "", "1")))
    y = 712.0
    for label, cells in rows:
        pdf.drawString(50, y, label)
        for centre, cell in zip(COLUMNS, cells, strict=True):
            pdf.drawCentredString(centre, y, cell)
        y -= 11
    pdf.drawString(50, y, "新出具已获取信息")  # the label's second line, no figures beside it
    pdf.drawString(50, y - 40, "五、存在的主要问题及改进情况")


def test_an_unruled_table_keeps_blank_cells_in_their_columns_and_joins_wrapped_labels() -> None:
    _text, tables, error = extract_attachment("pdf", _pdf(_unruled))
    assert error == ""
    [table] = tables
    assert table[0][1:] == ("自然人", "商业企业", "科研机构", "总计")
    assert ("（一）予以公开", "6", "2", "", "8") in table
    assert ("5.要求行政机关确认或重新出具已获取信息", "1", "", "", "1") in table


def _ruled(pdf) -> None:  # type: ignore[no-untyped-def]
    """A Word-style ruled table: the label cell holds two lines, the figures sit at the row's middle."""
    edges = (40.0, 170.0, 225.0, 275.0, 325.0, 375.0)
    for top, bottom in ((760.0, 745.0), (745.0, 720.0)):
        for left, right in pairwise(edges):
            pdf.rect(left, bottom, right - left, top - bottom)
    for centre, name in zip(COLUMNS, ("自然人", "商业企业", "科研机构", "总计"), strict=True):
        pdf.drawCentredString(centre, 749, name)
    pdf.drawString(42, 735, "2.申请人逾期未按收费通")
    pdf.drawString(42, 724, "知要求缴纳费用")
    for centre, cell in zip(COLUMNS, ("3", "", "", "3"), strict=True):
        pdf.drawCentredString(centre, 729, cell)


def test_a_ruled_table_is_read_cell_by_cell() -> None:
    _text, tables, _error = extract_attachment("pdf", _pdf(_ruled))
    assert tables == ((("", "自然人", "商业企业", "科研机构", "总计"),
                       ("2.申请人逾期未按收费通知要求缴纳费用", "3", "", "", "3")),)


def test_text_lines_with_figures_after_labels_are_not_a_table() -> None:
    lines = ["某局2023年政府信息公开工作年度报告", "一、本年新收政府信息公开申请数量  3  0  0  0  0  0  3",
             "（一）予以公开  1  0  0  0  0  0  1", "（二）部分公开（区分处理的，只计这一情形）  2  0  0  0  0  0  2"]
    _text, tables, _error = extract_attachment("pdf", make_pdf(lines))
    assert tables == ()


def test_touching_cell_borders_merge_into_one_frame() -> None:
    cells = [(40.0, 700.0, 100.0, 720.0), (100.0, 700.0, 160.0, 720.0), (40.0, 680.0, 100.0, 700.0),
             (300.0, 100.0, 301.0, 101.0)]
    assert frames(cells) == [(40.0, 680.0, 160.0, 720.0)]
