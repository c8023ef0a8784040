"""`nianbao similar`: reports that copy their agency's previous report, and near-duplicates across agencies."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import archive_option, require_index


@click.command()
@archive_option
@click.option("--threshold", default=0.8, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Share of a report's own text (figures and the standard form's shared text left out).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: copied and near_duplicates.")
def similar(archive: Path, threshold: float, as_json: bool) -> None:
    """List reports whose own text repeats their previous year's report, and pairs of agencies that filed
    (nearly) the same report.

    \b
    Example:
        nianbao similar --archive ./archive
        nianbao similar --archive ./archive --threshold 0.6 --json
    """
    from archive.index.similarity import similar_reports

    found = similar_reports(require_index(archive), threshold)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
        return
    for item in found["copied"]:
        click.echo(f"copied {item['share']:.0%} of its {item['previous_year']} report · {item['agency']} · "
                   f"{item['year']} · {item['url']} (from {item['previous_url']})")
    for pair in found["near_duplicates"]:
        click.echo(f"near-duplicate {pair['score']:.0%} · {pair['year']} · {pair['agency']} {pair['url']} · "
                   f"{pair['other_agency']} {pair['other_url']}")
    if not found["copied"] and not found["near_duplicates"]:
        click.echo(f"no reports at or above {threshold:.0%}")
