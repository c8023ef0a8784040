"""`nianbao pack`: Package the archive as a WACZ."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, require_archive


@click.command()
@archive_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="WACZ file to write (default: ARCHIVE/<name>.wacz).")
@click.option("--title", default="", help="Title recorded in the WACZ's datapackage.json.")
def pack(archive: Path, output: Path | None, title: str) -> None:
    """Package the archive as a WACZ (WARCs, CDXJ index, pages list) for ReplayWeb.page or pywb.

    \b
    Example:
        nianbao pack --archive ./archive -o reports-2025.wacz
    """
    from archive.warc.wacz import pack_wacz

    require_archive(archive)
    target = output or archive / f"{archive.resolve().name}.wacz"
    try:
        pack_wacz(archive, target, title)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
