"""A single-machine crawl backs off a host that answered 429 (or 503, or an anti-bot challenge), as a cluster
worker does: measured at the server, nothing is sent to the host until its Retry-After (or the attempt's
retry back-off) has passed, and every file is archived in the end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.warc.reader import iter_captures, warc_files
from tests.cluster.country import Country, address
from tests.cluster.test_cluster_backoff import BASE, Throttle
from tests.conftest import ROOT

SITES = 6
# two requests to one host leave at least 0.3 s apart, so a request the server logs inside a back-off window
# was sent after the 429 reached the crawler
SETTINGS = ["-s", "DOWNLOAD_DELAY=0.3", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", f"NIANBAO_RETRY_BACKOFF={BASE}", "-s", "NIANBAO_INDEX_INTERVAL=0",
            "-s", "NIANBAO_PROGRESS_INTERVAL=0", "-s", "NIANBAO_AGGREGATOR_HOSTS=127.0.*"]


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("host-backoff")
    with Country(SITES, file_host=True) as country:
        throttle = Throttle(address(SITES + 1), {2: "2", 5: ""})
        country.intercept = throttle
        archive = tmp / "archive"
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds",
                               str(country.seeds_csv(tmp / "seeds.csv")), "--archive", str(archive), *SETTINGS],
                              cwd=ROOT, capture_output=True, timeout=180)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-3000:]
        log = [entry for entry in country.log if entry[0] == throttle.host]
        files_host = country.files_host
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / "runs").glob("*.json")]
    return {"throttle": throttle, "log": log, "archive": archive, "record": record, "files_host": files_host}


def test_nothing_is_sent_to_a_host_during_its_backoff(crawl: dict[str, object]) -> None:
    throttle, log = crawl["throttle"], crawl["log"]
    assert isinstance(throttle, Throttle) and isinstance(log, list)
    assert len(throttle.refused) == 2, throttle.refused
    for refused_at, window, path in throttle.refused:
        inside = [(p, round(when - refused_at, 3)) for _ip, p, when in log if refused_at < when < refused_at + window]
        assert not inside, f"sent during the {window} s back-off after the 429 to {path}: {inside}"


def test_every_file_is_archived_and_the_backoffs_are_counted(crawl: dict[str, object]) -> None:
    archive, record = crawl["archive"], crawl["record"]
    assert isinstance(archive, Path) and isinstance(record, dict)
    pdfs = {c.url for path in warc_files(archive) for c in iter_captures(path) if c.url.endswith(".pdf")
            and c.status == 200}
    assert pdfs == {f"http://{crawl['files_host']}/files/{index}-{year}.pdf" for index in range(SITES)
                    for year in (2023, 2024)}
    assert record["stats"]["host_backoffs"] == 2
