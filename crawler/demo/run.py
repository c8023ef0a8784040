"""`run_demo`: serve the bundled demo portals, crawl them into an archive, index, and summarise
(the library half of `nianbao demo`; the CLI prints what it returns)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.db import read_only
from archive.index.build import build_index
from crawler.demo.server import DemoPortals
from crawler.run import CrawlRequest, run_crawl
from crawler.seeds import load_seeds

__all__ = ["FAST_SETTINGS", "DemoOutcome", "run_demo"]

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


@dataclass
class DemoOutcome:
    """The crawl's exit code and the summary to show."""

    code: int
    summary: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def run_demo(archive: Path, overrides: dict[str, str], loglevel: str = "WARNING",
             say: Callable[[str], None] = lambda _line: None) -> DemoOutcome:
    """Crawl the demo portals into `archive` with FAST_SETTINGS (then `overrides`); `say` hears progress."""
    archive.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with DemoPortals() as portals:
        seeds_path = portals.seeds_csv(archive / "demo-seeds.csv")
        manifest = portals.manifest()
        say(f"Demo portals: {len(manifest['sites'])} sites on {_hosts(manifest)}; seeds in {seeds_path}")
        say("Crawling…")
        outcome = run_crawl(CrawlRequest(seeds=load_seeds(seeds_path, None), seeds_path=seeds_path,
                                         archive=archive, overrides={**FAST_SETTINGS, **overrides},
                                         loglevel=loglevel))
    result = DemoOutcome(code=outcome.code, warnings=list(outcome.messages))
    if outcome.code != 0:
        result.warnings.append(f"crawl exited with status {outcome.code}; see {archive / 'logs'}")
    if any((archive / "warc").glob("*.warc.gz")):
        say("Indexing…")  # the crawl keeps the index current; this catches the rest
        build_index(archive, progress=False)
    result.summary = summary_lines(archive, manifest, time.monotonic() - started)
    return result


def _hosts(manifest: dict[str, Any]) -> str:
    ips = sorted({site["ip"] for site in manifest["sites"]}, key=lambda ip: tuple(int(p) for p in ip.split(".")))
    return f"{ips[0]}–{ips[-1]}" if len(ips) > 1 else ips[0]


def summary_lines(archive: Path, manifest: dict[str, Any], seconds: float) -> list[str]:
    """Agencies, reports per year, blocked sites, WARC files and how to browse."""
    expected = [doc for doc in manifest["documents"]
                if doc.get("is_report") and not doc.get("extra") and not doc.get("robots_disallowed")]
    lines = ["", f"Demo finished in {seconds:.0f} s. Archive: {archive.resolve()}"]
    db = archive / "index.db"
    if db.exists():
        lines += _index_lines(db, expected)
    lines += _run_lines(archive, manifest) + _warc_lines(archive)
    if db.exists():
        lines += [f"Index: {db}", "Next:", f"  nianbao search --archive {archive} 行政复议",
                  f"  nianbao serve --archive {archive}     # then open http://127.0.0.1:8001/"]
    return lines


def _run_lines(archive: Path, manifest: dict[str, Any]) -> list[str]:
    runs = sorted((archive / "runs").glob("*.json"))
    if not runs:
        return []
    stats = json.loads(runs[-1].read_text(encoding="utf-8")).get("stats", {})
    sites = {site["seed"]: site["agency"] for site in manifest["sites"]}
    lines = [f"Blocked: {sites.get(seed, seed)} answers with an anti-bot page ({appliance}); "
             "its reports could not be listed" for seed, appliance in (stats.get("blocked") or {}).items()]
    lines.append(f"Pages fetched: {stats.get('pages_fetched', 0)}; page cap reached on "
                 f"{stats.get('page_cap_reached', 0)} list(s)")
    return lines


def _warc_lines(archive: Path) -> list[str]:
    warcs = sorted((archive / "warc").glob("*.warc.gz")) if (archive / "warc").exists() else []
    total = sum(path.stat().st_size for path in warcs)
    lines = [f"WARC files: {len(warcs)} ({total / 1e6:.1f} MB) in {archive / 'warc'}"]
    lines += [f"  {path.name}  {path.stat().st_size / 1e3:.0f} kB" for path in warcs[:5]]
    if len(warcs) > 5:
        lines.append(f"  … and {len(warcs) - 5} more")
    return lines


def _index_lines(db: Path, expected: list[dict[str, Any]]) -> list[str]:
    with read_only(db) as conn:
        try:
            rows = conn.execute(
                "select agency, year, count(*) from documents where is_report = 1 "
                "group by agency, year order by agency, year").fetchall()
            agencies = conn.execute("select count(*) from agencies").fetchone()[0]
        except sqlite3.Error as exc:
            return [f"index {db} could not be read: {exc}"]
    by_year: dict[int, int] = {}
    per_agency: dict[str, list[int]] = {}
    for agency, year, _count in rows:  # one report per agency and year, however many files carry it
        by_year[year] = by_year.get(year, 0) + 1
        per_agency.setdefault(agency, []).append(year)
    lines = [f"Agencies: {agencies}; reports found: {sum(by_year.values())} (the demo portals publish "
             f"{len({(d['agency'], d['year']) for d in expected})} agency-year reports)",
             "Reports per year: " + ", ".join(f"{year}: {n}"
                                              for year, n in sorted(by_year.items(), key=lambda kv: kv[0] or 0)),
             "By agency:"]
    lines += [f"  {agency}: {json.dumps(sorted(y for y in years if y), ensure_ascii=False)}"
              for agency, years in per_agency.items()]
    return lines
