"""`/-/raw/ID` and its download: a capture as archived, never rendered in our origin.

The body is shown as escaped text unless its first bytes say it is binary (PDF, Office, images, archives):
then only its type and size. The download serves the bytes sandboxed, as an attachment named as the
server named it (Content-Disposition) or as the URL's last path segment, with an extension from the content.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

from archive.serve.pages import connect, e, page, table
from archive.warc.reader import CaptureRecord, decode_body, read_record

__all__ = ["binary_kind", "download_name", "raw_download", "raw_page"]

_MAGIC = ((b"%PDF", "pdf"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
          (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"RIFF", "webp"), (b"Rar!", "rar"), (b"\x1f\x8b", "gz"), (b"7z\xbc\xaf", "7z"))
_NAMES = {"pdf": "PDF 文档", "zip": "ZIP 压缩包（或 DOCX/XLSX/OFD）", "docx": "Word 文档（DOCX）",
          "xlsx": "Excel 表格（XLSX）", "ole": "Office 97–2003 文档（DOC/XLS/WPS）", "png": "PNG 图片",
          "jpg": "JPEG 图片", "gif": "GIF 图片", "webp": "WebP 图片", "rar": "RAR 压缩包", "gz": "gzip 压缩数据",
          "7z": "7z 压缩包", "binary": "二进制数据"}
PROVENANCE = (("run_id", "抓取批次"), ("seed", "种子网址"), ("via", "来源页面"), ("link_text", "链接文字"),
              ("hop_path", "跳转路径"), ("role", "爬虫判断的类型"), ("reason", "跟进原因"))
_FILENAME = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)|filename\s*=\s*\"?([^\";]+)\"?", re.IGNORECASE)


def binary_kind(body: bytes) -> str:
    """'' for text; else the binary type its first bytes show ('pdf', 'docx', 'ole', 'png', … or 'binary')."""
    head = body[:2048]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "zip":
                return "docx" if b"word/" in body[:65536] else "xlsx" if b"xl/" in body[:65536] else "zip"
            return kind
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):  # UTF-16 text has NULs too
        return "binary"
    return ""


def _header_text(value: str) -> str:
    """A header value as the server meant it: raw GBK bytes (common on Chinese portals) reach us decoded as
    Latin-1 (UTF-8 ones already decoded), so such a value is read again as GB18030."""
    if any("\x80" <= ch <= "\xff" for ch in value) and all(ch <= "\xff" for ch in value):
        try:
            return value.encode("latin-1").decode("gb18030")
        except UnicodeDecodeError:
            return value
    return value


def download_name(url: str, content_disposition: str, body: bytes, capture_id: int) -> str:
    """The file's own name: the server's (Content-Disposition), else the URL's, with a fitting extension."""
    name = ""
    match = _FILENAME.search(content_disposition or "")
    if match:
        name = unquote(match.group(1)) if match.group(1) else _header_text(match.group(2))
    name = PurePosixPath((name or unquote(urlsplit(url).path)).replace("\\", "/")).name.strip()
    if not name:
        name = f"capture-{capture_id}"
    if not PurePosixPath(name).suffix:  # "/show?id=3" or "/files/abc": name the type the bytes are
        kind = binary_kind(body)
        name += "." + {"ole": "doc", "binary": "bin", "": "html"}.get(kind, kind)
    return name


def _capture(db: Path, archive: Path, capture_id: int) -> tuple[sqlite3.Row | None, CaptureRecord | None]:
    with connect(db) as conn:
        row = conn.execute("select * from captures where id = ?", (capture_id,)).fetchone()
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


DISPLAY_LIMIT = 2 << 20  # bytes of a decoded body shown on the raw page


def _body_text(body: bytes, content_type: str) -> str:
    kind = binary_kind(body)
    if kind:
        return f"[{_NAMES[kind]}，{len(body):,} 字节：二进制内容不以文本显示，请下载原件]"
    from extract.decoding import decode_html

    return decode_html(body, content_type).text


def raw_page(db: Path, archive: Path, capture_id: int) -> tuple[int, str]:
    """The capture as archived: status, headers and body as escaped text (never rendered)."""
    row, record = _capture(db, archive, capture_id)
    if row is None or record is None:
        return 404, page("未找到", f"<h1>没有编号为 {capture_id} 的抓取记录</h1>")
    decoded = decode_body(record, max_bytes=DISPLAY_LIMIT)  # a page, not a 1 GiB bomb inflated in memory
    body = decoded.body
    text = _body_text(body, record.header("Content-Type"))
    note = (f"<p class='bad'>只显示前 {len(body):,} 字节（{e(decoded.error)}）；下载原件可得存档的全部字节。</p>"
            if decoded.error else "")
    headers = "\n".join(f"{k}: {v}" for k, v in record.headers)
    provenance = table([[label, row[key]] for key, label in PROVENANCE], cls="meta")
    name = download_name(record.url, record.header("Content-Disposition"), body, capture_id)
    return 200, page(f"抓取记录 {capture_id}", (
        f"<h1>抓取记录：{e(record.url)}</h1><p>{e(row['fetched_at'])} · {e(row['warc_file'])}@{row['warc_offset']} · "
        f"<a href='/-/download/{capture_id}'>下载原件（{e(name)}）</a>（以附件形式、在沙箱中提供）</p>"
        f"<h2>来源</h2>{provenance}"
        f"<h2>HTTP/1.1 {row['status']}</h2><pre>{e(headers)}</pre><h2>内容</h2>{note}"
        f"<pre class='raw'>{e(text)}</pre>"))


def raw_download(db: Path, archive: Path, capture_id: int) -> tuple[int, bytes, dict[str, str]]:
    """The payload bytes with headers that keep archived scripts from running in our origin."""
    row, record = _capture(db, archive, capture_id)
    if row is None or record is None:
        return 404, b"not found", {"content-type": "text/plain"}
    decoded = decode_body(record)
    body = record.payload if decoded.error else decoded.body  # too large or undecodable: the bytes as stored
    name = download_name(record.url, record.header("Content-Disposition"), decoded.body, capture_id)
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return 200, body, {
        "content-type": "application/octet-stream", "content-security-policy": "sandbox",
        "x-content-type-options": "nosniff",
        "content-disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"}
