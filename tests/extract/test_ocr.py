"""Scanned PDFs: text from the OCR converter's word boxes, marked as OCR; scanned tables read between rules."""

from __future__ import annotations

import io

from archive.converters import table_rules, tesseract_ocr
from extract.attachments import extract_attachment
from extract.ocr import ocr_text
from tests.conftest import require_program

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def _word(left: int, top: int, text: str, conf: float = 91.0) -> str:
    return f"5\t1\t1\t1\t1\t1\t{left}\t{top}\t{40 * len(text)}\t40\t{conf}\t{text}"


def test_single_character_words_join_and_cells_follow_the_rules() -> None:
    page = [HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t",
            *(_word(220 + 40 * i, 1000, char) for i, char in enumerate("重复申请")),
            _word(810, 1000, "3"), _word(1410, 1000, "3"), _word(1000, 1020, "噪", conf=12.0),
            *(f"#rule\t{x}\t950\t{x}\t1100" for x in (200, 800, 1000, 1200, 1400, 1600)),
            *(f"#rule\t200\t{y}\t1600\t{y}" for y in (950, 1100))]
    text, tables = ocr_text("\n".join(page))
    assert text == "重复申请\t3\t3"
    assert tables == ((("重复申请", "3", "", "", "3"),),)


def test_rules_of_a_scanned_table_are_found_and_whitened() -> None:
    width, height = 300, 200
    gray = bytearray(b"\xff" * width * height)
    for x in range(20, 280):  # a horizontal rule two pixels thick
        gray[50 * width + x] = gray[51 * width + x] = 0
    for y in range(40, 160):  # a vertical rule
        gray[y * width + 100] = 0x30
    gray[120 * width + 150: 120 * width + 160] = b"\x00" * 10  # a character's stroke, too short to be a rule
    rules = table_rules(gray, width, height, 60)
    assert sorted(rules) == [(20, 50, 279, 51), (100, 40, 100, 159)]  # inclusive pixel boxes
    assert gray[50 * width + 30] == gray[80 * width + 100] == 0xFF and gray[120 * width + 155] == 0


def _scanned_pdf() -> bytes:
    """A page of text printed and scanned: only an image, no text layer."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(420, 120), invariant=True)
    pdf.setFont("STSong-Light", 16)
    pdf.drawString(20, 80, "政府信息公开工作年度报告")
    pdf.drawString(20, 40, "一、总体情况")
    pdf.save()
    image = pdfium.PdfDocument(out.getvalue())[0].render(scale=200 / 72, grayscale=True).to_pil().convert("1")
    png = io.BytesIO()
    image.save(png, format="PNG")
    scan = io.BytesIO()
    page = canvas.Canvas(scan, pagesize=(420, 120), invariant=True)
    page.drawImage(ImageReader(io.BytesIO(png.getvalue())), 0, 0, 420, 120)
    page.save()
    return scan.getvalue()


def test_a_scanned_pdf_is_read_by_ocr_and_marked_as_such() -> None:
    require_program("tesseract", "apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    body = _scanned_pdf()
    assert extract_attachment("pdf", body)[2].startswith("scanned-pdf")
    text, _tables, error = extract_attachment("pdf", body, {"ocr": tesseract_ocr})
    assert error.startswith("ocr:") and "low-confidence" in error
    assert "政府信息公开" in text and "总体情况" in text
