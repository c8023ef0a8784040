"""`/-/report/ID`: one document — its text first (tables as tables), the standard form's figures, the
checks (a failing one marked on the cells it concerns), encoding notes in words, copies and earlier
captures, and the original to download."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from archive.serve.cache import memo
from archive.serve.deadlines import STATUS_LABELS, deadline, is_government, seed_levels, status
from archive.serve.figures_form import figure_tables
from archive.serve.history import history_html
from archive.serve.pages import connect, e, optional, page, table

__all__ = ["mojibake_words", "report_page", "text_html"]

MOJIBAKE_KINDS = {
    "gbk-misalignment": "GBK 字节错位", "html-remnant": "残留的 HTML 标签", "pinyin-annotation": "转换器加注的拼音",
    "replacement-run": "替换字符（� 或“锟斤拷”）", "gbk-as-latin1": "GBK 被当作 Latin-1 解码",
    "utf8-as-gbk": "UTF-8 被当作 GBK 解码", "big5-as-gbk": "Big5 被当作 GBK 解码",
    "utf8-as-cp1252": "UTF-8 被当作 Windows-1252 解码",
}
VERDICTS = {"repaired": "已修复", "damaged": "仍有损坏", "clean": "无损坏"}
_NUMBER = re.compile(r"^[-+]?[\d,.]+%?$")


def mojibake_words(detail: str) -> str:
    """The extractor's mojibake note (JSON) as a sentence."""
    try:
        note = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(note, dict):
        return detail
    parts = [f"{MOJIBAKE_KINDS.get(kind, kind)} {count} 处" for kind, count in (note.get("counts") or {}).items()]
    sentence = "文字编码损坏：" + ("、".join(parts) or "类型不详")
    inferred = note.get("inferred") or []
    if inferred:
        sentence += f"；推断恢复 {len(inferred)} 个字（" + "；".join(
            f"“{ch}”：{why}" for ch, why in inferred[:5]) + ("…" if len(inferred) > 5 else "") + "）"
    if note.get("unrepaired"):
        sentence += f"；{note['unrepaired']} 处无法修复"
    return sentence + f"。结论：{VERDICTS.get(note.get('verdict', ''), note.get('verdict', ''))}。"


def _merged(rows: list[list[str]]) -> str:
    """A table whose merged cells are not known (a PDF's or an older extraction's): equal neighbouring
    labels are drawn once, with a colspan; numbers are never merged, equal neighbours there are separate
    figures."""
    out = []
    for row in rows:
        cells: list[tuple[str, int]] = []
        for cell in row:
            if cells and cell == cells[-1][0] and cell.strip() and not _NUMBER.match(cell.strip()):
                cells[-1] = (cell, cells[-1][1] + 1)
            else:
                cells.append((cell, 1))
        out.append("<tr>" + "".join(f"<td colspan='{n}'>{e(c)}</td>" if n > 1 else f"<td>{e(c)}</td>"
                                    for c, n in cells) + "</tr>")
    return "<table class='doc'>" + "".join(out) + "</table>"


def _spanned(rows: list[list[str]], spans: Sequence[Sequence[int]]) -> str:
    """A table drawn with the merged cells the extractor found: each once, with its rowspan/colspan."""
    starts = {(r, c): (rowspan, colspan) for r, c, rowspan, colspan in spans}
    covered = {(r + dr, c + dc) for (r, c), (rowspan, colspan) in starts.items()
               for dr in range(rowspan) for dc in range(colspan)} - set(starts)
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            if (r, c) in covered:
                continue
            rowspan, colspan = starts.get((r, c), (1, 1))
            attrs = (f" rowspan='{rowspan}'" if rowspan > 1 else "") + (f" colspan='{colspan}'" if colspan > 1 else "")
            cells.append(f"<td{attrs}>{e(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "<table class='doc'>" + "".join(out) + "</table>"


class _Tables:
    """The document's tables in the order its text shows them, each with its merged cells when known."""

    def __init__(self, tables: Sequence[Sequence[Sequence[str]]], spans: Sequence[Sequence[Sequence[int]]] | None):
        self.tables = [[list(row) for row in table] for table in tables]
        self.spans = list(spans) if spans is not None and len(spans) == len(tables) else None
        self.next = 0

    def html(self, block: list[list[str]]) -> str:
        """The block of tab-separated rows as a table: with its spans when it is one of the document's
        tables (text rows and table rows agree), else with equal labels merged."""
        if self.spans is not None:
            for index in range(self.next, len(self.tables)):
                if self.tables[index] == block:
                    self.next = index + 1
                    return _spanned(block, self.spans[index])
        return _merged(block)


def text_html(text: str, tables: Sequence[Sequence[Sequence[str]]] = (),
              spans: Sequence[Sequence[Sequence[int]]] | None = None) -> str:
    """Paragraphs, with tab-separated table rows shown as tables; `tables` and their `spans` (parallel, as
    the index stores them) draw each merged cell once where the extractor found it."""
    known = _Tables(tables, spans)
    parts: list[str] = []
    block: list[list[str]] = []
    for line in (text or "").split("\n"):
        if "\t" in line:
            block.append(line.split("\t"))
            continue
        if block:
            parts.append(known.html(block))
            block = []
        if line.strip():
            parts.append(f"<p>{e(line)}</p>")
    if block:
        parts.append(known.html(block))
    return "".join(parts)


def _stored_tables(doc: sqlite3.Row) -> tuple[list[Any], list[Any] | None]:
    """The document's tables and their spans as the index stores them (JSON); no spans from an index
    that does not store them."""
    try:
        tables = json.loads(doc["tables"] or "[]")
        # `in` on a sqlite3.Row looks among its values, not its column names
        spans = json.loads(doc["table_spans"] or "null") if "table_spans" in doc.keys() else None  # noqa: SIM118
    except ValueError:
        return [], None
    return tables, spans


def _meta(doc: sqlite3.Row, published: str, level: str) -> str:
    timing = ""
    if doc["is_report"] and doc["year"]:
        government = is_government(doc["agency"] or "", level)
        state = status(doc["year"], government, published, True, "", date.today())
        timing = f"截止 {deadline(doc['year'], government).isoformat()}：{STATUS_LABELS[state]}"
    rows = [["标题", doc["title"]], ["机关", doc["agency"]], ["省份", doc["province"]], ["报告年度", doc["year"]],
            ["发布日期", published or "不详"], ["时限", timing or "—"], ["文件类型", (doc["kind"] or "").upper()],
            ["是否年度报告", f"{'是' if doc['is_report'] else '否'}（得分 {doc['report_score']}）"],
            ["文字编码", f"{doc['encoding'] or '—'}（依据：{doc['encoding_source'] or '—'}）"],
            ["原网址", doc["url"]]]
    return table(rows, cls="meta")


def _related(conn: sqlite3.Connection, doc: sqlite3.Row) -> str:
    """Parent, attachments, the same report's other copies, and every capture of this URL."""
    parts = []
    if doc["parent_id"]:
        parent = conn.execute("select id, title from documents where id = ?", (doc["parent_id"],)).fetchone()
        if parent:
            parts.append(f"<p>附件所在页面：<a href='/-/report/{parent['id']}'>{e(parent['title'])}</a></p>")
    # attachments carry their page's agency: looking within it uses the (agency, year) index, where a
    # search by parent_id alone would read every document
    copies = conn.execute(
        "select id, title, kind from documents where agency is ? and id != ? and (parent_id = ? or "
        "(is_report = 1 and year = ?)) order by id", (doc["agency"], doc["id"], doc["id"], doc["year"])).fetchall()
    if copies:
        parts.append("<h2>附件与副本</h2><ul>" + "".join(
            f"<li><a href='/-/report/{c['id']}'>{e(c['title'])}</a>（{e((c['kind'] or '').upper())}）</li>"
            for c in copies) + "</ul>")
    captures = conn.execute("select id, fetched_at, status, record_type from captures where url = ? "
                            "order by fetched_at desc", (doc["url"],)).fetchall()
    parts.append("<h2>各次抓取（最新在前）</h2><ul>" + "".join(
        f"<li><a href='/-/raw/{c['id']}'>{e(c['fetched_at'])} · HTTP {c['status']} · {e(c['record_type'])}</a> · "
        f"<a href='/-/download/{c['id']}'>下载原件</a></li>" for c in captures) + "</ul>")
    return "".join(parts)


def _checks_html(checks: list[sqlite3.Row]) -> str:
    if not checks:
        return ""
    items = "".join(f"<li class='{'ok' if c['ok'] else 'bad'}'>{e(c['check_name'])}："
                    f"{'通过' if c['ok'] else '未通过 — ' + e(c['detail'])}</li>" for c in checks)
    return f"<h2>数字核对</h2><ul class='checks'>{items}</ul>"


def report_page(db: Path, doc_id: int, archive: Path | None = None) -> tuple[int, str]:
    """(status, HTML) of one document's page; `archive` holds the run records that give the seeds' levels."""
    with connect(db) as conn:
        doc = conn.execute("select * from documents where id = ?", (doc_id,)).fetchone()
        if doc is None:
            return 404, page("未找到", f"<h1>没有编号为 {doc_id} 的文档</h1>")
        published = doc["published"] or ""
        if not published and doc["parent_id"]:  # an attachment is published with its page
            row = conn.execute("select published from documents where id = ?", (doc["parent_id"],)).fetchone()
            published = (row[0] or "") if row else ""
        figures = optional(conn, "select section, row_label, col_label, value from report_figures "
                                 "where document_id = ? order by rowid", doc_id)
        checks = optional(conn, "select check_name, ok, detail from report_checks where document_id = ?", doc_id)
        related = _related(conn, doc)
        banner, history = history_html(conn, doc_id, doc["url"])
    level = memo(db, ("levels", str(archive)), lambda: seed_levels(archive)).get((doc["province"] or "",
                                                                                  doc["agency"] or ""), "")
    notes = []
    if doc["mojibake_detail"]:
        notes.append(f"<p class='note bad'>{e(mojibake_words(doc['mojibake_detail']))}</p>")
    if doc["error"]:
        notes.append(f"<p class='note bad'>提取失败：{e(doc['error'])}</p>")
    download = f"<p><a href='/-/download/{doc['capture_id']}'>下载原件</a></p>" if doc["capture_id"] else ""
    body = (f"<h1>{e(doc['title'] or doc['url'])}</h1>{banner}{download}{''.join(notes)}"
            f"<h2>正文</h2><div class='text'>{text_html(doc['text'], *_stored_tables(doc))}</div>"
            f"{figure_tables(figures, checks)}{_checks_html(checks)}{history}"
            f"<h2>文档信息</h2>{_meta(doc, published, level)}{related}")
    return 200, page(doc["title"] or doc["url"], body)

