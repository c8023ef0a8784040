"""One entry point: `document(body, headers, url)` → a frozen `Document` ready for the index."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin

from .attachments import KIND_BY_EXTENSION, extract_attachment, kind_of
from .classify import classify_title, report_year
from .decoding import Decoded, decode_html, decode_text
from .html_text import Table, extract_main, parse_html
from .metadata import page_agency, page_title, published_date, script_of, signature_agency, to_simplified
from .mojibake import analyse
from .options import ExtractOptions

__all__ = ["EXTRACTOR_VERSION", "Document", "document", "report_evidence"]

EXTRACTOR_VERSION = 5  # bump whenever the output for the same bytes changes

_SECTIONS = ("总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "行政复议、行政诉讼",
             "存在的主要问题及改进情况", "其他需要报告的事项")
_SECTIONS_T = ("總體情況", "主動公開政府信息情況", "收到和處理政府信息公開申請情況", "行政復議、行政訴訟",
               "存在的主要問題及改進情況", "其他需要報告的事項")
_ATTACHMENT_EXT = tuple(f".{ext}" for ext, kind in KIND_BY_EXTENSION.items() if kind not in ("html", "txt"))


@dataclass(frozen=True)
class Document:
    """What the index stores for one captured document (field names are the `documents` columns).

    `tables`: each a grid of rows of cell strings, blanks kept, a merged cell's text repeated in every slot
    it covers (readers by column position need no span logic). Where the source says which cells are merged
    (HTML, DOCX) the table is an `extract.table_grid.SpannedTable`; `table_spans(table)` gives its
    (row, column, rowspan, colspan) spans, () for other tables.
    """

    url: str
    title: str = ""
    year: int | None = None
    published: str = ""
    agency: str = ""
    kind: str = "html"
    encoding: str = ""
    encoding_source: str = ""
    mojibake: str = ""
    mojibake_detail: str = ""
    is_report: bool = False
    report_score: float = 0.0
    text: str = ""
    text_simplified: str = ""
    extractor_version: int = EXTRACTOR_VERSION
    script: str = "simplified"
    report_reasons: tuple[str, ...] = ()
    error: str = ""
    tables: tuple[Table, ...] = ()
    attachments: tuple[tuple[str, str], ...] = field(default=())


def report_evidence(text: str) -> tuple[float, tuple[str, ...]]:
    """Score from the body: the six section headings, the 勾稽关系 note, the tables' labels."""
    found = sum(a in text or b in text for a, b in zip(_SECTIONS, _SECTIONS_T, strict=True))
    reasons = [f"{found}/6 standard section headings"] if found else []
    score = 0.08 * found
    if re.search(r"勾稽关系|勾稽關係", text):
        score += 0.1
        reasons.append("勾稽关系 note")
    if re.search(r"(本年新收政府信息公开申请|本年新收政府信息公開申請|予以公开|予以公開)", text):
        score += 0.1
        reasons.append("application table labels")
    return min(score, 0.6), tuple(reasons)


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _links(root, url: str) -> tuple[tuple[str, str], ...]:  # type: ignore[no-untyped-def]
    seen: dict[str, str] = {}
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        absolute = urljoin(url, href)
        if absolute.split("?")[0].lower().endswith(_ATTACHMENT_EXT) and absolute not in seen:
            seen[absolute] = re.sub(r"\s+", " ", "".join(anchor.itertext())).strip() or (anchor.get("title") or "")
    return tuple(seen.items())


def document(body: bytes, headers: Mapping[str, str], url: str, options: ExtractOptions | None = None) -> Document:
    """Decode, repair, extract and classify one captured document; never raises on bad input."""
    options = options or ExtractOptions()
    content_type = _header(headers, "content-type")
    kind = kind_of(url, content_type, body[:8])
    try:
        if kind in ("html", "other", "txt"):
            return _html_document(body, content_type, url, kind, options)
        return _attachment_document(body, url, kind, options)
    except RecursionError as exc:  # pathological nesting: keep the capture, say why
        return Document(url=url, kind=kind, error=f"extract-failed: {exc}")
    except Exception as exc:  # a broken install or a library bug: the capture is indexed with the reason
        return Document(url=url, kind=kind, error=f"extract-failed: {type(exc).__name__}: {exc}"[:500])


def _finish(url: str, kind: str, title: str, text: str, tables: tuple[Table, ...], published: str, agency: str,
            encoding: str, encoding_source: str, error: str, attachments: tuple[tuple[str, str], ...],
            options: ExtractOptions) -> Document:
    report = analyse(text)
    text = report.text[: options.max_text_chars]
    title_verdict = classify_title(title)
    evidence, evidence_reasons = report_evidence(text)
    score = title_verdict.score + (evidence if title_verdict.score >= 0.3 else evidence / 2)
    if any(reason.startswith("look-alike") for reason in title_verdict.reasons):
        score = min(score, 0.3)
    score = round(min(score, 1.0), 2)
    if not title_verdict.is_report and evidence < 0.3:
        score = min(score, 0.5)  # a yearless report-like title needs the body's evidence (sections, tables)
    year = title_verdict.year or (report_year(text[:200]) if score >= 0.6 else None)
    if year is None and published and score >= 0.6:
        year = int(published[:4]) - 1  # a report is published early in the year after the one it covers
    mojibake_detail = "" if report.verdict == "clean" else json.dumps(
        {"verdict": report.verdict, "counts": dict(report.counts), "inferred": [list(i) for i in report.inferred],
         "unrepaired": report.unrepaired}, ensure_ascii=False, sort_keys=True)
    return Document(
        url=url, title=title, year=year, published=published, agency=agency or signature_agency(text), kind=kind,
        encoding=encoding, encoding_source=encoding_source, mojibake=",".join(report.kinds),
        mojibake_detail=mojibake_detail, is_report=score >= 0.6, report_score=score, text=text,
        text_simplified=to_simplified(text), script=script_of(text),
        report_reasons=title_verdict.reasons + evidence_reasons, error=error, tables=tables, attachments=attachments)


def _encoding_source(decoded: Decoded) -> str:
    """How the encoding was decided; a guess names chardet's answer (no reading looked like Chinese)."""
    return f"{decoded.source} (chardet: {decoded.detector})" if decoded.detector else decoded.source


def _html_document(body: bytes, content_type: str, url: str, kind: str, options: ExtractOptions) -> Document:
    decoded = (
        decode_html(body[: options.max_bytes], content_type) if kind == "html" else decode_text(body, content_type)
    )
    error = f"decoding: {decoded.replacements} bytes replaced" if decoded.replacements else ""
    root = parse_html(decoded.text) if kind != "txt" else None
    if root is None:
        return _finish(url, kind, "", decoded.text if kind == "txt" else "", (), "", options.agency, decoded.codec,
                       _encoding_source(decoded), error or ("" if kind == "txt" else "empty-page"), (), options)
    text, tables, _method = extract_main(root, decoded.text)
    title = page_title(root)
    return _finish(url, "html", title, text, tables, published_date(root, text, url),
                   page_agency(root, text) or options.agency, decoded.codec, _encoding_source(decoded), error,
                   _links(root, url), options)


def _attachment_document(body: bytes, url: str, kind: str, options: ExtractOptions) -> Document:
    text, tables, error = extract_attachment(kind, body[: options.max_bytes], options.converters)
    name = unquote(url.split("?")[0].rsplit("/", 1)[-1])
    first_lines = [line for line in text.split("\n")[:5] if line.strip()]
    title = options.title or next((line for line in first_lines if classify_title(line).score >= 0.6),
                                  first_lines[0] if first_lines else name)
    # An attachment's own signature names its agency better than the seed it was reached from.
    return _finish(url, kind, title, text, tables, "", signature_agency(text) or options.agency, "", "", error, (),
                   options)
