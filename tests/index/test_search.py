"""`archive.index.search` on a real SQLite index of generated reports: every ranking path and filter path,
checked against a brute-force reading of the same rows.

The thresholds that switch paths at 100,000 documents are lowered so that a few hundred documents take
every path: bm25 (rare queries), the bounded ranking of common queries, small and large filters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import archive.index.search as search_module
from archive.db import connect
from archive.index.schema import index_text, open_index
from archive.index.search import SearchFilters, search, search_page
from crawler.demo.reports import as_lines, make_report
from extract.metadata import to_simplified

AGENCIES = [("杭州市应急管理局", "浙江省"), ("德清县生态环境局", "浙江省"), ("安顺市司法局", "贵州省"),
            ("遂溪县人民政府", "广东省")]
OLD_AGENCY = ("湖州市财政局", "浙江省")  # only among the oldest rows: outside any newest-first window


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("search") / "index.db"
    db = open_index(path)
    rows = []
    for n in range(30):
        rows.append((*OLD_AGENCY, 2018 + n % 6, f"{OLD_AGENCY[0]}{2018 + n % 6}年政府信息公开工作年度报告",
                     "\n".join(as_lines(make_report(OLD_AGENCY[0], 2018 + n % 6, n)))))
    for n in range(400):
        agency, province = AGENCIES[n % len(AGENCIES)]
        year = 2017 + n % 8
        if n % 10 == 0:  # distractors: no 公开, no 复议
            rows.append((agency, province, year, f"{agency}{year}年部门预算", "部门预算说明：收入支出总表，财政拨款。"))
            continue
        title = f"{agency}{year}年政府信息公开工作年度报告" if n % 3 else f"{agency}{year}年工作总结"
        rows.append((agency, province, year, title, "\n".join(as_lines(make_report(agency, year, n)))))
    rows.append(("安顺市司法局", "贵州省", 2024, "關於行政複議案件的說明",
                 "本局辦理行政複議案件三件，行政複議決定已公開。"))
    for doc_id, (agency, province, year, title, text) in enumerate(rows, start=1):
        simplified = to_simplified(text)
        db.conn.execute("insert into documents (id, url, agency, province, title, title_simplified, year, kind, "
                        "is_report, text, text_simplified) values (?, ?, ?, ?, ?, ?, ?, 'html', ?, ?, ?)",
                        (doc_id, f"http://127.0.0.2/{doc_id}.html", agency, province, title, to_simplified(title),
                         year, int("年度报告" in title), text, simplified))
        index_text(db.conn, doc_id, to_simplified(title), simplified)
    db.conn.commit()
    db.conn.close()
    return path


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "RANKED_CANDIDATES", 60)
    monkeypatch.setattr(search_module, "FILTERED_CANDIDATES", 15)
    monkeypatch.setattr(search_module, "SMALL_FILTER", 50)


def matching(index: Path, query: str, filters: SearchFilters | None = None) -> set[int]:
    """Brute force: ids of documents whose simplified title or text holds every term and that pass the filters."""
    filters = filters or SearchFilters()
    terms = [to_simplified(t) for t in query.split()]
    with connect(index) as conn:
        rows = conn.execute("select id, title, text_simplified, agency, province, year, is_report from documents")
        return {doc_id for doc_id, title, text, agency, province, year, is_report in rows
                if all(t in to_simplified(title) + "\n" + text for t in terms)
                and (not filters.agency or agency == filters.agency)
                and (not filters.province or province == filters.province)
                and (filters.year is None or year == filters.year)
                and (not filters.reports_only or is_report)}


@pytest.mark.parametrize("query", ["公开", "复议", "政府信息公开", "行政复议", "依申请公开 不予公开", "财政拨款"])
def test_every_result_matches_and_pages_are_full(index: Path, query: str) -> None:
    expected = matching(index, query)
    results = search(index, query, limit=20)
    assert expected, query
    assert {r["id"] for r in results} <= expected
    assert len(results) == min(20, len(expected))
    assert all("[" in r["snippet"] for r in results)


def test_common_query_puts_title_hits_first(index: Path) -> None:
    # 公开 is in far more than RANKED_CANDIDATES documents: the bounded ranking; titles with 公开 lead
    assert len(matching(index, "公开")) > search_module.RANKED_CANDIDATES
    results = search(index, "公开", limit=40)
    in_title = ["公开" in r["title"] for r in results]
    assert any(in_title) and not all(in_title)
    assert in_title == sorted(in_title, reverse=True), "a result without 公开 in its title ranked above one with it"
    assert [r["rank"] for r in results] == sorted(r["rank"] for r in results)


def test_rare_and_common_queries_find_both_scripts(index: Path) -> None:
    for query in ("行政複議決定", "行政复议决定"):
        [hit] = search(index, query, limit=20)
        assert hit["title"] == "關於行政複議案件的說明"
    # 行政复议 is in most reports (a common query): the one document with it in its title comes first
    assert len(matching(index, "行政复议")) > search_module.RANKED_CANDIDATES
    assert search(index, "行政複議", limit=1)[0]["title"] == "關於行政複議案件的說明"


@pytest.mark.parametrize("filters", [
    SearchFilters(agency=OLD_AGENCY[0]),                      # few documents: ranked among them
    SearchFilters(agency=OLD_AGENCY[0], year=2019),
    SearchFilters(province="浙江省"),                          # many: newest filtered matches
    SearchFilters(province="贵州省", reports_only=True),
    SearchFilters(year=2020),
])
@pytest.mark.parametrize("query", ["公开", "政府信息公开", "行政复议"])
def test_filters_find_old_documents_and_only_matching_ones(index: Path, filters: SearchFilters, query: str) -> None:
    expected = matching(index, query, filters)
    results = search(index, query, limit=10, filters=filters)
    assert expected
    assert {r["id"] for r in results} <= expected
    assert len(results) == min(10, len(expected)), "a filter lost matches outside the newest-first window"


def test_filters_that_match_nothing_return_nothing(index: Path) -> None:
    assert search(index, "公开", filters=SearchFilters(agency=OLD_AGENCY[0], year=1999)) == []
    assert search(index, "公开", filters=SearchFilters(agency="不存在的机关")) == []


@pytest.fixture(scope="module")
def two_scripts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive whose index holds one agency's reports in Traditional (a Big5 mirror) and others in simplified,
    with a merged table cell stored in every slot it covers, as the extractor writes it."""
    archive = tmp_path_factory.mktemp("scripts") / "archive"
    db = open_index(archive / "index.db")
    rows = [("遂溪縣應急管理局", "廣東省", 2023, "遂溪縣應急管理局2023年政府信息公開工作年度報告",
             "四、因政府信息公開申請行政複議、提起行政訴訟情況\n\n行政複議\t行政複議\t行政複議\t行政複議\t行政複議\n"
             "結果維持\t結果糾正\t其他結果\t尚未審結\t總計\n1\t0\t0\t0\t1\n")]
    rows += [("遂溪县人民政府", "广东省", 2000 + n, f"遂溪县人民政府{2000 + n}年政府信息公开工作年度报告",
              f"本年度收到行政复议申请{n}件。") for n in range(17, 25)]
    rows += [("德清县应急管理局", "浙江省", 2023, "德清县应急管理局2023年部门预算", "部门预算说明：收入支出总表。")]
    for doc_id, (agency, province, year, title, text) in enumerate(rows, start=1):
        db.conn.execute("insert into documents (id, url, agency, province, title, title_simplified, year, kind, "
                        "is_report, text, text_simplified) values (?, ?, ?, ?, ?, ?, ?, 'html', ?, ?, ?)",
                        (doc_id, f"http://127.0.0.2/{doc_id}.html", agency, province, title, to_simplified(title),
                         year, int("報告" in title or "报告" in title), text, to_simplified(text)))
        index_text(db.conn, doc_id, to_simplified(title), to_simplified(text))
    db.conn.commit()
    db.conn.close()
    return archive


@pytest.mark.parametrize("province", ["广东省", "廣東省"])
@pytest.mark.parametrize("query", ["复议", "復議", "行政复议"])
def test_province_and_agency_filters_fold_scripts(two_scripts: Path, province: str, query: str) -> None:
    db = two_scripts / "index.db"
    results = search(db, query, filters=SearchFilters(province=province))
    assert {r["province"] for r in results} == {"廣東省", "广东省"}
    assert len(results) == 9
    [hit] = search(db, query, filters=SearchFilters(agency="遂溪县应急管理局"))
    assert hit["agency"] == "遂溪縣應急管理局"


def test_cli_filters_fold_scripts(two_scripts: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    result = CliRunner().invoke(main, ["search", "--archive", str(two_scripts), "--json", "--province", "广东省",
                                       "--agency", "遂溪县应急管理局", "復議"])
    assert result.exit_code == 0, result.output
    assert '"agency": "遂溪縣應急管理局"' in result.output


def test_snippet_writes_a_merged_cell_once(two_scripts: Path) -> None:
    [hit] = search(two_scripts / "index.db", "行政复议", filters=SearchFilters(agency="遂溪縣應急管理局"))
    assert "[行政复议] [行政复议]" not in hit["snippet"]
    assert hit["snippet"].count("[行政复议]") == 2  # the heading and the table's one header cell


def test_search_page_counts_and_pages(two_scripts: Path) -> None:
    db = two_scripts / "index.db"
    first = search_page(db, "复议", limit=4)
    assert first.total == 9 and len(first.rows) == 4 and not first.common
    pages = [first.rows, search_page(db, "复议", 4, offset=4).rows, search_page(db, "复议", 4, offset=8).rows]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) == 9


def test_empty_page_says_whether_query_or_filters_removed_everything(two_scripts: Path) -> None:
    db = two_scripts / "index.db"
    assert search_page(db, "行政处罚决定书").empty_reason == "query"
    assert search_page(db, "行政处罚决定书", filters=SearchFilters(year=2023)).empty_reason == "query"
    assert search_page(db, "复议", filters=SearchFilters(province="浙江省")).empty_reason == "filters"
    assert search_page(db, "复议", filters=SearchFilters(province="广东省", year=1999)).empty_reason == "filters"
    assert search_page(db, "复议", filters=SearchFilters(province="广东省")).empty_reason == ""


@pytest.mark.parametrize("filters", [SearchFilters(), SearchFilters(province="浙江省"),
                                     SearchFilters(agency=OLD_AGENCY[0]), SearchFilters(year=2020)])
@pytest.mark.parametrize("query", ["公开", "行政复议", "财政拨款"])
def test_total_is_what_paging_reaches(index: Path, filters: SearchFilters, query: str) -> None:
    first = search_page(index, query, 7, filters)
    seen: list[int] = []
    for offset in range(0, first.total + 7, 7):
        seen += [r["id"] for r in search_page(index, query, 7, filters, offset).rows]
    assert len(seen) == len(set(seen)) == first.total
    assert set(seen) <= matching(index, query, filters)
    if not first.common:
        assert first.total == len(matching(index, query, filters))  # a rare query: every match is ranked


def test_common_query_ranks_are_the_documented_rule(index: Path) -> None:
    # a title holding every term first (+10), then bm25-saturated frequency of each term over the text, among
    # the newest RANKED_CANDIDATES matches: the SQL of the rule, computed here in one statement
    query = "依申请公开 不予公开"
    terms = query.split()
    results = search(index, query, limit=30)
    floor = sorted(matching(index, query))[-search_module.RANKED_CANDIDATES]
    tf = " + ".join(f"(tf{i} * 2.2 / (tf{i} + 1.2 * (1 - 0.75 + 0.75 * len / max(avglen, 1))))" for i in range(2))
    counts = ", ".join(f"(length(text_simplified) - length(replace(text_simplified, ?, ''))) / {len(t)}.0 as tf{i}"
                       for i, t in enumerate(terms))
    with connect(index) as conn:
        expected = conn.execute(
            f"select id, -((instr(title_simplified, ?) > 0) * (instr(title_simplified, ?) > 0) * 10 + {tf}) as rank "
            f"from (select id, title_simplified, length(text_simplified) as len, avg(length(text_simplified)) over () "
            f"as avglen, {counts} from documents where id >= ? and instr(title_simplified || char(10) || "
            "text_simplified, ?) and instr(title_simplified || char(10) || text_simplified, ?)) "
            "order by rank, id desc limit 30", [*terms, *terms, floor, *terms]).fetchall()
    assert [(r["id"], r["rank"]) for r in results] == [(doc_id, rank) for doc_id, rank in expected]


def test_a_document_without_text_ranks_by_its_title(tmp_path: Path) -> None:
    # an extraction that kept a title but no text (text_simplified NULL): ranked, not first by a NULL rank
    db = open_index(tmp_path / "index.db")
    for doc_id in range(1, 80):
        title, text = (f"报告{doc_id}", "政府信息公开") if doc_id < 79 else ("政府信息公开指南", None)
        db.conn.execute("insert into documents (id, url, title, title_simplified, kind, is_report, text, "
                        "text_simplified) values (?, ?, ?, ?, 'html', 0, ?, ?)",
                        (doc_id, f"http://127.0.0.2/{doc_id}.html", title, title, text, text))
        index_text(db.conn, doc_id, title, text or "")
    db.conn.commit()
    db.conn.close()
    results = search(tmp_path / "index.db", "公开", limit=3)
    assert [r["id"] for r in results] == [79, 78, 77]
    assert results[0]["snippet"] == "政府信息[公开]指南"
    assert results[0]["rank"] < results[1]["rank"]
