"""Text from report attachments: PDF (pypdfium2, tables rebuilt from word positions), DOCX (tables kept),
XLS/XLSX rows, DOC via a converter. A DOCX table keeps its merged cells (`SpannedTable`).

Every function takes bytes and returns (text, tables, error); a broken file gives an error string,
never an exception. Errors: broken-pdf, scanned-pdf, broken-docx, zip-bomb, broken-xls, no-converter,
broken-ofd, scanned-ofd, converter-failed, timeout (a converter past its limit), unsupported. A PDF
without a text layer goes to the caller's `ocr` converter when there is one: its text then carries the
error `ocr: …` (the text is real but read from images, so its figures are low-confidence).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .html_text import Table, clean_lines
from .ocr import ocr_text
from .ofd import OfdError, extract_ofd
from .pdf_layout import Char, PageTables, group_words, join_pages, page_tables
from .table_grid import Span, SpannedTable

__all__ = ["ATTACHMENT_EXTENSIONS", "KIND_BY_EXTENSION", "extract_attachment", "kind_of"]

logger = logging.getLogger(__name__)

# The one list of file types a report is published as: the crawler follows links to these, the indexer
# extracts them (zip and rar are archived and indexed with `unsupported: zip`/`rar`; an .et is a WPS sheet).
ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "zip", "rar")
KIND_BY_EXTENSION = {"pdf": "pdf", "doc": "doc", "docx": "docx", "wps": "wps", "xls": "xls", "xlsx": "xlsx",
                     "et": "xls", "ofd": "ofd", "zip": "zip", "rar": "rar", "htm": "html", "html": "html",
                     "shtml": "html", "jsp": "html", "txt": "txt"}
KIND_BY_TYPE = {"application/pdf": "pdf", "application/msword": "doc",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
                "application/vnd.ms-excel": "xls",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
                "application/ofd": "ofd", "application/vnd.ms-works": "wps", "application/kswps": "wps",
                "text/html": "html", "application/xhtml+xml": "html", "text/plain": "txt"}
MAX_UNZIPPED = 200 * 1024 * 1024  # a DOCX/XLSX inflating beyond this is treated as a zip bomb
MAX_PAGES = 300

Result = tuple[str, tuple[Table, ...], str]
SCANNED = "scanned-pdf: no text layer (OCR needed)"


def kind_of(url: str, content_type: str, body: bytes = b"") -> str:
    """Document kind from the Content-Type, the URL's extension and the magic bytes."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if body.startswith(b"%PDF"):
        return "pdf"
    if mime in KIND_BY_TYPE and mime != "application/octet-stream":
        kind = KIND_BY_TYPE[mime]
        if kind != "html" or not body.startswith(b"PK"):
            return kind
    path = url.split("?")[0].split("#")[0].lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    if ext in KIND_BY_EXTENSION:
        kind = KIND_BY_EXTENSION[ext]
        return "xlsx" if kind == "xls" and body.startswith(b"PK") else kind
    if body.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    return "html" if not mime or "html" in mime else "other"


def _page_chars(textpage: Any) -> list[Char]:
    """Every character of a pdfium text page with its loose box (the glyph's advance, not its ink, so `：`
    and `一` do not split words and lines) and font size, through pdfium's C API: one call per value."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    if len(text) != count:  # pdfium's text does not map one-to-one onto its characters
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(count))
    rect = pdfium_c.FS_RECTF()
    chars: list[Char] = []
    for index, char in enumerate(text):
        pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, index, ctypes.byref(rect))
        size = pdfium_c.FPDFText_GetFontSize(textpage.raw, index)
        chars.append((char, rect.left, rect.right, rect.bottom, size if size > 0 else 9.0))
    return chars


def _path_bounds(page: Any) -> list[tuple[float, float, float, float]]:
    """Bounds of the page's drawn paths: the rules of its tables."""
    import pypdfium2.raw as pdfium_c

    return [tuple(obj.get_bounds()) for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,))]


OCR_NOTE = "ocr: text read from page images by OCR; its figures are low-confidence"


def _ocr(body: bytes, converters: Mapping[str, Callable[[bytes], str]]) -> Result:
    """Text and tables of a PDF without a text layer through the caller's OCR converter (tesseract TSV)."""
    converter = converters.get("ocr")
    if converter is None:
        return "", (), SCANNED
    try:
        text, tables = ocr_text(converter(body))
    except TimeoutError as exc:
        return "", (), f"scanned-pdf: no text layer; OCR timeout: {exc}"
    except Exception as exc:  # the caller's converter reports failures as exceptions
        return "", (), f"scanned-pdf: no text layer; OCR failed: {exc}"
    text = clean_lines(text)
    if len(text.strip()) < 20:
        return text, (), "scanned-pdf: no text layer, OCR found no text"
    return text, tables, OCR_NOTE


def _pdf(body: bytes) -> Result:
    """Text of every page and the tables rebuilt from the words' positions (blank cells kept)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(body)
    except Exception as exc:  # pdfium raises its own PdfiumError and others on garbage
        return "", (), f"broken-pdf: {exc}"
    pages: list[str] = []
    tables: list[PageTables] = []
    try:
        for index in range(min(len(pdf), MAX_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            tables.append(page_tables(group_words(_page_chars(textpage)), _path_bounds(page)))
            textpage.close()
            page.close()
    except Exception as exc:
        return "", (), f"broken-pdf: {exc}"
    finally:
        pdf.close()
    text = clean_lines("\n".join(pages))
    if len(text.strip()) < 20 and pages:
        return text, (), SCANNED
    return text, join_pages(tables), ""


def _zip_ok(body: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                return "zip-bomb: inflates beyond 200 MB"
    except zipfile.BadZipFile as exc:
        return f"broken-zip: {exc}"
    return ""


def _docx(body: bytes) -> Result:
    if error := _zip_ok(body):
        return "", (), error
    try:
        import docx
        from docx.table import Table as DocxTable
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(body))
        lines: list[str] = []
        tables: list[Table] = []
        for block in document.element.body.iterchildren():
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append(Paragraph(block, document).text)
            elif tag == "tbl":
                word_rows = DocxTable(block, document).rows
                rows = tuple(tuple(cell.text.strip() for cell in row.cells) for row in word_rows)
                tables.append(SpannedTable(rows, _docx_spans(block.tr_lst)))
                lines.append("\n" + "\n".join("\t".join(row) for row in rows) + "\n")
    except Exception as exc:  # python-docx raises KeyError/ValueError/lxml errors on broken files
        return "", (), f"broken-docx: {exc}"
    return clean_lines("\n".join(lines)), tuple(tables), ""


def _docx_spans(trs: Iterable[Any]) -> tuple[Span, ...]:
    """Merged cells of a Word table, by the slots python-docx gives each row (`row.cells`): a `w:tc` covers
    `gridSpan` columns; one marked `vMerge` continue extends the span open above it in its column."""
    spans: dict[tuple[int, int], list[int]] = {}  # top-left → [row, column, rowspan, colspan]
    open_at: dict[int, list[int]] = {}  # column → the span reaching the previous row there
    for r, tr in enumerate(trs):
        c, reached = 0, {}
        for tc in tr.tc_lst:
            span = open_at.get(c) if tc.vMerge == "continue" else None
            if span is not None:
                span[2] = r - span[0] + 1
            else:
                span = spans.setdefault((r, c), [r, c, 1, tc.grid_span])
            reached[c] = span
            c += span[3]
        open_at = reached
    return tuple((r, c, rowspan, colspan) for r, c, rowspan, colspan in spans.values())


def _ofd(body: bytes) -> Result:
    """Text and tables of an OFD (a zip of XML pages); an OFD of page images has no text to give."""
    if error := _zip_ok(body):
        return "", (), error
    try:
        text, tables = extract_ofd(body)
    except (OfdError, zipfile.BadZipFile, ValueError, KeyError) as exc:
        return "", (), f"broken-ofd: {exc}"
    text = clean_lines(text)
    if len(text.strip()) < 20:
        return text, tables, "scanned-ofd: no text objects (OCR needed)"
    return text, tables, ""


def _xlsx(body: bytes) -> Result:
    if error := _zip_ok(body):
        return "", (), error
    try:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        tables = tuple(tuple(tuple(_cell(v) for v in row) for row in sheet.iter_rows(values_only=True))
                       for sheet in book.worksheets)
    except Exception as exc:
        return "", (), f"broken-xlsx: {exc}"
    return _sheets_text(tables), tables, ""


def _xls(body: bytes) -> Result:
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=body)
        tables = tuple(tuple(tuple(_cell(sheet.cell_value(r, c)) for c in range(sheet.ncols))
                             for r in range(sheet.nrows))
                       for sheet in book.sheets())
    except Exception as exc:
        return "", (), f"broken-xls: {exc}"
    return _sheets_text(tables), tables, ""


_TEXT_ROW = re.compile(r"^\|(.*)\|\s*$")


def _text_tables(text: str) -> tuple[str, tuple[Table, ...]]:
    """Tables a converter drew with `|` borders (antiword: `|cell   |cell   |`) as tab-separated rows and
    as tables; the rest of the text unchanged."""
    lines: list[str] = []
    tables: list[Table] = []
    current: list[tuple[str, ...]] = []
    for line in text.split("\n"):
        match = _TEXT_ROW.match(line)
        if match:
            current.append(tuple(cell.strip() for cell in match.group(1).split("|")))
            lines.append("\t".join(current[-1]))
            continue
        if current:
            tables.append(tuple(current))
            current = []
        lines.append(line)
    if current:
        tables.append(tuple(current))
    return "\n".join(lines), tuple(tables)


def _cell(value: object) -> str:
    """A spreadsheet value as text: 867.0 → "867" (xlrd gives every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _sheets_text(tables: tuple[Table, ...]) -> str:
    return "\n\n".join("\n".join("\t".join(row) for row in table) for table in tables)


def extract_attachment(kind: str, body: bytes,
                       converters: Mapping[str, Callable[[bytes], str]] | None = None) -> Result:
    """(text, tables, error) of an attachment of `kind`; error is '' on success."""
    converters = converters or {}
    if kind == "pdf":
        result = _pdf(body)
        return _ocr(body, converters) if result[2] == SCANNED and "ocr" in converters else result
    if kind == "docx":
        return _docx(body)
    if kind == "xlsx":
        return _xlsx(body)
    if kind == "xls":
        return _xls(body)
    if kind == "ofd":
        return _ofd(body)
    if kind in ("doc", "wps"):
        if body.startswith(b"PK"):
            return _docx(body)  # many .wps/.doc files are really DOCX
        converter = converters.get(kind) or converters.get("doc")
        if converter is None:
            return "", (), f"no-converter: no converter for .{kind} (install antiword)"
        try:
            text, tables = _text_tables(converter(body))
            return clean_lines(text), tables, ""
        except TimeoutError as exc:  # the caller's converter enforces its own wall-clock limit
            return "", (), f"timeout: {exc}"
        except Exception as exc:  # the caller's converter reports failures as exceptions
            return "", (), f"converter-failed: {exc}"
    return "", (), f"unsupported: {kind}"
