"""`nianbao crawl`: crawl the seeds' portals into the archive."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.seeds import SeedsError, load_seeds

from .common import archive_option, parse_settings


@click.command()
@click.option("--seeds", "seeds_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Seeds CSV (UTF-8; columns agency,province,city,county,url[,kind]).")
@archive_option
@click.option("--province", default=None, help="Only this province's seeds (a province harvest), e.g. 广东省.")
@click.option("--incremental", is_flag=True, help="Nightly mode: conditional requests, only new or changed reports.")
@click.option("--resume", is_flag=True, help="Continue an interrupted harvest without refetching what is done.")
@click.option("--cluster", default=None, metavar="redis://[:PASSWORD@]HOST:PORT/DB",
              help="Be one worker of a cluster run kept in this Redis database (same seeds on every worker).")
@click.option("--worker", default=None, help="This worker's name in the cluster run (default: host-pid).")
@click.option("--run", "run_name", default=None,
              help="Cluster run to start or join (default: the active run, or a new one).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy or NIANBAO_* setting (repeatable), as `scrapy crawl -s`.")
@click.option("-L", "--loglevel", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Log level; DEBUG shows why each link was followed or dropped.")
def crawl(seeds_path: Path, archive: Path, province: str | None, incremental: bool, resume: bool,
          cluster: str | None, worker: str | None, run_name: str | None, settings: tuple[str, ...],
          loglevel: str) -> None:
    """Crawl the seeds' portals for annual reports, writing every response to WARC.

    \b
    Example:
        nianbao crawl --seeds seeds.csv --archive ./archive
        nianbao crawl --seeds seeds.csv --archive ./archive --incremental
        nianbao crawl --seeds seeds.csv --archive ./gd --province 广东省 --resume
        nianbao crawl --seeds seeds.csv --archive /shared/archive --cluster redis://:PASSWORD@10.0.0.5:6379/0
    """
    if (worker or run_name) and not cluster:
        raise click.UsageError("--worker and --run need --cluster redis://HOST:PORT/DB")
    try:
        seeds = load_seeds(seeds_path, province)
    except SeedsError as exc:
        raise click.ClickException(str(exc)) from None
    from crawler.run import CrawlRequest, run_crawl

    outcome = run_crawl(CrawlRequest(seeds=seeds, seeds_path=seeds_path, archive=archive, province=province,
                                     incremental=incremental, resume=resume, overrides=parse_settings(settings),
                                     loglevel=loglevel.upper(), cluster=cluster, worker=worker,
                                     run_name=run_name))
    for message in outcome.messages:
        click.echo(message, err=True)
    raise SystemExit(outcome.code)
