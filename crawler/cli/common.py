"""Helpers shared by the subcommands: the archive option, -s parsing, the index check."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.settings.validate import check_overrides

archive_option = click.option(
    "--archive",
    "archive",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive folder (ARCHIVE/warc/*.warc.gz and ARCHIVE/index.db).",
)


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn `-s NAME=VALUE` pairs into a dict, refusing malformed ones and values a setting cannot take."""
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="-s")
        settings[name.strip()] = value
    problems = check_overrides(settings)
    if problems:
        raise click.BadParameter("; ".join(problems), param_hint="-s")
    return settings


def require_archive(archive: Path) -> Path:
    """Return ARCHIVE when it holds WARC files, or fail with the one message every command gives."""
    warc = archive / "warc"
    if not warc.is_dir() or not any(warc.iterdir()):
        what = "does not exist" if not archive.exists() else "holds no WARC files (no warc/ folder)" \
            if not warc.is_dir() else "holds no WARC files (warc/ is empty)"
        raise click.ClickException(f"{archive} is not a nianbao archive: it {what}. Crawl into it first "
                                   f"(`nianbao crawl --seeds FILE --archive {archive}` or `nianbao demo "
                                   f"--archive {archive}`), or give the folder that holds warc/")
    return archive


def require_index(archive: Path) -> Path:
    """Return ARCHIVE/index.db or fail with what to run."""
    db = archive / "index.db"
    if not db.exists():
        require_archive(archive)
        raise click.ClickException(f"{db} does not exist; run `nianbao index --archive {archive}` first")
    return db
