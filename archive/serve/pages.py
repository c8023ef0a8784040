"""HTML of nianbao's own pages in `nianbao serve`: a report page, the raw capture view, a coverage table.

Archived HTML is never rendered in our origin: the raw view shows it as escaped text, and the download
link serves the bytes with `Content-Security-Policy: sandbox` and `Content-Disposition: attachment`.
"""

from __future__ import annotations

import html
import json
import sqlite3
from pathlib import Path
from typing import Any

from archive.warc.reader import CaptureRecord, decode_payload, read_record

__all__ = ["report_page", "raw_page", "raw_download", "coverage_page", "STYLE"]

STYLE = """<style>body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;max-width:70em;margin:1em auto;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #bbb;padding:.2em .4em;font-size:90%}
.meta td:first-child{font-weight:bold}.bad{color:#b00}.ok{color:#070}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}
.text p{margin:.3em 0}</style>"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{_e(title)}</title>{STYLE}</head>"
            f"<body><p><a href='/'>nianbao</a> · <a href='/index/documents?is_report=1'>reports</a> · "
            f"<a href='/-/coverage'>coverage</a></p>{body}</body></html>")


def _table(rows: list[list[str]]) -> str:
    return "<table>" + "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>"


def _text_html(text: str) -> str:
    """Paragraphs, with tab-separated table rows shown as tables."""
    parts: list[str] = []
    block: list[list[str]] = []
    for line in (text or "").split("\n"):
        if "\t" in line:
            block.append(line.split("\t"))
            continue
        if block:
            parts.append(_table(block))
            block = []
        if line.strip():
            parts.append(f"<p>{_e(line)}</p>")
    if block:
        parts.append(_table(block))
    return "".join(parts)


def report_page(db: Path, doc_id: int) -> tuple[int, str]:
    """(status, HTML) of one document's page."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        doc = conn.execute("select * from documents where id = ?", (doc_id,)).fetchone()
        if doc is None:
            return 404, _page("not found", f"<h1>No document {doc_id}</h1>")
        captures = conn.execute("select id, fetched_at, status, record_type, warc_file, warc_offset from captures "
                                "where url = ? order by fetched_at", (doc["url"],)).fetchall()
        children = conn.execute("select id, title, kind, url from documents where parent_id = ?", (doc_id,)).fetchall()
        parent = conn.execute("select id, title from documents where id = ?", (doc["parent_id"],)).fetchone() \
            if doc["parent_id"] else None
        figures = _optional(conn, "select section, row_label, col_label, value from report_figures where document_id = ? "
                                  "order by rowid", doc_id)
        checks = _optional(conn, "select check_name, ok, detail from report_checks where document_id = ?", doc_id)
    finally:
        conn.close()
    meta = [["title", doc["title"]], ["agency", doc["agency"]], ["province", doc["province"]],
            ["year reported on", doc["year"]], ["published", doc["published"]], ["kind", doc["kind"]],
            ["is report", f"{'yes' if doc['is_report'] else 'no'} (score {doc['report_score']})"],
            ["encoding", f"{doc['encoding']} ({doc['encoding_source']})"],
            ["mojibake", doc["mojibake"] or "none"], ["url", doc["url"]]]
    body = [f"<h1>{_e(doc['title'])}</h1>", "<table class='meta'>" + "".join(
        f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in meta) + "</table>"]
    if doc["mojibake_detail"]:
        body.append(f"<p class='bad'>Encoding damage: {_e(doc['mojibake_detail'])}</p>")
    if doc["error"]:
        body.append(f"<p class='bad'>Extraction: {_e(doc['error'])}</p>")
    if parent:
        body.append(f"<p>Attachment of <a href='/-/report/{parent['id']}'>{_e(parent['title'])}</a></p>")
    if children:
        body.append("<h2>Attachments</h2><ul>" + "".join(
            f"<li><a href='/-/report/{c['id']}'>{_e(c['title'])}</a> ({_e(c['kind'])})</li>" for c in children) + "</ul>")
    body.append("<h2>Captures</h2><ul>" + "".join(
        f"<li><a href='/-/raw/{c['id']}'>{_e(c['fetched_at'])} · {c['status']} · {_e(c['record_type'])}</a> "
        f"({_e(c['warc_file'])}@{c['warc_offset']})</li>" for c in captures) + "</ul>")
    if checks:
        body.append("<h2>Checks</h2><ul>" + "".join(
            f"<li class='{'ok' if ok else 'bad'}'>{_e(name)}: {'ok' if ok else 'FAILED ' + _e(detail)}</li>"
            for name, ok, detail in checks) + "</ul>")
    if figures:
        body.append("<h2>Figures</h2>" + _table([["section", "row", "column", "value"]] + [
            [s, r, c, f"{v:g}"] for s, r, c, v in figures]))
    body.append(f"<h2>Text</h2><div class='text'>{_text_html(doc['text'])}</div>")
    return 200, _page(doc["title"] or doc["url"], "".join(body))


def _optional(conn: sqlite3.Connection, sql: str, *args: Any) -> list[Any]:
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # an index built before the figures tables existed
        return []


def _capture(db: Path, archive: Path, capture_id: int) -> tuple[sqlite3.Row | None, CaptureRecord | None]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("select * from captures where id = ?", (capture_id,)).fetchone()
    finally:
        conn.close()
    if row is None:
        return None, None
    path = archive / "warc" / row["warc_file"]
    if not path.exists():
        path = path.with_name(path.name + ".open")
    url, headers, payload = read_record(path, row["warc_offset"], row["warc_length"] or 0)
    record = CaptureRecord(url=url, record_type=row["record_type"], record_id="", date=row["fetched_at"],
                           status=row["status"], headers=headers, payload=payload, warc_file=row["warc_file"],
                           offset=row["warc_offset"], length=row["warc_length"], payload_digest=row["payload_digest"])
    return row, record


def raw_page(db: Path, archive: Path, capture_id: int) -> tuple[int, str]:
    """The capture as archived: status, headers and body as escaped text (never rendered)."""
    row, record = _capture(db, archive, capture_id)
    if row is None or record is None:
        return 404, _page("not found", f"<h1>No capture {capture_id}</h1>")
    body = decode_payload(record)
    from extract.decoding import decode_html

    text = decode_html(body, record.header("Content-Type")).text if body[:1] != b"%" else f"[{len(body)} bytes of binary]"
    headers = "\n".join(f"{k}: {v}" for k, v in record.headers)
    provenance = {k: row[k] for k in ("run_id", "seed", "via", "link_text", "hop_path", "role", "reason")}
    return 200, _page(f"capture {capture_id}", (
        f"<h1>Capture of {_e(record.url)}</h1><p>{_e(row['fetched_at'])} · {_e(row['warc_file'])}@{row['warc_offset']} · "
        f"<a href='/-/raw/{capture_id}/download'>download the payload</a> (served sandboxed, as an attachment)</p>"
        f"<h2>Provenance</h2><pre>{_e(json.dumps(provenance, ensure_ascii=False, indent=1))}</pre>"
        f"<h2>HTTP/1.1 {row['status']}</h2><pre>{_e(headers)}</pre><h2>Body</h2><pre class='raw'>{_e(text)}</pre>"))


def raw_download(db: Path, archive: Path, capture_id: int) -> tuple[int, bytes, dict[str, str]]:
    """The payload bytes with headers that keep archived scripts from running in our origin."""
    row, record = _capture(db, archive, capture_id)
    if row is None or record is None:
        return 404, b"not found", {"content-type": "text/plain"}
    return 200, decode_payload(record), {
        "content-type": "application/octet-stream", "content-security-policy": "sandbox",
        "x-content-type-options": "nosniff",
        "content-disposition": f"attachment; filename=capture-{capture_id}"}


def coverage_page(db: Path) -> tuple[int, str]:
    """Agencies × years: which reports the archive holds."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("select agency, province, year, min(id) from documents where is_report = 1 and year is "
                            "not null group by agency, province, year").fetchall()
    finally:
        conn.close()
    years = sorted({r[2] for r in rows})
    agencies = sorted({(r[1] or "", r[0] or "") for r in rows})
    cell = {(r[1] or "", r[0] or "", r[2]): r[3] for r in rows}
    head = "<tr><th>province</th><th>agency</th>" + "".join(f"<th>{y}</th>" for y in years) + "</tr>"
    body = "".join(
        f"<tr><td>{_e(p)}</td><td>{_e(a)}</td>" + "".join(
            f"<td><a href='/-/report/{cell[(p, a, y)]}'>✓</a></td>" if (p, a, y) in cell else "<td></td>" for y in years)
        + "</tr>" for p, a in agencies)
    return 200, _page("coverage", f"<h1>Coverage: reports by agency and year</h1><table>{head}{body}</table>")
