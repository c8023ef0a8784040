"""Every NIANBAO_* setting, declared once: name, default, help.

The README's settings table is generated from this list (`python -m crawler.settings.declared`),
and a test fails when the README and this list disagree. Add a setting here, never elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.settings import BaseSettings


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: list[Setting] = [
    # --- archive and identity ---
    Setting("NIANBAO_ARCHIVE", "", "Archive folder: WARCs go to ARCHIVE/warc/, the index to ARCHIVE/index.db."),
    Setting("NIANBAO_SEEDS", "", "Seeds CSV (agency,province,city,county,url[,kind]) read by the `reports` spider."),
    Setting("NIANBAO_PROVINCE", "", "Only crawl the seeds of this province (e.g. 广东省)."),
    Setting("NIANBAO_CONTACT_URL", "https://example.org/nianbao",
            "Contact URL put in the User-Agent and the warcinfo record."),
    Setting("NIANBAO_OPERATOR", "", "Operator named in the warcinfo record (person or organisation)."),
    Setting("NIANBAO_RUN_ID", "", "Run id (DIR/runs/ID.json); with NIANBAO_CLUSTER the cluster run to start or join "
            "(`--run`). Empty: a new id, or the active cluster run. Letters, digits, `_.-`."),
    Setting("NIANBAO_MODE", "full", "Crawl mode as a setting (`scrapy crawl reports`, Scrapyd): full, incremental "
            "(`--incremental`) or resume (`--resume`); a flag of `nianbao crawl` wins."),
    # --- crawler ---
    Setting("NIANBAO_INDEX_INTERVAL", 60.0,
            "Seconds between index updates during a crawl (in a child process); 0: index only when the crawl ends."),
    Setting("NIANBAO_INDEX_WORKERS", 0, "Extraction processes of the live index updates (0: every core but one)."),
    Setting("NIANBAO_PROGRESS_INTERVAL", 5.0,
            "Seconds between progress log lines (a live line on a terminal); 0: off."),
    Setting("NIANBAO_RETRY_BACKOFF", 2.0,
            "Seconds before the first retry of a timeout/5xx; doubles per attempt (0: off)."),
    Setting("NIANBAO_RETRY_BACKOFF_MAX", 60.0,
            "Longest wait before a retry, in seconds; also the longest pause of a host that answered 429/503 or an "
            "anti-bot challenge in a single-machine crawl (its Retry-After is honoured up to this)."),
    Setting("NIANBAO_MAX_LIST_PAGES", 50,
            "Most pages fetched from one report list, counting every list page reached from it on its host "
            "(numbered pages, 下一页, 更多): pagination traps stop here."),
    Setting("NIANBAO_MAX_PAGES_PER_SEED", 10000,
            "Most requests made for one seed (all its lists, reports and files): a site that fans out stops here."),
    Setting("NIANBAO_MAX_LINKS_PER_PAGE", 3000,
            "Links considered on one page (the first ones); the rest is cut, counted and logged."),
    Setting("NIANBAO_RECHECK_DAYS", 7.0,
            "Incremental runs ask a known report no page links any more at most this often (days), so a "
            "withdrawn report's 404 is archived; 0: every run."),
    Setting("NIANBAO_MAX_NAV_DEPTH", 4, "Most navigation hops from the seed to a report column."),
    Setting("NIANBAO_AGGREGATOR_HOSTS", ["*.gov.cn"],
            "Host patterns an `aggregator` seed may lead to (other agencies' report columns), comma-separated."),
    Setting("NIANBAO_ALLOW_PRIVATE_ADDRESSES", False,
            "Allow requests to private/loopback addresses even when the seed is public (off: refused, logged)."),
    Setting("NIANBAO_GC_FREEZE", True, "Freeze the start-up heap out of Python's full GC collections (~4% less CPU)."),
    # --- WARC capture ---
    Setting("NIANBAO_WARC_ENABLED", True, "Write every exchange to WARC (turn off only for benchmarks)."),
    Setting("NIANBAO_WARC_PREFIX", "nianbao", "First part of WARC file names."),
    Setting("NIANBAO_WARC_WORKER", "", "Worker part of WARC file names (default host-pid), unique per process."),
    Setting("NIANBAO_WARC_MAX_SIZE", 1_000_000_000, "Rotate WARC files at this many bytes."),
    Setting("NIANBAO_WARC_GZIP_LEVEL", 1, "gzip level of WARC records: 0-3 ISA-L (igzip, fast), 4-9 zlib "
            "(~3x slower per record, files ~1% smaller)."),
    Setting("NIANBAO_WARC_FSYNC", False, "fsync after every record (flush always happens)."),
    # --- cluster (`nianbao crawl --cluster redis://…`) ---
    Setting("NIANBAO_CLUSTER", "", "Redis URL of the cluster run to join as a worker (`--cluster`; "
            "redis://[:PASSWORD@]HOST:6379/0); empty: a run of its own."),
    Setting("NIANBAO_CLUSTER_WORKER", "", "This worker's name in the cluster run (`--worker`; empty: host-pid); "
            "unique per worker."),
    Setting("NIANBAO_CLUSTER_LEASE", 60.0,
            "Seconds a worker's claim on a site lasts unless renewed (every third of it): a killed worker's "
            "sites return to the others after this."),
    Setting("NIANBAO_CLUSTER_SITES", 8, "Sites a cluster worker claims at a time (a batch)."),
    Setting("NIANBAO_CLUSTER_REDIS_WAIT", 600.0,
            "Seconds a cluster worker waits for an unreachable Redis (a restart) before it gives up."),
    Setting("NIANBAO_CLUSTER_BACKOFF_MAX", 300.0,
            "Longest cluster-wide pause of a host after it answered 429/503 or an anti-bot challenge, in seconds "
            "(its Retry-After is honoured up to this; without one the pause is the retry back-off of the attempt)."),
    Setting("NIANBAO_FAULT_KILL_AFTER_BYTES", 0,
            "Testing only: SIGKILL the crawl mid-record after this many WARC bytes."),
]


_BY_NAME = {s.name: s for s in SETTINGS}


def setting(settings: BaseSettings, name: str) -> Any:
    """The value of declared setting `name` in `settings`, typed like its default (the default when unset).

    Components read NIANBAO_* settings through this, so each default is written once, above."""
    default = _BY_NAME[name].default
    if isinstance(default, bool):
        return settings.getbool(name, default)
    if isinstance(default, int):
        return settings.getint(name, default)
    if isinstance(default, float):
        return settings.getfloat(name, default)
    if isinstance(default, list):
        return [item.strip() for item in settings.getlist(name, default) if item.strip()]
    return settings.get(name, default)


def defaults() -> dict[str, Any]:
    """Return {name: default} for every declared setting."""
    return {s.name: s.default for s in SETTINGS}


def markdown_table() -> str:
    """Render the declared settings as the README's Markdown table."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = repr(s.default) if s.default != "" else "(empty)"
        rows.append(f"| `{s.name}` | `{default}` | {s.help} |")
    return "\n".join(rows)


def update_readme(path: str = "README.md") -> None:
    """Rewrite the settings table between the README's settings-table markers."""
    import re
    from pathlib import Path

    readme = Path(path)
    text = readme.read_text(encoding="utf-8")
    table = f"<!-- settings-table -->\n{markdown_table()}\n<!-- /settings-table -->"
    readme.write_text(re.sub(r"<!-- settings-table -->.*?<!-- /settings-table -->", lambda _: table, text,
                             flags=re.S), encoding="utf-8")


if __name__ == "__main__":
    import sys

    if "--update-readme" in sys.argv:
        update_readme()
    else:
        print(markdown_table())
