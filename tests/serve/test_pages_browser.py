"""nianbao's pages in headless Chromium on the demo archive, as a journalist would use them: the home page,
search in either script (the same reports as `nianbao search`), the reports list, the coverage heat map
down to a report, the figures chart (its pixels), a raw capture of a PDF. Screenshots of the search and
coverage pages go to test-artifacts/ (the README's copies are in docs/screenshots/)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from archive.db import connect
from tests.conftest import ROOT, headless_chromium
from tests.serve.conftest import Served

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with headless_chromium(height=1000) as browser:
        yield browser


def _text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def _cli_urls(archive: Path, query: str) -> set[str]:
    out = subprocess.run([sys.executable, "-m", "crawler.cli", "search", "--archive", str(archive), "--json",
                          "--limit", "1000", query], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return {json.loads(line)["url"] for line in out.splitlines()}


def _all_result_ids(driver: Any, base: str, query: str) -> tuple[list[int], str]:
    """Ids of every result, following the next-page links; and the first page's "共 N 条" line."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/-/search?q={quote(query)}")
    summary = driver.find_element(By.CSS_SELECTOR, "p.pager").text
    ids: list[int] = []
    while True:
        ids += [int(a.get_attribute("href").rsplit("/", 1)[1])
                for a in driver.find_elements(By.CSS_SELECTOR, "ol.hits > li > a")]
        following = [a for a in driver.find_elements(By.CSS_SELECTOR, "p.pager a") if a.text == "下一页"]
        if not following:
            return ids, summary
        following[0].click()


def _published() -> tuple[int, int]:
    """(agencies, agency-year reports) the demo portals publish, from their ground truth."""
    manifest = json.loads((ROOT / "crawler" / "demo" / "manifest.json").read_text(encoding="utf-8"))
    reports = {(d["agency"], d["year"]) for d in manifest["documents"]
               if d.get("is_report") and not d.get("extra") and not d.get("robots_disallowed")}
    return len({site["agency"] for site in manifest["sites"]}), len(reports)


def test_home_page_says_what_the_archive_holds(served: Served, driver: Any) -> None:
    driver.get(served.base + "/")
    text = _text(driver)
    agencies, reports = _published()
    assert f"{agencies} 个机关" in text and f"{reports} 份年度报告" in text
    assert "贵州省生态环境厅" in text and "瑞数" in text and "加速乐" in text  # blocked sites, by name
    assert "正常完成" in text
    for href in ("/-/coverage", "/-/reports", "/-/figures", "/index/runs"):
        assert driver.find_elements("css selector", f"a[href='{href}']"), href


def test_search_finds_the_same_reports_in_both_scripts_as_the_cli(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    simplified, summary = _all_result_ids(driver, served.base, "复议")
    traditional, _summary = _all_result_ids(driver, served.base, "復議")
    expected = _cli_urls(served.archive, "复议")
    assert expected == _cli_urls(served.archive, "復議")
    with connect(served.archive / "index.db") as conn:
        urls = {doc_id: url for doc_id, url in conn.execute("select id, url from documents")}
    assert len(simplified) == len(set(simplified)) == len(expected) > 20  # paged: more than one page
    assert {urls[i] for i in simplified} == {urls[i] for i in traditional} == expected
    assert f"第 1–20 条，共 {len(expected)} 条" in summary
    driver.get(f"{served.base}/-/search?q={quote('復議')}")
    marks = driver.find_elements(By.CSS_SELECTOR, ".snippet mark")
    assert marks and {m.text for m in marks} == {"复议"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "search.png"))


def test_search_filters_fold_scripts_and_say_what_emptied_the_result(served: Served, driver: Any) -> None:
    driver.get(f"{served.base}/-/search?q={quote('复议')}&province={quote('广东省')}")
    text = _text(driver)
    assert "遂溪縣應急管理局" in text and "共 3 条" in text
    driver.get(f"{served.base}/-/search?q={quote('复议')}&province={quote('广东省')}&year=2017")
    assert "被筛选条件排除" in _text(driver)
    driver.get(f"{served.base}/-/search?q={quote('量子纠缠')}")
    assert "没有文档包含“量子纠缠”" in _text(driver)


def test_datasette_search_box_hands_over_and_long_columns_are_hidden(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{served.base}/index/documents?_search={quote('復議')}")
    assert driver.current_url.startswith(f"{served.base}/-/search?q=")
    assert driver.find_elements(By.CSS_SELECTOR, "ol.hits > li")
    driver.get(f"{served.base}/index/documents")
    headers = {th.text.strip() for th in driver.find_elements(By.CSS_SELECTOR, "table.rows-and-columns th")}
    assert "title" in headers and "text" not in headers and "text_simplified" not in headers
    assert driver.execute_script("return document.body.scrollHeight") < 20000


def test_reports_list_groups_copies(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{served.base}/-/reports")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.reports tr")[1:]
    assert len(rows) == _published()[1]
    row = next(r for r in rows if "德清县应急管理局" in r.text and "2023" in r.text)
    assert "DOCX" in row.text and "按时" in row.text and "通过 4" in row.text
    driver.get(f"{served.base}/-/reports?province={quote('廣東省')}&sort=-year")
    years = [r.find_elements(By.TAG_NAME, "td")[2].text
             for r in driver.find_elements(By.CSS_SELECTOR, "table.reports tr")[1:]]
    assert years == ["2022", "2023", "2024"]


def test_coverage_cell_leads_to_the_report_or_says_why_not(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{served.base}/-/coverage")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / "coverage.png"))
    text = _text(driver)
    assert "贵州省生态环境厅" in text and "湖州市吴兴区市场监督管理局" in text  # blocked agencies have rows
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "table.heat tr") if "杭州市生态环境局" in r.text)
    cell = row.find_element(By.CSS_SELECTOR, "a[data-status='on_time']")
    cell.click()
    assert "/-/report/" in driver.current_url
    assert "杭州市生态环境局" in driver.title
    driver.get(f"{served.base}/-/coverage")
    row = next(r for r in driver.find_elements(By.CSS_SELECTOR, "table.heat tr") if "贵州省生态环境厅" in r.text)
    row.find_element(By.CSS_SELECTOR, "a[data-status='blocked']").click()
    assert "反爬虫页面（瑞数）" in driver.find_element(By.CSS_SELECTOR, "p.why").text


def test_figures_chart_renders(served: Served, driver: Any) -> None:
    from PIL import Image
    from selenium.webdriver.common.by import By

    driver.get(f"{served.base}/-/figures?agency={quote('杭州市生态环境局')}&agency={quote('德清县应急管理局')}")
    chart = driver.find_elements(By.CSS_SELECTOR, "svg.chart")[0]
    image = Image.open(io.BytesIO(chart.screenshot_as_png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    blue = sum(n for n, rgb in colours if rgb == (0x1F, 0x77, 0xB4))
    orange = sum(n for n, rgb in colours if rgb == (0xFF, 0x7F, 0x0E))
    assert blue > 500 and orange > 500, (blue, orange)  # both agencies' bars are drawn
    numbers = driver.find_elements(By.CSS_SELECTOR, "table.numbers")[0].text
    assert "杭州市生态环境局" in numbers and "2024" in numbers
    csv_link = driver.find_element(By.PARTIAL_LINK_TEXT, "CSV").get_attribute("href")
    assert "/-/figures.csv?agency=" in csv_link


def test_report_page_and_raw_pdf(served: Served, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    with connect(served.archive / "index.db") as conn:
        [html_id] = conn.execute("select id from documents where kind = 'html' and is_report = 1 "
                                 "and agency = '德清县应急管理局' and year = 2023").fetchone()
        pdf_capture = conn.execute("select capture_id from documents where kind = 'pdf' limit 1").fetchone()[0]
    driver.get(f"{served.base}/-/report/{html_id}")
    text = _text(driver)
    assert text.index("正文") < text.index("统计表") < text.index("文档信息")  # the text first
    assert len(driver.find_elements(By.CSS_SELECTOR, "table.form")) == 3  # 二, 三, 四 in the form's layout
    assert "DOCX" in text and "下载原件" in text
    driver.get(f"{served.base}/-/raw/{pdf_capture}")
    raw = driver.find_element(By.CSS_SELECTOR, "pre.raw").text
    assert "PDF 文档" in raw and "%PDF" not in raw
    assert ".pdf" in driver.find_element(By.PARTIAL_LINK_TEXT, "下载原件").text
