"""`nianbao changes`: reports edited (or withdrawn) after publication, what changed and when."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from .common import archive_option, require_index


@click.command()
@archive_option
@click.option("--since", default=None, type=click.DateTime(["%Y-%m-%d"]),
              help="Only changes captured on or after this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array: every change with its diff and figures.")
def changes(archive: Path, since: Any, as_json: bool) -> None:
    """List reports edited since they were first archived (paragraphs and figures, old → new), and
    reports withdrawn (404/410 on two nights in a row).

    \b
    Example:
        nianbao changes --archive ./archive --since 2026-01-01
        nianbao changes --archive ./archive --json > changes.json
    """
    from archive.index.versions import edited_and_withdrawn

    day: date | None = since.date() if since else None
    items = edited_and_withdrawn(require_index(archive), day.isoformat() if day else "")
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=1))
        return
    for item in items:
        click.echo("\n".join(_lines(item)))
    if not items:
        click.echo("no edited reports" + (f" since {day}" if day else ""), err=False)


def _lines(item: dict[str, Any]) -> list[str]:
    head = f"{item['agency'] or '-'} · {item['year'] or '-'} · {item['title'] or item['url']}"
    if item["change"] == "withdrawn":
        return [f"withdrawn {item['confirmed_at']} ({item['gone_status']} since {item['first_gone_at']}) · {head}",
                f"  {item['url']}", ""]
    lines = [f"edited {item['fetched_at']} (version {item['version']}, previous {item['previous_fetched_at']}) · "
             f"{head}", f"  {item['url']}"]
    for change in item["diff"]:
        if change["old"]:
            lines.append(f"  - {change['old']}")
        if change["new"]:
            lines.append(f"  + {change['new']}")
    for figure in item["figures"]:
        label = " / ".join(part for part in (figure["section"], figure["row"], figure["column"]) if part)
        lines.append(f"  figure {label}: {_number(figure['old'])} → {_number(figure['new'])}")
    return [*lines, ""]


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)
