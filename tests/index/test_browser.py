"""The real UI in headless Chromium: search, a report page with its text and figures, the raw capture,
and an archived <script> that must not run. Screenshots go to test-artifacts/."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from archive.db import connect
from tests.conftest import ROOT, headless_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    archive = tmp_path_factory.mktemp("ui") / "archive"
    subprocess.run([sys.executable, "-m", "crawler.cli", "demo", "--archive", str(archive)], check=True,
                   capture_output=True, timeout=180)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--archive", str(archive),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield base, archive
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with headless_chromium(height=1600) as driver:
        yield driver


def test_search_report_page_raw_capture_and_no_archived_script(served: tuple[str, Path], browser: object) -> None:
    from selenium.webdriver.common.by import By

    base, archive = served
    driver = browser
    ARTIFACTS.mkdir(exist_ok=True)
    driver.get(f"{base}/index/documents?_search={quote('行政复议')}&is_report=1&agency={quote('杭州市生态环境局')}")  # type: ignore[attr-defined]
    driver.save_screenshot(str(ARTIFACTS / "1-search.png"))  # type: ignore[attr-defined]
    links = [a for a in driver.find_elements(By.CSS_SELECTOR, "a[href*='/-/report/']")]  # type: ignore[attr-defined]
    assert links, driver.page_source[:2000]  # type: ignore[attr-defined]
    report_url = links[0].get_attribute("href")
    doc_id = int(report_url.rsplit("/", 1)[1])
    links[0].click()
    page = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    driver.save_screenshot(str(ARTIFACTS / "2-report.png"))  # type: ignore[attr-defined]
    with connect(archive / "index.db") as conn:
        title, text = conn.execute("select title, text from documents where id = ?", (doc_id,)).fetchone()
        permits = conn.execute("select value from report_figures where document_id = ? and row_label = '行政许可'",
                               (doc_id,)).fetchone()[0]
    assert title in page and "杭州市生态环境局" in page
    assert text.split("\n")[1][:20] in page  # the body text is shown
    assert "行政许可" in page and f"{permits:g}" in page  # a table figure is shown
    assert "ARCHIVED SCRIPT RAN" not in driver.title  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "a[href*='/-/raw/']").click()  # type: ignore[attr-defined]
    driver.save_screenshot(str(ARTIFACTS / "3-raw.png"))  # type: ignore[attr-defined]
    raw = driver.find_element(By.CSS_SELECTOR, "pre.raw").text  # type: ignore[attr-defined]
    assert "ARCHIVED SCRIPT RAN" in raw  # the script is in the archive …
    assert driver.title != "ARCHIVED SCRIPT RAN"  # type: ignore[attr-defined]  # … and did not run
    assert driver.execute_script("return document.documentElement.getAttribute('data-archived-script')") is None  # type: ignore[attr-defined]
    driver.get(f"{base}/-/coverage")  # type: ignore[attr-defined]
    assert "杭州市生态环境局" in driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
