"""`nianbao demo`: serve the bundled demo portals, crawl them, index, summarise."""

from __future__ import annotations

from pathlib import Path

import click

from .common import parse_settings


@click.command()
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-archive"),
              show_default=True, help="Archive folder to write the demo crawl into.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy or NIANBAO_* setting for the demo crawl (repeatable).")
@click.option("-L", "--loglevel", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Log level of the demo crawl.")
def demo(archive: Path, settings: tuple[str, ...], loglevel: str) -> None:
    """Crawl the bundled demo portals into an archive and print a summary (under a minute).

    \b
    Example:
        nianbao demo
        nianbao demo --archive /tmp/demo
    """
    from crawler.demo.run import run_demo

    outcome = run_demo(archive, parse_settings(settings), loglevel.upper(), say=click.echo)
    for line in outcome.warnings:
        click.echo(line, err=True)
    for line in outcome.summary:
        click.echo(line)
    raise SystemExit(outcome.code)
