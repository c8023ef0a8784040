"""Mojibake evaluation corpus: clean texts damaged by each mechanism; precision and recall per kind.

Run `python -m tests.extract.mojibake_eval` to print the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, the codec browsers really use)

from extract.mojibake import analyse
from tests.conftest import seed_text

EXTRA_CLEAN = [
    "本機關依據《政府資訊公開法》受理申請共計三十二件，均已於法定期限內答覆。" * 6,  # Traditional
    "申请人堃喆、王镕、李珺、赵昇、钱旻等提出的政府信息公开申请已依法办理完毕。" * 6,  # rare name characters
    "┌────┬────┐\n│ 项目 │ 数量 │\n├────┼────┤\n│ 规章 │ 0 │\n└────┴────┘\n" * 4,  # box drawing
    "本局在 Windows 10 与 WPS Office 环境下通过 OA 系统（version 3.2）办理 API 对接，共计 12 项。" * 4,
]


def clean_texts(length: int) -> Iterator[str]:
    """Windows of `length` characters from the clean seeds and the hand-written extras, one line each."""
    sources = [seed_text(n) for n in (1, 2, 3, 4)] + EXTRA_CLEAN
    for source in sources:
        flat = re.sub(r"\s+", "", source)
        for start in range(0, min(len(flat) - length, 6000), max(length, 400)):
            yield flat[start:start + length]


def _utf8_as_gbk(text: str) -> str | None:
    # What a GBK reader shows for UTF-8: lossless where the byte pairs happen to be valid GBK,
    # replacement characters elsewhere (then only detection and a partial repair are possible).
    return text.encode("utf-8").decode("gbk", "replace")


def _gbk_as_latin1(text: str) -> str | None:
    return text.encode("gbk").decode("latin-1")


def _utf8_as_cp1252(text: str) -> str | None:
    return text.encode("utf-8").decode("sloppy-windows-1252")


def _big5_as_gbk(text: str) -> str | None:
    # A GBK reader on Big5 bytes: about a quarter of the pairs are not GBK and come out as U+FFFD.
    return text.encode("big5").decode("gbk", "replace")


def _pinyin(text: str) -> str | None:
    return text.replace("应", "应(yīng)").replace("强", "强(qiáng)").replace("开", "开(kāi)")


def _remnant(text: str) -> str | None:
    half = len(text) // 2
    return text[:half] + "</strong>" + text[half:]


DAMAGE: dict[str, tuple[Callable[[str], str | None], bool]] = {
    # kind: (damage, lossless → the repair must give back the clean text exactly)
    "utf8-as-gbk": (_utf8_as_gbk, False),
    "gbk-as-latin1": (_gbk_as_latin1, True),
    "utf8-as-cp1252": (_utf8_as_cp1252, True),
    "big5-as-gbk": (_big5_as_gbk, False),
    "pinyin-annotation": (_pinyin, True),
    "html-remnant": (_remnant, True),
}


def evaluate(length: int) -> dict[str, dict[str, float]]:
    """Precision, recall and exact-repair rate per kind for texts of `length` characters."""
    cleans = list(clean_texts(length))
    table: dict[str, dict[str, float]] = {}
    false_pos = sum(analyse(text).verdict != "clean" for text in cleans)
    for kind, (damage, _lossless) in DAMAGE.items():
        found = exact = total = 0
        wrongly_named = 0
        for clean in cleans:
            if kind == "big5-as-gbk":
                clean = _to_traditional(clean)
            damaged = damage(clean)
            if damaged is None or damaged == clean:
                continue
            total += 1
            report = analyse(damaged)
            found += kind in report.kinds
            wrongly_named += bool(set(report.kinds) - {kind})
            exact += report.text == clean
        table[kind] = {"n": total, "recall": found / total if total else 0.0,
                       "precision": found / (found + wrongly_named) if found + wrongly_named else 1.0,
                       "exact": exact / total if total else 0.0}
    table["clean"] = {"n": len(cleans), "false_positives": false_pos}
    return table


def _to_traditional(text: str) -> str:
    import opencc

    converted = opencc.OpenCC("s2t").convert(text)
    return "".join(ch for ch in converted if _encodes(ch, "big5"))


def _encodes(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


if __name__ == "__main__":
    for size in (30, 200):
        print(f"--- {size} characters")
        for kind, row in evaluate(size).items():
            print(f"{kind:20} " + "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in row.items()))
