"""`nianbao verify`: Check the integrity of the WARC files and of the index against them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from .common import archive_option


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
    from archive.lock import live_lock_holder
    from archive.warc.reader import warc_files
    from archive.warc.verify import repair_warc, repairable, verify_warc

    holder = live_lock_holder(archive)
    if holder and repair:
        raise click.ClickException(f"run {holder.get('run_id')} (pid {holder.get('pid')}) is writing {archive}; "
                                   "stop it before --repair")
    files = warc_files(archive)
    if not files:
        raise click.ClickException(f"no WARC files in {archive / 'warc'}")
    problems: list[str] = []
    records = 0
    for path in files:
        check = verify_warc(path)
        records += check.records
        if repair and repairable(check) and (not check.ok or path.name.endswith(".open")):
            fixed = repair_warc(path)
            click.echo(f"repaired {path.name} → {fixed.name} ({check.records} complete records kept)")
            continue
        if check.ok and path.name.endswith(".open"):
            problems.append(f"{path.name}: not closed (a crawl was interrupted or is running)")
        problems.extend(check.problems)
    problems += _check_index(archive, {p.name.removesuffix(".open") for p in warc_files(archive)})
    click.echo(f"{len(files)} WARC files, {records} records checked")
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("archive intact")


def _check_index(archive: Path, names: set[str]) -> list[str]:
    db = archive / "index.db"
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            missing = [r[0] for r in conn.execute("select distinct warc_file from captures")]
        except sqlite3.Error as exc:
            return [f"{db}: {exc}"]
    return [f"index.db refers to {name}, which is not in {archive / 'warc'} (run `nianbao index` again after "
            "deleting index.db)" for name in missing if name not in names]
