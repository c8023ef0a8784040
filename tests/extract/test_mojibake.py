"""Mojibake: seed 000's real damage restored, clean seeds never flagged, the corpus's precision/recall."""

from __future__ import annotations

import pytest

from extract.mojibake import MISSING, analyse
from tests.conftest import seed_text
from tests.extract.mojibake_eval import DAMAGE, evaluate


def test_seed_000_is_restored_where_the_bytes_allow() -> None:
    report = analyse(seed_text(0))
    lines = report.text.split("\n")
    assert "　（一）加強組織領導。成立政務公開工作領導小組" in lines[2]
    assert lines[12].startswith("　（一）存在問題。我局信息公開工作")
    assert "(qiáng)" not in report.text and "應急管理局" in report.text
    assert ("強" in dict(report.inferred)) and "0x8F" in dict(report.inferred)["強"]
    # What the bytes cannot tell is marked, never guessed.
    assert lines[3].startswith("　（" + MISSING + "主動公開內容")
    assert report.verdict == "damaged"
    assert set(report.kinds) == {"gbk-misalignment", "pinyin-annotation", "html-remnant"}
    assert report.unrepaired == 3


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_clean_seeds_are_never_flagged(number: int) -> None:
    report = analyse(seed_text(number))
    assert (report.verdict, report.kinds, report.text) == ("clean", (), seed_text(number))


@pytest.mark.parametrize("length", [30, 200])
def test_corpus_precision_and_recall(length: int) -> None:
    table = evaluate(length)
    assert table["clean"]["false_positives"] == 0 and table["clean"]["n"] >= 20
    for kind, (_damage, lossless) in DAMAGE.items():
        row = table[kind]
        assert row["n"] >= 5, kind
        if length >= 200:
            assert row["recall"] >= 0.95, (kind, row)
            assert row["precision"] >= 0.95, (kind, row)
            if lossless:
                assert row["exact"] == 1.0, (kind, row)


def test_unrepairable_runs_are_flagged_for_refetch() -> None:
    report = analyse("本年度共收到申请锟斤拷锟斤拷件，其中予以公开烫烫烫件。")
    assert report.verdict == "damaged" and report.kinds == ("replacement-run",) and report.unrepaired == 2


def test_big5_read_as_gbk_restores_what_survived_and_marks_the_rest() -> None:
    from tests.extract.mojibake_eval import _big5_as_gbk, _to_traditional, clean_texts

    restored = total = 0
    for clean in clean_texts(200):
        traditional = _to_traditional(clean)
        report = analyse(_big5_as_gbk(traditional))
        assert report.verdict == "damaged" and report.kinds == ("big5-as-gbk",)
        assert len(report.text) == len(traditional)
        for got, want in zip(report.text, traditional):
            assert got in (want, MISSING), "a character was guessed, not restored from its bytes"
        restored += sum(a == b for a, b in zip(report.text, traditional))
        total += len(traditional)
        assert report.unrepaired == report.text.count(MISSING)
    assert restored / total > 0.7  # measured 0.77: a GBK reader loses one byte of roughly a quarter of the pairs
