"""The report page's history: its versions with a side-by-side diff and the figures that changed, whether it
was withdrawn, how much it repeats its previous year's report, and near-duplicates of other agencies."""

from __future__ import annotations

import json
import sqlite3

from archive.serve.pages import e, optional, table

__all__ = ["history_html"]

_OPS = {"changed": "修改", "added": "新增", "removed": "删除"}


def _number(value: object) -> str:
    if value is None:
        return "—"
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _versions(conn: sqlite3.Connection, url: str) -> str:
    rows = optional(conn, "select version, fetched_at, paragraphs_changed, figures_changed, diff, figures "
                          "from versions where url = ? order by version", url)
    if len(rows) < 2:
        return ""
    listing = table([[f"第 {r['version']} 版", r["fetched_at"], r["paragraphs_changed"], r["figures_changed"]]
                     for r in rows], head=["版本", "抓取时间", "改动段落", "改动数字"], cls="meta")
    latest = rows[-1]
    diff = json.loads(latest["diff"] or "[]")
    sides = "".join(f"<tr><td>{_OPS.get(d.get('op', ''), '')}</td><td class='old'>{e(d.get('old', ''))}</td>"
                    f"<td class='new'>{e(d.get('new', ''))}</td></tr>" for d in diff)
    figures = json.loads(latest["figures"] or "[]")
    changed = table([[f["section"], f["row"], f["column"], _number(f["old"]), _number(f["new"])] for f in figures],
                    head=["表", "行", "列", "原值", "新值"]) if figures else ""
    return (f"<h2>版本（悄悄修改）</h2>{listing}<h3>第 {latest['version']} 版与上一版的差异</h3>"
            f"<table class='doc diff'><tr><th></th><th>上一版</th><th>这一版</th></tr>{sides}</table>{changed}")


def _withdrawn(conn: sqlite3.Connection, url: str) -> str:
    rows = optional(conn, "select first_gone_at, confirmed_at, gone_status from withdrawn where url = ?", url)
    if not rows:
        return ""
    row = rows[0]
    return (f"<p class='note bad'>已撤下：自 {e(row['first_gone_at'] or '')} 起返回 {row['gone_status']}，"
            f"{e(row['confirmed_at'] or '')} 再次确认；以下为存档副本。</p>")


def _similarity(conn: sqlite3.Connection, doc_id: int) -> str:
    rows = optional(conn, "select previous_year, share_of_previous, note from similarity where document_id = ?",
                    doc_id)
    parts = []
    if rows and rows[0]["share_of_previous"] is not None:
        parts.append(f"<p>与 {rows[0]['previous_year']} 年的报告 {rows[0]['share_of_previous']:.0%} 相同"
                     "（不计数字、表格和各报告共有的格式文字）。</p>")
    elif rows and rows[0]["note"]:
        parts.append(f"<p>与上年报告的相似度：{e(rows[0]['note'])}</p>")
    for other in optional(conn, "select n.score, d.id, d.agency from near_duplicates n join documents d "
                                "on d.id = n.other_document_id where n.document_id = ? order by n.score desc", doc_id):
        parts.append(f"<p>与 <a href='/-/report/{other['id']}'>{e(other['agency'])}</a> 同年的报告 "
                     f"{other['score']:.0%} 相同。</p>")
    return f"<h2>重复与抄袭</h2>{''.join(parts)}" if parts else ""


def history_html(conn: sqlite3.Connection, doc_id: int, url: str) -> tuple[str, str]:
    """(banner above the text, sections below it) for the document `doc_id` at `url`."""
    return _withdrawn(conn, url), _versions(conn, url) + _similarity(conn, doc_id)
