"""`nianbao cluster status|reset`: a cluster run's progress, and clearing a run from Redis."""

from __future__ import annotations

import click


@click.group()
def cluster() -> None:
    """Inspect or clear a cluster run (workers started with `nianbao crawl --cluster redis://…`).

    \b
    Example:
        nianbao cluster status redis://10.0.0.5:6379/0
        nianbao cluster reset redis://:PASSWORD@10.0.0.5:6379/0
    """


@cluster.command()
@click.argument("url", metavar="redis://[:PASSWORD@]HOST:PORT/DB")
@click.option("--run", "run_id", default=None, help="Run id (default: the active run, else the latest).")
def status(url: str, run_id: str | None) -> None:
    """Sites done/claimed/left, pages, errors, blocked sites and throughput, per worker."""
    import redis

    from crawler.cluster.state import connect, mask_url
    from crawler.cluster.status import run_status, status_lines

    try:
        found = run_status(connect(url), run_id)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot read {mask_url(url)}: {type(exc).__name__}") from None
    if found is None:
        raise click.ClickException(f"no cluster run {run_id or ''} in {mask_url(url)}".replace("  ", " "))
    for line in status_lines(found):
        click.echo(line)


@cluster.command()
@click.argument("url", metavar="redis://[:PASSWORD@]HOST:PORT/DB")
@click.option("--run", "run_id", default=None, help="Run id (default: the active run, else the latest).")
def reset(url: str, run_id: str | None) -> None:
    """Delete a run's state from Redis (stop its workers first). The archive is not touched."""
    import redis

    from crawler.cluster.state import connect, mask_url
    from crawler.cluster.status import reset_run

    try:
        removed = reset_run(connect(url), run_id)
    except redis.RedisError as exc:
        raise click.ClickException(f"cannot reach {mask_url(url)}: {type(exc).__name__}") from None
    if removed is None:
        raise click.ClickException(f"no cluster run {run_id or ''} in {mask_url(url)}".replace("  ", " "))
    click.echo(f"cluster run {removed} removed from {mask_url(url)}")
