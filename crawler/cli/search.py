"""`nianbao search`: full-text search of the archive index."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import archive_option, require_index


@click.command()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--province", default=None, help="Only this province, e.g. 浙江省.")
@click.option("--agency", default=None, help="Only this agency (exact name).")
@click.option("--year", default=None, type=int, help="Year reported on.")
@click.option("--kind", default=None, type=click.Choice(["html", "pdf", "doc", "docx", "wps", "xls", "xlsx", "ofd"]),
              help="Only documents of this kind.")
@click.option("--reports-only", is_flag=True, help="Only documents classified as annual reports.")
@click.argument("query")
def search(archive: Path, as_json: bool, limit: int, province: str | None, agency: str | None, year: int | None,
           kind: str | None, reports_only: bool, query: str) -> None:
    """Search report titles and texts (Chinese, simplified or traditional).

    \b
    Example:
        nianbao search --archive ./archive 行政复议
        nianbao search --archive ./archive --year 2024 --json 依申请公开
    """
    from archive.index.search import SearchFilters
    from archive.index.search import search as run_search

    db = require_index(archive)
    filters = SearchFilters(province=province or "", agency=agency or "", year=year, kind=kind or "",
                            reports_only=reports_only)
    rows = run_search(db, query, limit, filters)
    for row in rows:
        if as_json:
            click.echo(json.dumps({k: row[k] for k in ("url", "agency", "province", "year", "title", "snippet", "kind",
                                                       "is_report", "published")}, ensure_ascii=False))
        else:
            click.echo(
                f"{row['agency'] or '-'} · {row['year'] or '-'} · {row['title']}\n  {row['url']}\n  {row['snippet']}\n"
            )
    if not rows and not as_json:
        click.echo(f"no documents match {query!r}", err=True)
