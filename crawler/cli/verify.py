"""`nianbao verify`: Check the integrity of the WARC files and of the index against them."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, require_archive


@click.command()
@archive_option
@click.option("--repair", is_flag=True,
              help="Mend what a killed crawl leaves: cut an open file after its last complete record (the tail "
                   "is kept as NAME.torn), close it, write missing manifests. Damaged records are only reported.")
def verify(archive: Path, repair: bool) -> None:
    """Check the integrity of the WARC files and of the index against them.

    Exit status 0 when everything is intact, 1 when something is not (each problem is listed).

    \b
    Example:
        nianbao verify --archive ./archive
        nianbao verify --archive ./archive --repair     # after a crawl was killed
    """
    from archive.check import ArchiveBusy, check_archive

    require_archive(archive)
    try:
        result = check_archive(archive, repair=repair)
    except (ArchiveBusy, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in result.repaired + [f"note: {note}" for note in result.notes]:
        click.echo(line)
    click.echo(f"{result.files} WARC files, {result.records} records checked")
    for problem in result.problems:
        click.echo(f"problem: {problem}", err=True)
    if not result.ok:
        raise SystemExit(1)
    click.echo("archive intact")
