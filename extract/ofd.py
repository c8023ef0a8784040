"""Text and tables of an OFD document (GB/T 33190, the national e-document format: a zip of XML).

`OFD.xml` names the document (`DocBody/DocRoot`), its `Document.xml` lists the pages (`Pages/Page@BaseLoc`),
and each page's `Content.xml` places text (`TextObject` with `TextCode` X/Y and DeltaX advances) and
drawn paths (`PathObject`, the rules of a table) in millimetres, y pointing down. The characters are
placed on the page as PDF characters are and go through the same word, line and table rebuilding
(`pdf_layout`), so a table in an OFD keeps its blank cells and wrapped labels like one in a PDF.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator

from lxml import etree

from .pdf_layout import Box, Char, PageTables, group_words, join_pages, lines_text, page_tables

__all__ = ["OfdError", "extract_ofd", "ofd_pages"]

Table = tuple[tuple[str, ...], ...]
MM = 72 / 25.4  # OFD millimetres to PDF points, so the layout's thresholds mean the same
MAX_PAGES = 300
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class OfdError(ValueError):
    """The zip is not a readable OFD."""


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        return etree.fromstring(archive.read(name.lstrip("/")), _PARSER)
    except (KeyError, etree.XMLSyntaxError) as exc:
        raise OfdError(f"{name}: {exc}") from None


def _numbers(text: str | None) -> list[float]:
    """Numbers of an OFD array; `g 3 4.2` repeats 4.2 three times."""
    out: list[float] = []
    tokens = (text or "").split()
    index = 0
    while index < len(tokens):
        if tokens[index] == "g" and index + 2 < len(tokens):
            out += [float(tokens[index + 2])] * int(float(tokens[index + 1]))
            index += 3
            continue
        with contextlib.suppress(ValueError):
            out.append(float(tokens[index]))
        index += 1
    return out


def ofd_pages(archive: zipfile.ZipFile) -> Iterator[etree._Element]:
    """The Content.xml root of every page, in the document's order."""
    root = _xml(archive, "OFD.xml")
    doc_root = next((e.text.strip() for e in root.iter() if _local(e) == "DocRoot" and e.text), None)
    if not doc_root:
        raise OfdError("OFD.xml names no DocRoot")
    document = _xml(archive, doc_root)
    base = posixpath.dirname(doc_root.lstrip("/"))
    pages = [e.get("BaseLoc", "") for e in document.iter() if _local(e) == "Page" and e.get("BaseLoc")]
    for location in pages[:MAX_PAGES]:
        yield _xml(archive, location if location.startswith("/") else posixpath.join(base, location))


def _transform(ctm: list[float], x: float, y: float) -> tuple[float, float]:
    if len(ctm) != 6:
        return x, y
    a, b, c, d, e, f = ctm
    return a * x + c * y + e, b * x + d * y + f


def _text_chars(obj: etree._Element) -> list[Char]:
    """The characters of a TextObject placed on the page (points, y up)."""
    left, top = [*_numbers(obj.get("Boundary")), 0.0, 0.0][:2]
    ctm = _numbers(obj.get("CTM"))
    scale = abs(ctm[0] * ctm[3]) ** 0.5 if len(ctm) == 6 and ctm[0] and ctm[3] else 1.0
    size = float(obj.get("Size") or 3.5) * scale
    chars: list[Char] = []
    x = y = 0.0
    for code in (e for e in obj if _local(e) == "TextCode"):
        x = float(code.get("X") or x)
        y = float(code.get("Y") or y)
        deltas = _numbers(code.get("DeltaX"))
        for index, char in enumerate(code.text or ""):
            px, py = _transform(ctm, x, y)
            advance = (deltas[index] if index < len(deltas) else (deltas[-1] if deltas else size / scale))
            chars.append((char, (left + px) * MM, (left + px + advance * scale) * MM, -(top + py) * MM, size * MM))
            x += advance
    return chars


def _path_boxes(obj: etree._Element) -> list[Box]:
    """The straight segments of a PathObject (M move, L line, C close) as boxes (points, y up); the whole
    boundary if none parse. Curves and other commands are not table rules and are skipped."""
    left, top, width, height = [*_numbers(obj.get("Boundary")), 0.0, 0.0, 0.0, 0.0][:4]
    data = next((e.text for e in obj if _local(e) == "AbbreviatedData"), "") or ""
    boxes: list[Box] = []
    current: tuple[float, float] | None = None
    start: tuple[float, float] | None = None
    for command, x, y in re.findall(r"([MLC])(?:\s+(-?[\d.]+)\s+(-?[\d.]+))?", data):
        point = (left + float(x), top + float(y)) if x else start
        if command in "LC" and current is not None and point is not None:
            boxes.append((min(current[0], point[0]) * MM, -max(current[1], point[1]) * MM,
                          max(current[0], point[0]) * MM, -min(current[1], point[1]) * MM))
        start = point if command == "M" else start
        current = point
    return boxes or [(left * MM, -(top + height) * MM, (left + width) * MM, -top * MM)]


def _page(content: etree._Element) -> tuple[str, PageTables]:
    chars: list[Char] = []
    boxes: list[Box] = []
    for obj in content.iter():
        name = _local(obj)
        if name == "TextObject":
            chars += _text_chars(obj)
        elif name == "PathObject":
            boxes += _path_boxes(obj)
    words = group_words(chars)
    return lines_text(words), page_tables(words, boxes)


def extract_ofd(body: bytes) -> tuple[str, tuple[Table, ...]]:
    """(text, tables) of an OFD file; raises OfdError (or zipfile.BadZipFile) when it cannot be read."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        texts: list[str] = []
        pages: list[PageTables] = []
        for content in ofd_pages(archive):
            text, tables = _page(content)
            texts.append(text)
            pages.append(tables)
    return "\n".join(texts), join_pages(pages)
