"""`nianbao demo`: serve the bundled demo portals, crawl them, index, summarise."""

from __future__ import annotations

from pathlib import Path

import click

from .common import not_available


@click.command()
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-archive"),
              show_default=True, help="Archive folder to write the demo crawl into.")
def demo(archive: Path) -> None:
    """Crawl the bundled demo portals into an archive and print a summary (under a minute).

    \b
    Example:
        nianbao demo
        nianbao demo --archive /tmp/demo
    """
    not_available("demo", 2)
