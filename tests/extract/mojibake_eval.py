"""Mojibake evaluation corpus: clean texts damaged by each mechanism; precision and recall per kind,
characters a repair introduced, repairs that made a text less plausible, and ftfy side by side.

Run `python -m tests.extract.mojibake_eval` to print the tables (also printed by `python -m bench.extract`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator

import ftfy
import ftfy.bad_codecs  # registers sloppy-windows-1252, the codec browsers really use

from extract.mojibake import MISSING, analyse
from extract.plausibility import lowers, plausibility
from tests.conftest import FIXTURES, seed_text

MOJIBAKE = FIXTURES / "mojibake"

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


def _big5_as_gbk(text: str) -> str:
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


def introduced(clean: str, damaged: str, repaired: str) -> int:
    """Characters in the repair that are neither in the clean text nor in the damaged one (MISSING aside)."""
    extra = Counter(repaired) - Counter(clean) - Counter(damaged)
    extra.pop(MISSING, None)
    return sum(extra.values())


def faithful(clean: str, repaired: str) -> bool:
    """The repair gives back the clean text, or marks with MISSING exactly the characters it lost."""
    if len(repaired) != len(clean):
        return False
    return all(got in (want, MISSING) for got, want in zip(repaired, clean, strict=True))


def score(kind: str, cases: list[tuple[str, str]]) -> dict[str, float]:
    """Our verdicts and ftfy.fix_encoding's on (clean, damaged) pairs of one kind."""
    row = Counter[str]()
    for clean, damaged in cases:
        report = analyse(damaged)
        row["found"] += kind in report.kinds
        # Replacement characters the clean text itself holds (ftfy's lossy cases) are rightly reported.
        expected = {kind, "replacement-run"} if "\ufffd" in clean else {kind}
        row["wrongly_named"] += bool(set(report.kinds) - expected)
        row["exact"] += report.text == clean
        row["faithful"] += faithful(clean, report.text)
        row["introduced"] += introduced(clean, damaged, report.text)
        changed = report.text != damaged
        row["lowered"] += changed and lowers(plausibility(damaged), plausibility(report.text))
        theirs = ftfy.fix_encoding(damaged)
        row["ftfy_exact"] += theirs == clean
        row["ftfy_faithful"] += faithful(clean, theirs)
    total = max(len(cases), 1)
    return {"n": len(cases), "recall": row["found"] / total,
            "precision": row["found"] / (row["found"] + row["wrongly_named"]) if row["found"] else 1.0,
            "exact": row["exact"] / total, "faithful": row["faithful"] / total,
            "introduced": row["introduced"], "lowered": row["lowered"],
            "ftfy_exact": row["ftfy_exact"] / total, "ftfy_faithful": row["ftfy_faithful"] / total}


def evaluate(length: int) -> dict[str, dict[str, float]]:
    """Precision, recall and exact-repair rate per kind for texts of `length` characters."""
    cleans = list(clean_texts(length))
    table: dict[str, dict[str, float]] = {}
    for kind, (damage, _lossless) in DAMAGE.items():
        cases = []
        for clean in cleans:
            original = _to_traditional(clean) if kind == "big5-as-gbk" else clean
            damaged = damage(original)
            if damaged is not None and damaged != original:
                cases.append((original, damaged))
        table[kind] = score(kind, cases)
    table["clean"] = {"n": len(cleans),
                      "false_positives": sum(analyse(text).verdict != "clean" for text in cleans),
                      "ftfy_false_positives": sum(ftfy.fix_encoding(text) != text for text in cleans)}
    return table


def korean_texts() -> list[str]:
    """Sentences of the Korean pages of the encoding corpus (chardet's test data)."""
    sentences = []
    for path in sorted((FIXTURES / "encodings" / "EUC-KR").iterdir()):
        text = re.sub(r"<[^>]+>", " ", path.read_bytes().decode("cp949"))
        sentences += [s.strip() for s in re.split(r"(?<=[.?!])\s+|\n+", text) if len(s.strip()) >= 20]
    return sentences


def fullwidth_latin_texts() -> list[str]:
    """Latin-script lines with full-width punctuation, as on portals' English pages and footers."""
    return (MOJIBAKE / "fullwidth_latin.txt").read_text(encoding="utf-8").splitlines()


def evaluate_foreign() -> dict[str, dict[str, float]]:
    """Texts with no hanzi to go by, read as Windows-1252: Korean, and Latin with full-width punctuation."""
    sources = (("korean-as-cp1252", korean_texts), ("fullwidth-as-cp1252", fullwidth_latin_texts))
    return {name: score("utf8-as-cp1252", [(text, _utf8_as_cp1252(text) or text) for text in texts()])
            for name, texts in sources}


def ftfy_cases() -> list[dict[str, str]]:
    """ftfy's own cases of its UTF-8/Windows-1252 class and its negative cases (tests/fixtures/mojibake)."""
    cases: list[dict[str, str]] = json.loads((MOJIBAKE / "ftfy_cases.json").read_text(encoding="utf-8"))
    return cases


def evaluate_ftfy_cases() -> dict[str, dict[str, float]]:
    """Our repairs and ftfy's on ftfy's cases: the positive ones scored, the negative ones left alone."""
    cases = ftfy_cases()
    positive = [(c["expected"], c["original"]) for c in cases if c["class"] != "negative"]
    negative = [c["original"] for c in cases if c["class"] == "negative"]
    return {"ftfy-cases": score("utf8-as-cp1252", positive),
            "ftfy-negatives": {"n": len(negative),
                               "false_positives": sum(analyse(t).text != t for t in negative),
                               "ftfy_false_positives": sum(ftfy.fix_encoding(t) != t for t in negative)}}


def print_against_ftfy() -> None:
    """Print every table: ours against ftfy.fix_encoding, class by class."""
    tables = {f"seed windows of {size} characters": evaluate(size) for size in (30, 200)}
    tables["texts without hanzi"] = evaluate_foreign()
    tables["ftfy's own test cases"] = evaluate_ftfy_cases()
    for title, table in tables.items():
        print(f"mojibake, {title}:")
        for kind, row in table.items():
            print(f"  {kind:20} " + "  ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                            for k, v in row.items()))


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
    print_against_ftfy()
