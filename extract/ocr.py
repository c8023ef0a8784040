"""Text and tables of a scanned document from an OCR engine's word boxes (tesseract's TSV output).

The caller runs the OCR (a converter, as antiword is) and hands over tesseract's TSV, one block per page
(each starting with its header line). The words go through the same word, line and table rebuilding as a
PDF's characters (`pdf_layout`), which also joins the single characters tesseract's Chinese model
reports as words and keeps blank cells of a scanned table in their columns. Coordinates are in pixels
at `dpi`; they are turned into points so the layout's thresholds mean the same.
"""

from __future__ import annotations

from .pdf_layout import Box, Char, PageTables, group_words, join_pages, lines_text, page_tables

__all__ = ["MIN_CONFIDENCE", "ocr_text"]

Table = tuple[tuple[str, ...], ...]
MIN_CONFIDENCE = 30.0  # tesseract's per-word confidence (0-100) below which a word is noise
_HEADER = "level\tpage_num"


def _page_chars(rows: list[list[str]], dpi: float) -> list[Char]:
    scale = 72.0 / dpi
    chars: list[Char] = []
    height = max((int(r[7]) + int(r[9]) for r in rows if r[0] == "1"), default=0)
    for row in rows:
        if row[0] != "5" or len(row) < 12 or not row[11].strip():  # words are level 5
            continue
        try:
            left, top, width, tall, confidence = (float(value) for value in (*row[6:10], row[10]))
        except ValueError:
            continue
        if confidence < MIN_CONFIDENCE:
            continue
        size = tall * scale
        text = row[11].strip()
        step = width * scale / len(text)
        baseline = (height - top - tall) * scale
        chars += [(char, left * scale + i * step, left * scale + (i + 1) * step, baseline, size)
                  for i, char in enumerate(text)]
        chars.append((" ", 0.0, 0.0, baseline, size))
    return chars


def _page_rules(rows: list[list[str]], dpi: float) -> list[Box]:
    """The `#rule left top right bottom` lines (pixels, y down) as boxes in points, y up."""
    scale = 72.0 / dpi
    height = max((int(r[7]) + int(r[9]) for r in rows if r[0] == "1"), default=0)
    boxes: list[Box] = []
    for row in rows:
        if row[0] == "#rule" and len(row) == 5:
            left, top, right, bottom = (float(value) for value in row[1:])
            boxes.append((left * scale, (height - bottom) * scale, right * scale, (height - top) * scale))
    return boxes


def ocr_text(tsv: str, dpi: float = 300.0) -> tuple[str, tuple[Table, ...]]:
    """(text, tables) from tesseract TSV output of one or more pages, each page's block followed by the
    rules of its tables (`#rule` lines) when the caller found them; tables are read cell by cell between
    those rules, as a ruled PDF table is."""
    pages: list[list[list[str]]] = []
    for line in tsv.splitlines():
        if line.startswith(_HEADER):
            pages.append([])
        elif pages and line.strip():
            pages[-1].append(line.split("\t"))
    texts: list[str] = []
    tables: list[PageTables] = []
    for rows in pages:
        words = group_words(_join_runs(_page_chars(rows, dpi)))
        texts.append(lines_text(words))
        tables.append(page_tables(words, _page_rules(rows, dpi)))
    return "\n".join(texts), join_pages(tables)


def _join_runs(chars: list[Char]) -> list[Char]:
    """Drop the space after a word where the next word follows closely (tesseract splits Chinese text into
    one-character words); a real gap still splits."""
    out: list[Char] = []
    for index, char in enumerate(chars):
        if char[0] == " " and out and index + 1 < len(chars):
            following = chars[index + 1]
            if abs(following[3] - out[-1][3]) <= char[4] / 2 and following[1] - out[-1][2] <= char[4] / 2:
                continue
        out.append(char)
    return out
