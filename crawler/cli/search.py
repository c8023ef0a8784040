"""`nianbao search`: full-text search of the archive index."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
@click.option("--province", default=None)
@click.option("--year", default=None, type=int, help="Year reported on.")
@click.argument("query")
def search(archive: Path, as_json: bool, limit: int, province: str | None, year: int | None, query: str) -> None:
    """Search report titles and texts (Chinese, simplified or traditional).

    \b
    Example:
        nianbao search --archive ./archive 行政复议
        nianbao search --archive ./archive --year 2024 --json 依申请公开
    """
    not_available("search", 6)
