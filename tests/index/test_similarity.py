"""Copied reports and near-duplicates on a corpus of reports in the national form, each with its own text."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from archive.index.similarity import copied_reports, near_duplicates, own_clauses, similar_reports, update_similarity
from crawler.demo.reports import as_lines, make_report

_MATTERS = ("老旧小区改造", "饮用水提标", "义务教育招生", "医保待遇调整", "征地补偿", "企业纾困", "防汛应急",
            "垃圾分类", "农房审批", "殡葬改革", "耕地保护", "养老补贴", "公交线网", "河道整治", "校园安全",
            "菜篮子工程")
_TOWNS = ("城关镇", "七星街道", "儒岙镇", "沙溪镇", "回山镇", "大市聚镇", "羽林街道", "澄潭街道", "镜岭镇", "小将镇")


def _own(seed: int) -> list[str]:
    """Paragraphs an agency writes itself: its towns, matters and numbers of the year."""
    rng = random.Random(seed)
    out = []
    for _ in range(12):
        town, matter, other = rng.choice(_TOWNS), rng.choice(_MATTERS), rng.choice(_MATTERS)
        out.append(f"{town}{matter}第{rng.randint(2, 9)}批{rng.choice('甲乙丙丁戊')}类事项{rng.randint(1, 99)}件，"
                   f"结合{other}同步{rng.choice(('公开', '解读', '回应', '答复'))}，{rng.choice(_TOWNS)}"
                   f"{rng.choice(('率先', '随后', '同步', '分批'))}落实{rng.choice(_MATTERS)}。")
    return out


def _text(agency: str, year: int, own: list[str]) -> str:
    lines = as_lines(make_report(agency, year, hash((agency, year)) % 10000))
    return "\n".join([*lines[:3], *own, *lines[3:]])


def _corpus(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "index.db")
    conn.execute("create table documents (id integer primary key, url text, agency text, year integer, is_report "
                 "integer, error text, text text, text_simplified text)")
    docs: list[tuple[str, int, str]] = []
    for n in range(8):  # agencies writing their own reports every year
        docs += [(f"第{n}局", year, _text(f"第{n}局", year, _own(100 * n + year))) for year in (2022, 2023)]
    copied = [p.replace("第", "共") if i == 3 else p for i, p in enumerate(_own(7777))]
    docs += [("抄袭局", 2022, _text("抄袭局", 2022, _own(7777))), ("抄袭局", 2023, _text("抄袭局", 2023, copied))]
    template = _own(4242)  # one county's departments filing the same text in 2023
    docs += [(name, 2023, _text(name, 2023, template)) for name in ("甲县水利局", "甲县交通局")]
    conn.executemany("insert into documents (url, agency, year, is_report, error, text) values (?, ?, ?, 1, '', ?)",
                     [(f"http://127.0.0.2/{i}.html", a, y, t) for i, (a, y, t) in enumerate(docs)])
    conn.commit()
    return conn


def test_copied_report_found_own_reports_not(tmp_path: Path) -> None:
    conn = _corpus(tmp_path)
    assert update_similarity(conn) == 9
    [copied] = copied_reports(conn, 0.8)
    assert copied["agency"] == "抄袭局" and copied["year"] == 2023 and copied["previous_year"] == 2022
    assert 0.8 <= copied["share"] < 1.0, "minor changes"
    shares = [s for (s,) in conn.execute("select share_of_previous from similarity where agency like '第%' "
                                         "and share_of_previous is not null")]
    assert len(shares) == 8 and max(shares) < 0.5
    conn.close()


def test_near_duplicates_across_agencies_of_one_year(tmp_path: Path) -> None:
    conn = _corpus(tmp_path)
    update_similarity(conn)
    [pair] = near_duplicates(conn, 0.8)
    assert {pair["agency"], pair["other_agency"]} == {"甲县水利局", "甲县交通局"} and pair["year"] == 2023
    conn.close()


def test_standard_form_and_figures_are_not_own_text() -> None:
    lines = as_lines(make_report("第一局", 2023, 1))
    clauses = own_clauses("\n".join(lines))
    assert not any(any(ch.isdigit() for ch in c) for c in clauses)
    assert "行政许可" not in "".join(clauses), "table rows are labels and figures"


def test_similar_reports_computes_once_until_reports_change(tmp_path: Path) -> None:
    _corpus(tmp_path).close()
    first = similar_reports(tmp_path / "index.db", 0.8)
    assert [c["agency"] for c in first["copied"]] == ["抄袭局"]
    conn = sqlite3.connect(tmp_path / "index.db")
    conn.execute("update similarity set share_of_previous = 0")  # unchanged reports: the tables are reused
    conn.commit()
    conn.close()
    assert similar_reports(tmp_path / "index.db", 0.8)["copied"] == []


def test_near_duplicates_of_several_years_and_never_across_years(tmp_path: Path) -> None:
    conn = _corpus(tmp_path)
    # 2022 and 2024: two other counties' departments each file a template of their own (a template in the
    # reports of three agencies or more would be learnt as the form's shared text)
    docs = [(name, 2022, _text(name, 2022, _own(9090))) for name in ("乙县水利局", "乙县交通局")]
    docs += [(name, 2024, _text(name, 2024, _own(9191))) for name in ("丙县水利局", "丙县交通局")]
    conn.executemany("insert into documents (url, agency, year, is_report, error, text) values (?, ?, ?, 1, '', ?)",
                     [(f"http://127.0.0.3/{i}.html", a, y, t) for i, (a, y, t) in enumerate(docs)])
    conn.commit()
    update_similarity(conn)
    pairs = {(pair["year"], frozenset((pair["agency"], pair["other_agency"]))) for pair in near_duplicates(conn, 0.8)}
    assert pairs == {(2022, frozenset(("乙县水利局", "乙县交通局"))), (2023, frozenset(("甲县水利局", "甲县交通局"))),
                     (2024, frozenset(("丙县水利局", "丙县交通局")))}
    conn.close()
