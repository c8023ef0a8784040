"""`nianbao demo`: serve the bundled demo portals, crawl them, index, summarise."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import click

from .common import parse_settings

# Loopback portals answer in microseconds: politeness delays would only slow the demo down.
FAST_SETTINGS: dict[str, str] = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "RETRY_TIMES": "1",
    "NIANBAO_RETRY_BACKOFF": "0",
    "DOWNLOAD_TIMEOUT": "10",
    "NIANBAO_AGGREGATOR_HOSTS": "*.gov.cn,127.0.0.*",  # the demo's agencies live on loopback addresses
}


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
    try:
        from crawler.demo.server import DemoPortals
    except ImportError:
        raise click.ClickException("the demo portals (crawler/demo) are not installed in this checkout") from None
    overrides = {**FAST_SETTINGS, **parse_settings(settings)}
    archive.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    missing: list[str] = []
    with DemoPortals() as portals:
        seeds_path = portals.seeds_csv(archive / "demo-seeds.csv")
        manifest = portals.manifest()
        click.echo(f"Demo portals: {len(manifest['sites'])} sites on {_hosts(manifest)}; seeds in {seeds_path}")
        code = _crawl(seeds_path, archive, overrides, loglevel.upper(), missing)
    if code is None:
        pass
    elif code not in (0,):
        click.echo(f"crawl exited with status {code}; see {archive / 'logs'}", err=True)
    _index(archive, missing)
    _summary(archive, manifest, time.monotonic() - started)
    if missing:
        click.echo("Not available yet in this checkout: " + "; ".join(missing), err=True)
    raise SystemExit(0 if code in (0, None) else code)


def _hosts(manifest: dict) -> str:
    ips = sorted({site["ip"] for site in manifest["sites"]}, key=lambda ip: tuple(int(p) for p in ip.split(".")))
    return f"{ips[0]}–{ips[-1]}" if len(ips) > 1 else ips[0]


def _crawl(seeds_path: Path, archive: Path, overrides: dict[str, str], loglevel: str,
           missing: list[str]) -> int | None:
    """Run the crawl; None when the crawler is not there."""
    from crawler.seeds import load_seeds

    try:
        from crawler.run import run_crawl  # type: ignore[attr-defined]
    except ImportError:
        missing.append("crawl (issue #3)")
        return None
    click.echo("Crawling…")
    return int(run_crawl(seeds=load_seeds(seeds_path, None), seeds_path=seeds_path, archive=archive,
                         province=None, incremental=False, resume=False, overrides=overrides,
                         loglevel=loglevel))


def _index(archive: Path, missing: list[str]) -> None:
    """Bring the index up to date from the WARCs (the crawl keeps it current; this catches the rest)."""
    try:
        from archive.index.build import build_index  # type: ignore[import-not-found]
    except ImportError:
        missing.append("index (issue #6)")
        return
    if not any((archive / "warc").glob("*.warc.gz")):
        return
    click.echo("Indexing…")
    build_index(archive, progress=False)


def _summary(archive: Path, manifest: dict, seconds: float) -> None:
    """Print agencies, reports per year, WARC files and how to browse."""
    expected = [doc for doc in manifest["documents"]
                if doc.get("is_report") and not doc.get("extra") and not doc.get("robots_disallowed")]
    click.echo("")
    click.echo(f"Demo finished in {seconds:.0f} s. Archive: {archive.resolve()}")
    db = archive / "index.db"
    if db.exists():
        _summary_from_index(db, expected)
    runs = sorted((archive / "runs").glob("*.json"))
    if runs:
        stats = json.loads(runs[-1].read_text(encoding="utf-8")).get("stats", {})
        sites = {site["seed"]: site["agency"] for site in manifest["sites"]}
        for seed, appliance in (stats.get("blocked") or {}).items():
            click.echo(f"Blocked: {sites.get(seed, seed)} answers with an anti-bot page ({appliance}); "
                       "its reports could not be listed")
        click.echo(f"Pages fetched: {stats.get('pages_fetched', 0)}; page cap reached on "
                   f"{stats.get('page_cap_reached', 0)} list(s)")
    warcs = sorted((archive / "warc").glob("*.warc.gz")) if (archive / "warc").exists() else []
    total = sum(path.stat().st_size for path in warcs)
    click.echo(f"WARC files: {len(warcs)} ({total / 1e6:.1f} MB) in {archive / 'warc'}")
    for path in warcs[:5]:
        click.echo(f"  {path.name}  {path.stat().st_size / 1e3:.0f} kB")
    if len(warcs) > 5:
        click.echo(f"  … and {len(warcs) - 5} more")
    if db.exists():
        click.echo(f"Index: {db}")
        click.echo("Next:")
        click.echo(f"  nianbao search --archive {archive} 行政复议")
        click.echo(f"  nianbao serve --archive {archive}     # then open http://127.0.0.1:8001/")


def _summary_from_index(db: Path, expected: list[dict]) -> None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            rows = conn.execute(
                "select agency, year, count(*) from documents where is_report = 1 "
                "group by agency, year order by agency, year").fetchall()
            agencies = conn.execute("select count(*) from agencies").fetchone()[0]
        except sqlite3.Error as exc:
            click.echo(f"index {db} could not be read: {exc}", err=True)
            return
    by_year: dict[int, int] = {}
    for _agency, year, _count in rows:  # one report per agency and year, however many files carry it
        by_year[year] = by_year.get(year, 0) + 1
    found = sum(by_year.values())
    click.echo(f"Agencies: {agencies}; reports found: {found} (the demo portals publish "
               f"{len({(d['agency'], d['year']) for d in expected})} agency-year reports)")
    click.echo("Reports per year: " + ", ".join(f"{year}: {n}" for year, n in sorted(by_year.items(),
                                                                                    key=lambda kv: kv[0] or 0)))
    click.echo("By agency:")
    per_agency: dict[str, list[int]] = {}
    for agency, year, _count in rows:
        per_agency.setdefault(agency, []).append(year)
    for agency, years in per_agency.items():
        click.echo(f"  {agency}: {json.dumps(sorted(y for y in years if y), ensure_ascii=False)}")
