"""`scrapy crawl reports` (what Scrapyd runs) as `nianbao crawl`: through `crawler.run.run_crawl`.

Scrapy finds this command through `COMMANDS_MODULE` (crawler/settings/base.py) and runs it instead of its
own `crawl`, so a job started by Scrapyd gets what `nianbao crawl` gives: `-s` values checked, the archive
lock, the run plan (full, incremental, resume), the run record, cluster mode and the final index update.
Another spider name runs as Scrapy's own `crawl` would run it.

Spider arguments (`-a NAME=VALUE`; Scrapyd passes each schedule.json parameter but `setting=` as one) are
short names of settings, listed in `SPIDER_ARGUMENTS`; the seeds file and the archive are required:

    scrapy crawl reports -a seeds=/srv/seeds.csv -a archive=/srv/archive -a mode=incremental
    scrapy crawl reports -s NIANBAO_SEEDS=/srv/seeds.csv -s NIANBAO_ARCHIVE=/srv/archive \
        -s NIANBAO_CLUSTER=redis://10.0.0.5:6379/0 -s NIANBAO_CLUSTER_WORKER=a1
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.log import configure_logging

__all__ = ["SPIDER_ARGUMENTS", "Command", "crawl_request"]

logger = logging.getLogger(__name__)

SPIDER_ARGUMENTS = {"seeds": "NIANBAO_SEEDS", "archive": "NIANBAO_ARCHIVE", "province": "NIANBAO_PROVINCE",
                    "mode": "NIANBAO_MODE", "cluster": "NIANBAO_CLUSTER", "worker": "NIANBAO_CLUSTER_WORKER",
                    "run": "NIANBAO_RUN_ID"}
_SCRAPYD_ARGUMENTS = {"_job"}  # Scrapyd gives every job its id as a spider argument
_CMDLINE = SETTINGS_PRIORITIES["cmdline"]


class JobError(ValueError):
    """The command line cannot make a crawl: what is missing or wrong, for the user."""


def _argument_settings(spargs: Mapping[str, str]) -> dict[str, str]:
    """The settings named by the spider arguments (JobError for an unknown one)."""
    unknown = sorted(set(spargs) - set(SPIDER_ARGUMENTS) - _SCRAPYD_ARGUMENTS)
    if unknown:
        raise JobError(f"unknown spider argument(s) {', '.join(unknown)}: the reports spider takes "
                       f"{', '.join(SPIDER_ARGUMENTS)} (or their settings: {', '.join(SPIDER_ARGUMENTS.values())})")
    return {SPIDER_ARGUMENTS[name]: value for name, value in spargs.items() if name in SPIDER_ARGUMENTS}


def _command_line_settings(settings: BaseSettings) -> dict[str, str]:
    """Every setting the command line set (`-s`, `--logfile`, `--nolog`, `-o`), as `nianbao crawl -s` text."""
    given: dict[str, str] = {}
    for name in settings:
        if name == "LOG_LEVEL" or (settings.getpriority(name) or 0) < _CMDLINE:
            continue
        value = settings[name]
        given[name] = value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict) \
            else str(value)
    return given


def crawl_request(settings: BaseSettings, spargs: Mapping[str, str]) -> Any:
    """The `CrawlRequest` of `scrapy crawl reports` with these settings and spider arguments (JobError when
    the seeds or the archive are missing or unreadable)."""
    from crawler.run import CrawlRequest
    from crawler.seeds import SeedsError, load_seeds

    overrides = _command_line_settings(settings)
    for name, value in _argument_settings(spargs).items():
        if overrides.get(name, value) != value:
            raise JobError(f"{name} is given twice, as a setting ({overrides[name]!r}) and as a spider "
                           f"argument ({value!r})")
        overrides[name] = value
    seeds_path, archive = (overrides.get(name) or settings.get(name) for name in ("NIANBAO_SEEDS", "NIANBAO_ARCHIVE"))
    if not seeds_path or not archive:
        raise JobError("the reports spider needs a seeds file and an archive folder: -a seeds=FILE -a archive=DIR "
                       "(or -s NIANBAO_SEEDS=FILE -s NIANBAO_ARCHIVE=DIR; Scrapyd: -d seeds=… -d archive=…)")
    province = (overrides.get("NIANBAO_PROVINCE") or settings.get("NIANBAO_PROVINCE") or "").strip() or None
    try:
        seeds = load_seeds(Path(seeds_path), province)
    except SeedsError as exc:
        raise JobError(str(exc)) from None
    loglevel = str(settings.get("LOG_LEVEL")) if (settings.getpriority("LOG_LEVEL") or 0) >= _CMDLINE else "INFO"
    return CrawlRequest(seeds=seeds, seeds_path=Path(seeds_path), archive=Path(archive), province=province,
                        overrides=overrides, loglevel=loglevel.upper())


def share_egg_with_children() -> str:
    """Where nianbao was imported from; when that is an egg (a Scrapyd deployment), put it on PYTHONPATH so
    the processes the crawl starts (`python -m archive.index.live`) import the same code."""
    import crawler

    location = Path(crawler.__file__).resolve().parent.parent
    if location.is_file():  # a zipped egg
        paths = [str(location), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return str(location)


class Command(ScrapyCrawl):
    """`scrapy crawl SPIDER`; the reports spider through `crawler.run.run_crawl`."""

    requires_crawler_process = False  # run_crawl makes its own, as for `nianbao crawl`

    def short_desc(self) -> str:
        return "Run a spider; `reports` runs as `nianbao crawl` (checked settings, lock, plan, run record)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl reports -a seeds=FILE -a archive=DIR")
        assert self.settings is not None
        if args[0] != "reports":
            self.crawler_process = AsyncCrawlerProcess(self.settings)
            super().run(args, opts)
            return
        self.exitcode = self._run_reports(self.settings, opts.spargs)

    def _run_reports(self, settings: Any, spargs: Mapping[str, str]) -> int:
        from crawler import __version__
        from crawler.run import EXIT_USAGE, run_crawl

        try:
            request = crawl_request(settings, spargs)
        except JobError as exc:
            configure_logging(settings)
            logger.error("%s", exc)
            if settings.get("LOG_FILE") or not settings.getbool("LOG_ENABLED"):  # else the log line was on stderr
                sys.stderr.write(f"scrapy crawl reports: {exc}\n")
            return EXIT_USAGE
        settings.set("LOG_LEVEL", request.loglevel, priority="cmdline")
        configure_logging(settings)  # what run_crawl refuses before Scrapy starts goes to the job's log too
        logger.info("nianbao %s from %s%s", __version__, share_egg_with_children(),
                    f" (Scrapyd job {spargs['_job']})" if "_job" in spargs else "")
        outcome = run_crawl(request)
        for message in outcome.messages:
            sys.stderr.write(message + "\n")
        return outcome.code
