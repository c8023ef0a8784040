"""Subprocess converters passed to `extract.document` (extract stays pure), each timed: antiword for .doc,
tesseract (with its chi_sim data) for PDFs without a text layer."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["ConverterTimeout", "antiword", "default_converters", "tesseract_ocr"]

TIMEOUT_SECONDS = 30


class ConverterTimeout(TimeoutError):
    """A converter ran past its time limit (a TimeoutError, so `extract` records it as `timeout`)."""


def antiword(body: bytes, timeout: float = TIMEOUT_SECONDS) -> str:
    """Text of a .doc file via antiword (UTF-8 output); raises on failure or timeout."""
    program = shutil.which("antiword")
    if program is None:
        raise RuntimeError("antiword is not installed (apt-get install antiword)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.doc"
        path.write_bytes(body)
        try:
            done = subprocess.run([program, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ConverterTimeout(f"antiword ran over {timeout:g} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"antiword failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    return done.stdout.decode("utf-8", "replace")


OCR_DPI = 300
OCR_TIMEOUT_SECONDS = 120
OCR_MAX_PAGES = 40


_DARK = rb"[\x00-\xbf]"  # darker than light grey: anti-aliased rule edges count


def _runs(line: bytes, minimum: int) -> list[tuple[int, int]]:
    return [(match.start(), match.end() - 1) for match in re.finditer(_DARK + b"{%d,}" % minimum, line)]


def _merge(segments: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Segments one pixel apart (a rule several pixels thick) as one box."""
    boxes: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(segments, key=lambda s: (s[0], s[1])):
        near = next((b for b in boxes if abs(b[0] - x0) <= 3 and abs(b[2] - x1) <= 3 and b[3] + 2 >= y0
                     and b[1] <= y1 + 2), None)
        if near is None:
            boxes.append([x0, y0, x1, y1])
        else:
            near[:] = [min(near[0], x0), min(near[1], y0), max(near[2], x1), max(near[3], y1)]
    return [(b[0], b[1], b[2], b[3]) for b in boxes]


def table_rules(gray: bytearray, width: int, height: int, minimum: int) -> list[tuple[int, int, int, int]]:
    """Boxes (pixels: left, top, right, bottom) of the straight dark lines at least `minimum` pixels long, and
    the image with them whitened: the rules of a scanned table, which tesseract otherwise reads as text."""
    rows = [(x0, y, x1, y) for y in range(height)
            for x0, x1 in _runs(bytes(gray[y * width:(y + 1) * width]), minimum)]
    columns = [(x, y0, x, y1) for x in range(width) for y0, y1 in _runs(bytes(gray[x::width]), minimum)]
    boxes = _merge(rows) + [(b[1], b[0], b[3], b[2]) for b in _merge([(y0, x, y1, x) for x, y0, _x, y1 in columns])]
    for left, top, right, bottom in boxes:  # a pixel of margin: the rule's anti-aliased fringe
        left, right = max(left - 1, 0), min(right + 1, width - 1)
        for y in range(max(top - 1, 0), min(bottom + 2, height)):
            gray[y * width + left:y * width + right + 1] = b"\xff" * (right + 1 - left)
    return boxes


def _tesseract_page(program: str, page: object, folder: Path, deadline: float) -> str:
    """TSV of one page rendered at OCR_DPI, its table rules removed first and appended as `#rule` lines."""
    bitmap = page.render(scale=OCR_DPI / 72, grayscale=True)  # type: ignore[attr-defined]
    width, height = bitmap.width, bitmap.height
    gray = bytearray(b"".join(bytes(bitmap.buffer[y * bitmap.stride:y * bitmap.stride + width])
                              for y in range(height)))
    rules = table_rules(gray, width, height, OCR_DPI * 3 // 4)  # longer than any character's stroke
    image = folder / "page.pgm"
    image.write_bytes(b"P5\n%d %d\n255\n" % (width, height) + bytes(gray))
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ConverterTimeout(f"tesseract ran over {OCR_TIMEOUT_SECONDS} s")
    try:
        done = subprocess.run([program, str(image), "stdout", "-l", "chi_sim+eng", "--psm", "6",
                               "--dpi", str(OCR_DPI), "tsv"], capture_output=True, timeout=remaining, check=False)
    except subprocess.TimeoutExpired:
        raise ConverterTimeout(f"tesseract ran over {OCR_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"tesseract failed: {done.stderr.decode('utf-8', 'replace').strip()[:200]}")
    rule_lines = "".join(f"#rule\t{x0}\t{y0}\t{x1}\t{y1}\n" for x0, y0, x1, y1 in rules)
    return done.stdout.decode("utf-8", "replace") + rule_lines


def tesseract_ocr(body: bytes, timeout: float = OCR_TIMEOUT_SECONDS) -> str:
    """tesseract's TSV (word boxes, one block per page, each followed by its table rules as `#rule left top
    right bottom` lines in pixels) of a PDF's pages rendered at OCR_DPI; raises on failure or timeout.
    `extract.ocr.ocr_text` turns it into text and tables."""
    import pypdfium2 as pdfium

    program = shutil.which("tesseract")
    if program is None:
        raise RuntimeError("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    deadline = time.monotonic() + timeout
    pdf = pdfium.PdfDocument(body)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return "".join(_tesseract_page(program, pdf[index], Path(tmp), deadline)
                           for index in range(min(len(pdf), OCR_MAX_PAGES)))
    finally:
        pdf.close()


@functools.lru_cache(maxsize=1)
def _has_chinese_ocr() -> bool:
    program = shutil.which("tesseract")
    if program is None:
        return False
    try:
        done = subprocess.run([program, "--list-langs"], capture_output=True, timeout=10, check=False)
    except subprocess.TimeoutExpired:
        return False
    return "chi_sim" in done.stdout.decode("utf-8", "replace").split()


def default_converters() -> dict[str, Callable[[bytes], str]]:
    """The converters available on this machine: `doc` (antiword), `ocr` (tesseract with chi_sim)."""
    converters: dict[str, Callable[[bytes], str]] = {"doc": antiword} if shutil.which("antiword") else {}
    if _has_chinese_ocr():
        converters["ocr"] = tesseract_ocr
    return converters
