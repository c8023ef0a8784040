"""extract.document on realistic pages: body kept, chrome dropped, metadata right, tables survive."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from extract.document import EXTRACTOR_VERSION, document
from tests.conftest import FIXTURES, seed_text
from tests.extract.pages import SEED1_TITLE, hanweb_page, seed1_body, trs_page

CHROME = ("分享到", "扫一扫在手机打开当前页", "打印", "关闭窗口", "网站标识码", "浏览次数")


def test_trs_gbk_report_page() -> None:
    page = trs_page(SEED1_TITLE, seed1_body() + "\n负责人：王堃").encode("gbk")
    doc = document(page, {"Content-Type": "text/html"}, "http://www.anshun.gov.cn/zwgk/zfxxgknb/202201/t20220125_1.html")
    assert doc.title == SEED1_TITLE
    assert (doc.encoding, doc.encoding_source) == ("gb18030", "meta")
    assert doc.published == "2022-01-25" and doc.agency == "安顺市生态环境局"
    assert doc.is_report and doc.year == 2021 and doc.report_score >= 0.9
    assert "我局认真贯彻落实《中华人民共和国政府信息公开条例》" in doc.text and "王堃" in doc.text
    assert "全年共办理行政许可事项867件" in doc.text
    assert "行政许可 |\n867 | ||" in doc.text  # seed 001's table survives in its own flattening
    for chrome in CHROME:
        assert chrome not in doc.text, chrome
    assert doc.extractor_version == EXTRACTOR_VERSION and doc.mojibake == ""


def test_hanweb_page_title_from_heading_and_traditional_script() -> None:
    text = seed_text(0)
    doc = document(hanweb_page("遂溪縣應急管理局2024年政府信息公開工作年度報告", text).encode("utf-8"), {},
                   "http://www.suixi.gov.cn/art/2025/1/20/art_1_2.html")
    assert doc.title == "遂溪縣應急管理局2024年政府信息公開工作年度報告"
    assert doc.is_report and doc.year == 2024 and doc.script == "traditional"
    assert "　（一）加強組織領導" in doc.text
    assert set(doc.mojibake.split(",")) == {"gbk-misalignment", "pinyin-annotation", "html-remnant"}
    assert '"verdict": "damaged"' in doc.mojibake_detail
    assert "应急管理局" in doc.text_simplified


def test_html_tables_are_expanded_and_in_the_text() -> None:
    body = (FIXTURES / "samples" / "08_SYNTHETIC_annual_report_2021format_fixture.html").read_bytes()
    doc = document(body, {"Content-Type": "text/html; charset=utf-8"}, "http://127.0.0.2/a.html")
    assert doc.is_report and doc.year == 2025 and len(doc.tables) == 3
    row = next(r for t in doc.tables for r in t if r and r[0] == "行政许可")
    assert row[1:] == ("11398889",) * (len(row) - 1)  # colspan repeated in every slot
    assert "行政许可\t11398889" in doc.text


@pytest.mark.parametrize("title", ["某某县2023年法治政府建设年度报告", "《2023年政府信息公开工作年度报告》解读"])
def test_lookalike_with_report_like_body_is_not_a_report(title: str) -> None:
    doc = document(trs_page(title, seed1_body()).encode("utf-8"), {}, "http://127.0.0.2/b.html")
    assert not doc.is_report


def _pdf(text: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont("STSong-Light", 11)
    y = 800
    for line in text.split("\n")[:60]:
        pdf.drawString(40, y, line[:45])
        y -= 14
        if y < 40:
            pdf.showPage()
            pdf.setFont("STSong-Light", 11)
            y = 800
    pdf.save()
    return out.getvalue()


def test_pdf_attachment_text_comes_back() -> None:
    body = _pdf(SEED1_TITLE + "\n" + seed1_body())
    doc = document(body, {"Content-Type": "application/pdf"}, "http://127.0.0.2/files/P020220125.pdf")
    assert doc.kind == "pdf" and doc.error == ""
    assert doc.title == SEED1_TITLE and doc.is_report and doc.year == 2021
    assert "政府信息公开" in doc.text


def test_docx_attachment_keeps_its_table() -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("某某县应急管理局2023年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    table = d.add_table(rows=2, cols=2)
    for (r, c), value in {(0, 0): "行政许可", (0, 1): "867", (1, 0): "行政处罚", (1, 1): "12"}.items():
        table.cell(r, c).text = value
    out = io.BytesIO()
    d.save(out)
    doc = document(out.getvalue(), {}, "http://127.0.0.2/files/report.docx")
    assert doc.kind == "docx" and doc.is_report and doc.year == 2023
    assert doc.tables == ((("行政许可", "867"), ("行政处罚", "12")),)
    assert "行政许可\t867" in doc.text


def test_broken_files_give_error_verdicts(tmp_path: Path) -> None:
    broken = document(b"%PDF-1.4\n garbage \x00\xff", {"Content-Type": "application/pdf"}, "http://127.0.0.2/x.pdf")
    assert broken.error.startswith("broken-pdf")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (210 * 1024 * 1024))
    doc = document(bomb.getvalue(), {}, "http://127.0.0.2/bomb.docx")
    assert doc.error.startswith("zip-bomb")
    doc_file = document(b"\xd0\xcf\x11\xe0" + b"\0" * 600, {}, "http://127.0.0.2/old.doc")
    assert doc_file.error.startswith("no-converter")


def test_same_bytes_same_document() -> None:
    page = trs_page(SEED1_TITLE, seed1_body()).encode("gbk")
    assert document(page, {}, "http://127.0.0.2/c.html") == document(page, {}, "http://127.0.0.2/c.html")


@pytest.mark.parametrize(("url", "head", "expected"), [
    # TRS and Hanweb put the article's date in its path
    ("http://127.0.0.2/zwgk/ndbg/202401/t20240115_4567.html", "", "2024-01-15"),
    ("http://127.0.0.2/art/2024/1/15/art_1229_4567.html", "", "2024-01-15"),
    # htmldate: other metadata than PubDate, and dated paths
    ("http://127.0.0.2/x.html", '<meta property="article:published_time" content="2024-01-20T08:00:00+08:00">',
     "2024-01-20"),
    ("http://127.0.0.2/2024/01/18/report.html", "", "2024-01-18"),
    ("http://127.0.0.2/zwgk/ndbg/4567.html", "", ""),  # nothing to go on: no date, not a guess
])
def test_published_date_fallbacks(url: str, head: str, expected: str) -> None:
    page = (f"<html><head><title>某局2023年政府信息公开工作年度报告</title>{head}</head><body><div id='zoom'>"
            "<p>一、总体情况</p><p>本年度，我局认真贯彻落实《条例》，主动公开政府信息。</p></div></body></html>")
    doc = document(page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}, url)
    assert doc.published == expected
    assert doc.year == 2023


def test_published_line_wins_over_the_url_date() -> None:
    page = trs_page(SEED1_TITLE, seed1_body()).replace('<meta name="PubDate" content="2022-01-25 09:30">', "")
    doc = document(page.encode("gbk"), {}, "http://127.0.0.2/zwgk/ndbg/202203/t20220301_1.html")
    assert doc.published == "2022-01-25"  # the 发布时间 line of the page, not the path's 2022-03-01


def test_xlsx_attachment_rows_as_table() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["第二十条第（五）项", "本年处理决定数量"], ["行政许可", 867], ["行政处罚", 12], ["行政强制", None]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    doc = document(
        out.getvalue(),
        {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        "http://127.0.0.2/files/2023nb.xlsx",
    )
    assert doc.kind == "xlsx" and doc.error == ""
    assert doc.tables == ((("第二十条第（五）项", "本年处理决定数量"), ("行政许可", "867"), ("行政处罚", "12"),
                           ("行政强制", "")),)
    assert "行政许可\t867" in doc.text
    broken = document(out.getvalue()[:300], {}, "http://127.0.0.2/files/2023nb.xlsx")
    assert broken.error.startswith(("broken-xlsx", "broken-zip")) and broken.text == ""


ATTACHMENTS = FIXTURES / "attachments"  # made by LibreOffice: tests/fixtures/attachments/make.py


def test_legacy_doc_through_antiword_keeps_its_table() -> None:
    from archive.converters import default_converters
    from extract.options import ExtractOptions
    from tests.conftest import require_program

    require_program("antiword", "apt-get install antiword")
    body = (ATTACHMENTS / "report2023.doc").read_bytes()
    doc = document(body, {"Content-Type": "application/msword"}, "http://127.0.0.2/files/P020240120.doc",
                   ExtractOptions(converters=default_converters()))
    assert doc.kind == "doc" and doc.error == ""
    assert doc.title == "德清县应急管理局2023年政府信息公开工作年度报告"
    assert doc.is_report and doc.year == 2023 and doc.agency == "德清县应急管理局"
    assert doc.tables == (
        (("信息内容", "本年处理决定数量"), ("行政许可", "867"), ("行政处罚", "12"), ("行政强制", "3")),
    )
    assert "行政许可\t867" in doc.text and "|" not in doc.text


def test_converter_past_its_time_limit_is_recorded_as_timeout() -> None:
    from archive.converters import antiword
    from extract.options import ExtractOptions
    from tests.conftest import require_program

    require_program("antiword", "apt-get install antiword")
    body = (ATTACHMENTS / "report2023.doc").read_bytes()
    options = ExtractOptions(converters={"doc": lambda data: antiword(data, timeout=0.0001)})
    doc = document(body, {}, "http://127.0.0.2/files/P020240120.doc", options)
    assert doc.error == "timeout: antiword ran over 0.0001 s" and doc.text == ""


def test_legacy_xls_rows_as_table() -> None:
    body = (ATTACHMENTS / "figures2023.xls").read_bytes()
    doc = document(body, {"Content-Type": "application/vnd.ms-excel"}, "http://127.0.0.2/files/figures2023.xls")
    assert doc.kind == "xls" and doc.error == ""
    assert doc.tables == (
        (("信息内容", "本年处理决定数量"), ("行政许可", "867"), ("行政处罚", "12"), ("行政强制", "3")),
    )
    assert "行政许可\t867" in doc.text
    assert document(body[:512], {}, "http://127.0.0.2/files/figures2023.xls").error.startswith("broken-xls")


def test_scanned_pdf_without_text_layer_is_reported_as_such() -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for page in range(2):  # a scan: marks on the page, no text objects
        for row in range(40):
            pdf.rect(40, 780 - row * 18, 300 + (row * 37 + page) % 200, 8, fill=1)
        pdf.showPage()
    pdf.save()
    doc = document(out.getvalue(), {"Content-Type": "application/pdf"}, "http://127.0.0.2/files/scan2023.pdf")
    assert doc.kind == "pdf" and doc.error.startswith("scanned-pdf") and not doc.is_report


def test_document_never_raises_when_a_library_is_missing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Debian's pip 23 skipped `lxml[html_clean]`: trafilatura then raised ImportError on every page.
    Reproduced by hiding the module in a fresh interpreter; the capture must be kept with the reason."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['lxml_html_clean'] = None\n"
        "sys.modules['lxml.html.clean'] = None\n"
        "from extract.document import document\n"
        "page = '<html><head><title>某局2023年政府信息公开工作年度报告</title></head>'\n"
        "page += '<body><p>一、总体情况</p></body></html>'\n"
        "doc = document(page.encode(), {'Content-Type': 'text/html; charset=utf-8'}, 'http://127.0.0.2/a.html')\n"
        "print(doc.error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("extract-failed: ModuleNotFoundError") and "lxml.html.clean" in done.stdout, \
        done.stdout + done.stderr[-2000:]


def test_a_page_that_reads_as_no_chinese_says_so_and_names_chardets_answer() -> None:
    """Japanese and Korean pages used to be decoded as Chinese and labelled 'detected'."""
    from tests.conftest import FIXTURES

    korean, japanese = {"euc-kr", "cp949"}, {"shift_jis", "cp932", "euc-jp"}
    for folder, codecs in (("EUC-KR", korean), ("SHIFT_JIS", japanese), ("EUC-JP", japanese)):
        for path in sorted((FIXTURES / "encodings" / folder).iterdir()):
            doc = document(path.read_bytes(), {"Content-Type": "text/html"}, f"http://127.0.0.2/{path.name}")
            assert doc.encoding_source.startswith("guessed (chardet: "), (path.name, doc.encoding_source)
            assert doc.encoding_source.removeprefix("guessed (chardet: ").rstrip(")").lower() in codecs, path.name


def test_one_attachment_rule_for_crawler_and_extractor() -> None:
    """Every file type the crawler follows is a kind the extractor knows (it once followed .et/.zip/.rar
    links whose documents the extractor then called html)."""
    import io

    import openpyxl

    from crawler.scoring import is_attachment_url
    from extract.attachments import ATTACHMENT_EXTENSIONS, KIND_BY_EXTENSION, kind_of

    assert set(ATTACHMENT_EXTENSIONS) <= set(KIND_BY_EXTENSION)
    for ext in ATTACHMENT_EXTENSIONS:
        assert is_attachment_url(f"http://127.0.0.2/P020240115.{ext}")
    sheet = openpyxl.Workbook()
    sheet.active.append(["一、本年新收政府信息公开申请数量", 12])
    out = io.BytesIO()
    sheet.save(out)
    et = document(out.getvalue(), {"Content-Type": "application/octet-stream"}, "http://127.0.0.2/统计表.et")
    assert et.kind == "xlsx" and "本年新收政府信息公开申请数量" in et.text and et.error == ""
    archive = document(b"PK\x03\x04" + bytes(40), {}, "http://127.0.0.2/2023年报.zip")
    assert archive.kind == "zip" and archive.error == "unsupported: zip"
    assert kind_of("http://127.0.0.2/a.rar", "application/octet-stream", b"Rar!") == "rar"
