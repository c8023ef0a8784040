"""End to end over three nights of the demo portals: silent edits, template noise, a withdrawal, a copied
report, a late and a missing one — each answer read from the index the crawls built, and from the
`nianbao changes` and `nianbao similar` commands."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from archive.index.similarity import update_similarity
from archive.index.timeliness import timeliness
from archive.index.versions import update_changes
from crawler.demo.server import SITES, DemoPortals
from tests.test_e2e_demo import FAST, nianbao

pytestmark = pytest.mark.e2e

TODAY = date(2026, 11, 29)


def _night(archive: Path, seeds: Path, incremental: bool) -> None:
    """One nightly crawl, then the index hooks the nightly update runs after the figures."""
    nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), *FAST,
            *(["--incremental"] if incremental else []))
    conn = sqlite3.connect(archive / "index.db")
    try:
        update_changes(conn)
        update_similarity(conn)
    finally:
        conn.close()


def _withdrawn(archive: Path) -> set[str]:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return {url for (url,) in conn.execute("select url from withdrawn")}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path, list[set[str]]]]:
    archive = tmp_path_factory.mktemp("archive")
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(archive.parent / "seeds.csv")
        withdrawn_after: list[set[str]] = []
        for night in range(3):
            portals.set_night(night)
            _night(archive, seeds, incremental=night > 0)
            withdrawn_after.append(_withdrawn(archive))
        yield portals.manifest(), archive, withdrawn_after


def _county(manifest: dict[str, Any], year: int) -> dict[str, Any]:
    return next(d for d in manifest["documents"] if d["site"] == "county" and d["year"] == year)


def test_an_edit_is_a_version_with_its_paragraph_and_figure(nights: tuple[dict[str, Any], Path, list[set[str]]]
                                                           ) -> None:
    manifest, archive, _ = nights
    edited = _county(manifest, 2024)
    done = nianbao("changes", "--archive", str(archive), "--json")
    changes = [c for c in json.loads(done.stdout) if c["change"] == "edited"]
    assert [c["url"] for c in changes] == [edited["url"]], "only the edited report changed"
    [change] = changes
    assert change["version"] == 2 and change["previous_fetched_at"] < change["fetched_at"]
    assert {"op": "changed", "old": edited["edit"]["paragraph"]["old"],
            "new": edited["edit"]["paragraph"]["new"]} in change["diff"]
    figure = edited["edit"]["figure"]
    assert any(f["row"] == figure["row"] and f["old"] == figure["old"] and f["new"] == figure["new"]
               for f in change["figures"])
    text = nianbao("changes", "--archive", str(archive), "--since", "2999-01-01").stdout
    assert "no edited reports" in text


def test_a_template_that_changes_nightly_is_not_a_version(nights: tuple[dict[str, Any], Path, list[set[str]]]
                                                          ) -> None:
    manifest, archive, _ = nights
    url = _county(manifest, 2023)["url"]
    conn = sqlite3.connect(archive / "index.db")
    try:
        digests = {d for (d,) in conn.execute("select payload_digest from captures where url = ? and status = 200",
                                              (url,))}
        versions = conn.execute("select count(*) from versions where url = ?", (url,)).fetchone()[0]
    finally:
        conn.close()
    assert len(digests) == 3, "a different payload every night"
    assert versions == 1


def test_two_nights_of_404_mark_a_report_withdrawn(nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    manifest, _, withdrawn_after = nights
    gone = _county(manifest, 2022)["url"]
    assert withdrawn_after == [set(), set(), {gone}], "one 404 is not enough; the blocked sites never count"


def test_a_copied_report_is_found_and_others_are_not(nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    manifest, archive, _ = nights
    copy, original = _county(manifest, 2021), _county(manifest, 2020)
    done = nianbao("similar", "--archive", str(archive), "--threshold", "0.8")
    lines = [line for line in done.stdout.splitlines() if line.startswith("copied")]
    assert len(lines) == 1 and copy["url"] in lines[0] and "of its 2020 report" in lines[0], done.stdout
    conn = sqlite3.connect(archive / "index.db")
    try:
        shares = dict(conn.execute("select d.url, s.share_of_previous from similarity s "
                                   "join documents d on d.id = s.document_id"))
    finally:
        conn.close()
    assert shares[copy["url"]] >= 0.8
    assert shares[_county(manifest, 2023)["url"]] < 0.5, "a report with its own text each year"
    assert original["url"] not in shares or shares[original["url"]] is None


def test_late_and_missing_reports(nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    _, archive, _ = nights
    conn = sqlite3.connect(archive / "index.db")
    try:
        rows = timeliness(conn, today=TODAY)
    finally:
        conn.close()
    county = {r["year"]: r for r in rows if r["agency"] == "新昌县人民政府"}
    assert county[2020]["status"] == "late" and county[2020]["published"] == "2021-05-20"
    assert county[2020]["published_source"] == "page" and county[2020]["deadline"] == "2021-03-31"
    assert county[2021]["status"] == "on_time"
    assert county[2025]["status"] == "missing" and county[2025]["deadline"] == "2026-03-31"
    hanweb = {r["year"]: r for r in rows if r["agency"] == "德清县应急管理局"}
    assert hanweb[2024]["deadline"] == "2025-01-31", "a department: 31 January"


def test_the_night_switch() -> None:
    with DemoPortals() as portals:
        manifest = portals.manifest()
        edited, nightly, gone = (_county(manifest, year) for year in (2024, 2023, 2022))
        served: dict[int, list[bytes]] = {}
        for night in (0, 1, 2):
            portals.set_night(night)
            served[night] = [urllib.request.urlopen(doc["url"], timeout=10).read() for doc in (edited, nightly)]
            try:
                urllib.request.urlopen(gone["url"], timeout=10)
                status = 200
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == (200 if night == 0 else 404)
        assert served[0][1] == (SITES / nightly["file"]).read_bytes(), "night 0 serves the page as built"
        assert len({served[n][1] for n in served}) == 3, "the template changes every night"
        assert served[0][0] != served[1][0] == served[2][0], "edited once, on night 1"


def test_the_report_page_shows_versions_withdrawal_and_copying(nights: tuple[dict[str, Any], Path, list[set[str]]]
                                                               ) -> None:
    from archive.serve.report import report_page

    manifest, archive, _ = nights
    nianbao("similar", "--archive", str(archive))  # similarity is computed when asked, then shown
    conn = sqlite3.connect(archive / "index.db")
    try:
        ids = {url: doc_id for doc_id, url in conn.execute("select max(id), url from documents group by url")}
    finally:
        conn.close()
    edited = _county(manifest, 2024)
    status, html = report_page(archive / "index.db", ids[edited["url"]])
    assert status == 200 and "版本（悄悄修改）" in html and "第 2 版" in html
    paragraph = edited["edit"]["paragraph"]
    assert html_escape(paragraph["new"]) in html and html_escape(paragraph["old"]) in html
    gone = _county(manifest, 2022)["url"]
    assert "已撤下" in report_page(archive / "index.db", ids[gone])[1]
    copy = _county(manifest, 2021)["url"]
    assert re.search(r"与 2020 年的报告 (8\d|9\d|100)% 相同", report_page(archive / "index.db", ids[copy])[1])
    assert "已撤下" not in report_page(archive / "index.db", ids[copy])[1]


def test_the_reports_page_has_the_copy_share_column(nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    from archive.serve.reports import reports_page

    _manifest, archive, _ = nights
    nianbao("similar", "--archive", str(archive))
    status, html = reports_page(archive / "index.db", {"agency": "新昌县人民政府", "year": "2021"})
    assert status == 200 and "与上年相同" in html
    assert re.search(r"<span class='bad'>(8\d|9\d|100)%</span>", html), "the copied 2021 report, flagged"


def test_the_figures_export_carries_copying_versions_and_withdrawal(
        nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    manifest, archive, _ = nights
    nianbao("similar", "--archive", str(archive))
    rows = [json.loads(line) for line in nianbao("export", "--archive", str(archive), "--figures", "--format",
                                                 "jsonl").stdout.splitlines()]
    by_url = {row["url"]: row for row in rows}
    assert by_url[_county(manifest, 2021)["url"]]["same_as_previous_year"] >= 0.8
    assert by_url[_county(manifest, 2024)["url"]]["versions"] == 2
    assert by_url[_county(manifest, 2022)["url"]]["withdrawn_at"]


def test_the_figures_export_says_when_each_report_was_due_and_whether_it_was_late(
        nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    manifest, archive, _ = nights
    rows = [json.loads(line) for line in nianbao("export", "--archive", str(archive), "--figures", "--format",
                                                 "jsonl").stdout.splitlines()]
    late = next(row for row in rows if row["url"] == _county(manifest, 2020)["url"])
    assert (late["published"], late["deadline"], late["timeliness"]) == ("2021-05-20", "2021-03-31", "late")
    assert {row["timeliness"] for row in rows} >= {"on_time", "late"}


def test_the_timeliness_export_lists_late_and_missing_reports(
        nights: tuple[dict[str, Any], Path, list[set[str]]]) -> None:
    _manifest, archive, _ = nights
    rows = list(csv.DictReader(io.StringIO(nianbao("export", "--archive", str(archive), "--timeliness").stdout)))
    county = {int(row["year"]): row for row in rows if row["agency"] == "新昌县人民政府"}
    assert county[2020]["status"] == "late" and county[2020]["published_source"] == "page"
    assert county[2025]["status"] == "missing" and county[2025]["deadline"] == "2026-03-31"
