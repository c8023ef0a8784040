"""Grid reading: cells with units and blanks, labels without their numbering, loose row matching."""

from __future__ import annotations

from difflib import SequenceMatcher

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extract import table_grid
from extract.table_grid import (
    LOOSE_RATIO,
    ROW_KEYS,
    Cell,
    align_rows,
    application_grid,
    label_key,
    parse_cell,
    stat_table_grid,
)


@pytest.mark.parametrize(("text", "unit", "expected"), [
    ("", "", Cell(None, "blank")), ("\u3000", "", Cell(None, "blank")), ("—", "", Cell(None, "blank")),
    ("1,234", "", Cell(1234.0)), ("251000元", "万元", Cell(25.1, "unit: 元 → 万元")),
    ("12.5万元", "万元", Cell(12.5, "unit: 万元")), ("3件", "", Cell(3.0, "unit: 件")), ("+2", "", Cell(2.0)),
    ("-1", "", Cell(-1.0)),
])
def test_parse_cell(text: str, unit: str, expected: Cell) -> None:
    assert parse_cell(text, unit) == expected


@pytest.mark.parametrize("text", ["共15条", "2023年", "予以公开", "详见附件"])
def test_text_is_no_figure(text: str) -> None:
    assert parse_cell(text) is None


@pytest.mark.parametrize(("label", "key"), [
    ("三、本年度办理结果 （三）不予公开 2.其他法律行政止公开", "其他法律行政止公开"),
    ("(六)其他处理 3. 其他", "其他"), ("（六）其他处理", "其他处理"), ("四、结转下年度继续办理", "结转下年度继续办理"),
    ("（五）不予处理 5.要求行政机关确认或重 新出具已获取信息", "要求行政机关确认或重新出具已获取信息"),
])
def test_label_key_drops_numbering_and_group(label: str, key: str) -> None:
    assert label_key(label) == key


def test_rows_align_by_label_fuzzy_label_and_position_between_neighbours() -> None:
    labels = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
              "（二）部分公开",
              "1.属于国家秘密", "2.其他法律行政止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
              "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.", "8.属于行政查询事项"]
    matched = align_rows(labels, ROW_KEYS)
    assert {j: i for j, (i, _note) in matched.items()} == {n: n for n in range(12)}
    notes = {j: note for j, (_i, note) in matched.items() if note}
    assert notes == {5: "loose label: '2.其他法律行政止公开'", 10: "loose position: '7.'"}


def test_a_missing_row_is_left_unmatched_not_filled_from_its_neighbour() -> None:
    labels = ["（一）予以公开", "（二）部分公开", "2.其他法律行政法规禁止公开"]
    matched = align_rows(labels, ROW_KEYS)
    assert sorted(matched) == [2, 3, 5]


def test_application_grid_names_columns_from_spanned_headers() -> None:
    corner = "（本列数据的勾稽关系）"
    header = ((corner, "自然人", *["法人或其他组织"] * 5, "总计"),
              (corner, "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"))
    row = ("一、本年新收政府信息公开申请数量", "5", "", "", "", "", "1", "6")
    [parsed] = application_grid((*header, row)) or []
    assert [cell.value for cell in parsed.cells] == [5.0, None, None, None, None, 1.0, 6.0]


def test_statistics_rows_know_their_total() -> None:
    table = (("指标名称", "指标名称", "计量单位", "2015年度", "历年累计"),
             ("受理依申请公开信息总数", "受理依申请公开信息总数", "件", "9", "64"),
             ("其中", "当面申请数", "件", "2", "20"), ("其中", "网上申请数", "件", "", "44"),
             ("行政复议数", "行政复议数", "件", "0", "2"))
    rows = stat_table_grid(table) or []
    assert [(r.label, r.parent, r.exhaustive) for r in rows] == [
        ("受理依申请公开信息总数", "", False), ("当面申请数", "受理依申请公开信息总数", True),
        ("网上申请数", "受理依申请公开信息总数", True), ("行政复议数", "", False)]
    assert dict(rows[2].cells) == {"本年度": Cell(None, "blank"), "历年累计": Cell(44.0)}


# The standard form's application rows as agencies label them (numbering, groups, a typo, a blank label).
FORM_LABELS = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "（一）予以公开",
               "（二）部分公开", "1.属于国家秘密", "2.其他法律行政止公开", "3.危及“三安全一稳定”",
               "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.",
               "8.属于行政查询事项", "1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
               "3.补正后申请内容仍不明确", "1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
               "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息", "（七）总计",
               "四、结转下年度继续办理"]


@given(st.sampled_from(ROW_KEYS), st.text(alphabet="".join(sorted(set("".join(ROW_KEYS)))) + "abc", max_size=24))
def test_similarity_is_the_difflib_ratio_from_the_loose_ratio_up_and_zero_below(expected: str, key: str) -> None:
    ratio = SequenceMatcher(None, expected, key, autojunk=False).ratio()
    if not key:
        want = 0.0
    elif key == expected or (len(expected) >= 4 and expected in key):
        want = 1.0
    else:
        want = ratio if ratio >= LOOSE_RATIO else 0.0
    assert table_grid._similarity(expected, key) == want


def test_label_pairs_that_cannot_reach_the_loose_ratio_are_not_compared_by_difflib(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    compared: list[tuple[str, str]] = []

    class Counting(SequenceMatcher):  # type: ignore[type-arg]
        def __init__(self, isjunk: None, a: str, b: str, autojunk: bool) -> None:
            compared.append((a, b))
            super().__init__(isjunk, a, b, autojunk)

    monkeypatch.setattr(table_grid, "SequenceMatcher", Counting)
    table_grid._similarity.cache_clear()
    matched = align_rows(FORM_LABELS, ROW_KEYS)
    assert len(matched) == len(FORM_LABELS)
    assert len(compared) < len(FORM_LABELS) * len(ROW_KEYS) // 10  # 550 pairs, most of them far apart
    compared.clear()
    align_rows(FORM_LABELS, ROW_KEYS)  # the next report of the same form: every pair already scored
    assert compared == []
