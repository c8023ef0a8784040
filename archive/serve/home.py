"""`/`: what the archive holds (agencies, reports by year, the last crawl and its outcome, blocked sites),
a search box and the ways in."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from archive.index.rollups import report_years_source
from archive.serve.cache import memo
from archive.serve.coverage import BLOCKERS
from archive.serve.pages import connect, e, optional, page, table

__all__ = ["home_page"]

FINISH_REASONS = {"finished": "正常完成", "shutdown": "被中断", "closespider_timeout": "达到时限",
                  "closespider_pagecount": "达到页数上限"}


def _last_run(conn: sqlite3.Connection) -> str:
    rows = optional(conn, "select id, started, finished, mode, stats from runs order by started desc limit 1")
    if not rows:
        return "<p>索引中还没有抓取记录。</p>"
    run = rows[0]
    try:
        stats = json.loads(run["stats"] or "{}") or {}
    except ValueError:
        stats = {}
    reason = stats.get("finish_reason", "")
    outcome = FINISH_REASONS.get(reason, reason or "未完成")
    facts = [["开始", run["started"]], ["结束", run["finished"] or "（未结束）"],
             ["方式", {"full": "完整抓取", "incremental": "增量抓取"}.get(run["mode"], run["mode"])],
             ["结果", outcome],
             ["种子网站", f"{stats.get('seeds_answered', '?')} / {stats.get('seeds', '?')} 个有应答"],
             ["抓取页面", stats.get("pages_fetched", "?")], ["发现报告", stats.get("reports_found", "?")]]
    blocked = stats.get("blocked") or {}
    names = _agency_names(conn, list(blocked))
    items = "".join(f"<li>{e(names.get(url, url))}（{e(BLOCKERS.get(kind, kind))}）</li>"
                    for url, kind in blocked.items())
    listing = f"<h3>被反爬虫拦截的网站</h3><ul class='blocked'>{items}</ul>" if items else ""
    return (f"<h2>最近一次抓取</h2>{table(facts, cls='meta')}{listing}"
            f"<p><a href='/index/runs'>全部抓取记录</a></p>")


def _agency_names(conn: sqlite3.Connection, urls: list[str]) -> dict[str, str]:
    """Seed URL → agency, for these URLs only (a national index has 10,000 agencies)."""
    names: dict[str, str] = {}
    for start in range(0, len(urls), 500):  # below SQLite's limit on parameters
        chunk = urls[start:start + 500]
        names.update((r["url"], r["agency"]) for r in optional(
            conn, f"select agency, url from agencies where url in ({', '.join('?' * len(chunk))})", *chunk))
    return names


def _holdings(conn: sqlite3.Connection) -> tuple[int, int, list[tuple[int, int]]]:
    """Agencies, documents, and reports (agency-years) per year, newest first."""
    agencies = conn.execute("select count(*) from agencies").fetchone()[0]
    documents = conn.execute("select count(*) from documents").fetchone()[0]
    by_year = conn.execute(f"select year, count(*) from {report_years_source(conn)} where year is not null "
                           "group by year order by year desc").fetchall()
    return int(agencies), int(documents), [(int(y), int(n)) for y, n in by_year]


def home_page(db: Path) -> tuple[int, str]:
    """(status, HTML) of the home page."""
    with connect(db) as conn:
        agencies, documents, by_year = memo(db, ("home",), lambda: _holdings(conn))
        run = _last_run(conn)
    reports = sum(n for _y, n in by_year)
    search = ("<form method='get' action='/-/search' class='search'><input name='q' size='40' "
              "placeholder='搜索报告全文，简体繁体均可，如：行政复议'><button>搜索</button></form>")
    links = ("<p><a href='/-/coverage'>覆盖情况（各机关各年度）</a> · <a href='/-/reports'>全部年度报告</a> · "
             "<a href='/-/figures'>统计数字图表</a> · <a href='/index/runs'>抓取记录</a></p>")
    body = (f"<h1>政府信息公开工作年度报告存档</h1>{search}{links}"
            f"<p>本存档收录 <b>{agencies}</b> 个机关的 <b>{reports}</b> 份年度报告（共 {documents} 个文档）。</p>"
            f"<h2>各年度报告数</h2>{table([[y, n] for y, n in by_year], ['报告年度', '报告数'], 'by-year')}{run}")
    return 200, page("首页", body)
