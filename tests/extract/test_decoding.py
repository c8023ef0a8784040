"""Decoding cascade on pages built from the real seed texts, in every encoding portals use."""

from __future__ import annotations

import sys

import pytest

from extract.decoding import decode_html, decode_text
from tests.conftest import seed_text

GBK_ONLY = "堃喆镕珺"  # GBK-only characters: Python's gb2312 codec rejects them


def page(body: str, meta: str | None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{head}<title>年度</title></head><body><div>{body}</div></body></html>"


def simplified() -> str:
    return seed_text(1)[:3000] + "负责人：" + GBK_ONLY


def traditional() -> str:
    # Seed 000 without its converter pinyin and damage: a real Traditional report text.
    import re

    text = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", seed_text(0)[:2500])
    return "".join(ch for ch in text if ch not in "?\ufffd" and _big5_ok(ch))


def _big5_ok(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def test_claims_the_cascade_rests_on() -> None:
    with pytest.raises(UnicodeEncodeError):
        GBK_ONLY.encode("gb2312")
    big5 = traditional().encode("big5", "ignore")
    big5.decode("gb18030")  # a Big5 page decodes as GB18030 without error: success proves nothing


def test_gbk_reads_every_byte_pair_as_gb18030_does() -> None:
    # The decoder tries Python's faster GBK codec first and calls the text GB18030's: that holds only if
    # GBK, wherever it succeeds, yields GB18030's characters.
    for lead in range(0x81, 0xFF):
        for trail in (*range(0x40, 0x7F), *range(0x80, 0xFF)):
            pair = bytes((lead, trail))
            try:
                gbk = pair.decode("gbk")
            except UnicodeDecodeError:
                continue
            assert gbk == pair.decode("gb18030"), pair.hex()


@pytest.mark.parametrize("where", ["start", "end"])
def test_gb18030_four_byte_characters_are_kept(where: str) -> None:
    # Characters Python's GBK lacks (an Extension B name character: four bytes in GB18030; 㑇 FE56, € A2E3):
    # at the end of a long page the GBK attempt fails late, and the page must still decode whole.
    rare = "𠮷㑇€"
    body = f"{rare}{simplified()}" if where == "start" else f"{simplified()}{rare}"
    html = page(body, "gb18030")
    decoded = decode_html(html.encode("gb18030"))
    assert (decoded.text, decoded.codec, decoded.source, decoded.replacements) == (html, "gb18030", "meta", 0)
    undeclared = decode_html(page(body, None).encode("gb18030"))
    assert (undeclared.text, undeclared.codec) == (page(body, None), "gb18030")


@pytest.mark.parametrize(
    ("encoding", "meta", "header", "codec", "source"),
    [
        ("utf-8", "utf-8", "text/html; charset=utf-8", "utf-8", "utf8-valid"),
        ("utf-8", None, None, "utf-8", "utf8-valid"),
        ("gbk", "gb2312", None, "gb18030", "meta"),
        ("gb18030", "gb18030", "text/html", "gb18030", "meta"),
        ("gbk", None, None, "gb18030", "detected"),
        ("gbk", "gb2312", "text/html; charset=utf-8", "gb18030", "detected"),  # lying header
    ],
)
def test_simplified_pages_decode_exactly(encoding: str, meta: str | None, header: str | None,
                                         codec: str, source: str) -> None:
    html = page(simplified(), meta)
    decoded = decode_html(html.encode(encoding), header)
    assert decoded.text == html
    assert (decoded.codec, decoded.source, decoded.replacements) == (codec, source, 0)


def test_lying_header_is_recorded_as_overruled() -> None:
    decoded = decode_html(page(simplified(), "gb2312").encode("gbk"), "text/html; charset=utf-8")
    assert decoded.overruled == "http:utf-8"
    utf8_declared_gbk = decode_html(page(simplified(), "utf-8").encode("utf-8"), "text/html; charset=gb2312")
    assert utf8_declared_gbk.codec == "utf-8" and utf8_declared_gbk.overruled == "http:gb2312"


@pytest.mark.parametrize("meta", ["big5", "gb2312", None])
def test_big5_pages_decode_exactly_whatever_they_declare(meta: str | None) -> None:
    html = page(traditional(), meta)
    decoded = decode_html(html.encode("big5"), None)
    assert decoded.text == html
    assert decoded.codec in {"big5hkscs", "cp950"}
    assert decoded.overruled == ("meta:gb2312" if meta == "gb2312" else "")


def test_bom_and_plain_text() -> None:
    assert decode_text(b"\xef\xbb\xbf" + "公开".encode()).source == "bom"
    assert decode_text("政府信息公开".encode("gbk") * 20, "text/plain; charset=GBK").text == "政府信息公开" * 20


def test_undecodable_bytes_are_counted_never_silent() -> None:
    body = "政府信息公开工作年度报告".encode("gbk") * 10 + b"\xff\xff\x81"
    decoded = decode_text(body)
    assert decoded.replacements >= 1 or decoded.source == "detected"
    assert "政府信息公开工作年度报告" in decoded.text


# --- the encoding corpus (tests/fixtures/encodings, public detector test data; see its SOURCES.md)

def test_corpus_accuracy_is_at_least_chardets() -> None:
    from bench.extract import decoding_accuracy, encoding_corpus

    table = decoding_accuracy(encoding_corpus())
    ours, chardet = table["nianbao decode_html: text"], table["chardet.detect: name"]
    assert ours.n >= 70
    assert ours.right >= chardet.right, ours.wrong
    assert ours.right == ours.n, ours.wrong  # measured: every file of the corpus


def _english_middle_big5_page() -> bytes:
    # A Traditional report page whose long middle is English (a bilingual notice, a pasted English
    # summary): only the top and bottom carry Chinese, which a sample from the middle misses.
    chinese = traditional()
    english = ("<p>The Bureau handled applications for government information disclosure under the "
               "Regulations. Statistics follow in the tables below. All figures are provisional.</p>\n") * 120
    html = page(chinese[:300] + english + chinese[300:600], "big5")
    return html.encode("big5", "ignore")


@pytest.mark.parametrize("header", ["text/html; charset=big5", None])
def test_big5_page_with_an_english_middle_stays_big5(header: str | None) -> None:
    body = _english_middle_big5_page()
    decoded = decode_html(body, header)
    assert decoded.codec in {"big5hkscs", "cp950"}
    assert decoded.overruled == ""
    assert decoded.text == body.decode("big5")


def test_real_big5_feeds_with_english_middles() -> None:
    from bench.extract import encoding_corpus

    for _folder, path, body in encoding_corpus(["Big5"]):
        decoded = decode_html(body, "text/html; charset=big5")
        assert (decoded.codec, decoded.source, decoded.overruled) == ("big5hkscs", "http", ""), path.name


def test_a_declared_charset_is_overruled_only_by_a_clearly_better_reading() -> None:
    gbk_page = page(simplified(), None).encode("gbk")
    # Served as ISO-8859-1 (a servlet container's default): every byte string is valid Latin-1, and the
    # GBK reading is plainly Chinese, so the declaration loses and says so.
    decoded = decode_html(gbk_page, "text/html; charset=ISO-8859-1")
    assert (decoded.codec, decoded.source, decoded.overruled) == ("gb18030", "detected", "http:iso-8859-1")
    # A Big5 declaration that decodes strictly and reads as Chinese is kept.
    big5_page = page(traditional(), "big5").encode("big5")
    kept = decode_html(big5_page, "text/html; charset=big5")
    assert (kept.source, kept.overruled) == ("http", "")


@pytest.mark.parametrize("folder", ["UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE", "UTF-32"])
def test_utf16_and_utf32_from_the_corpus(folder: str) -> None:
    from bench.extract import SCORED, encoding_corpus

    for _folder, path, body in encoding_corpus([folder]):
        decoded = decode_html(body)
        [codec] = SCORED[folder]
        assert decoded.text == body.decode(codec).lstrip("\ufeff"), path.name


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_report_page_in_utf16_or_utf32_without_bom(codec: str) -> None:
    html = page(simplified(), None)
    decoded = decode_html(html.encode(codec))
    assert (decoded.text, decoded.codec, decoded.source) == (html, codec, "detected")


def test_utf32_bom_is_not_read_as_utf16() -> None:
    html = page(simplified(), None)
    decoded = decode_html(b"\xff\xfe\x00\x00" + html.encode("utf-32-le"))
    assert (decoded.text, decoded.codec, decoded.source) == (html, "utf-32-le", "bom")


def test_hz_declared_and_undeclared() -> None:
    from tests.conftest import FIXTURES

    hz_dir = FIXTURES / "encodings" / "HZ-GB-2312"
    declared = (hz_dir / "seed003_page.html").read_bytes()
    decoded = decode_html(declared, "text/html")
    assert (decoded.codec, decoded.source, decoded.overruled) == ("hz", "meta", "")
    assert "政府信息公开工作年度报告" in decoded.text
    plain = (hz_dir / "seed001_report.txt").read_bytes()
    found = decode_text(plain)
    assert (found.codec, found.source, found.text) == ("hz", "detected", plain.decode("hz"))
    # ASCII that merely contains a tilde-brace is still ASCII.
    assert decode_text(b"see ~{home}~ and ~}").codec == "utf-8"


@pytest.mark.parametrize(("folder", "codecs"), [("EUC-JP", {"euc_jp"}), ("SHIFT_JIS", {"shift_jis", "cp932"}),
                                                ("EUC-KR", {"euc_kr", "cp949"})])
def test_japanese_and_korean_pages_are_not_passed_off_as_chinese(folder: str, codecs: set[str]) -> None:
    from bench.extract import encoding_corpus

    for _folder, path, body in encoding_corpus([folder]):
        decoded = decode_html(body)
        assert decoded.source == "guessed", path.name
        assert decoded.detector, path.name  # chardet's answer is recorded
        assert decoded.codec in codecs, (path.name, decoded.codec)


def test_chinese_pages_never_ask_chardet() -> None:
    for encoding in ("gbk", "big5"):
        text = simplified() if encoding == "gbk" else traditional()
        decoded = decode_html(page(text, None).encode(encoding, "ignore"))
        assert (decoded.source, decoded.detector) == ("detected", "")


def test_xml_declaration_counts_as_the_pages_own_declaration() -> None:
    body = ('<?xml version="1.0" encoding="big5"?>\n<rss><channel><title>' + traditional()[:400]
            + "</title></channel></rss>").encode("big5")
    decoded = decode_html(body)
    assert (decoded.declared_meta, decoded.codec, decoded.source) == ("big5", "big5hkscs", "meta")


# --- cheaper equivalent work (issue 15): the same answers, less decoding and scanning

def test_big5_shortcuts_agree_with_trying_both_codecs() -> None:
    # Where Big5-HKSCS rejects a pair, cp950 has read the bytes before alike, so it may go on from there
    # (and decode the part before only if the rest succeeds): checked on every pair, after and before others.
    from extract.decoding import _strict_big5

    def both(body: bytes) -> tuple[str, str] | None:
        for codec in ("big5hkscs", "cp950"):
            try:
                return codec, body.decode(codec)
            except UnicodeDecodeError:
                continue
        return None

    for lead in range(0x80, 0x100):
        for trail in range(0x100):
            for body in (bytes((lead, trail)), b"ab" + bytes((lead, trail)) + b"\xa4\x40\xa3",
                         "公開".encode("big5") + bytes((lead, trail)) + b"\xa3\xe1"):  # A3E1: cp950 only
                assert _strict_big5(body) == both(body), body.hex()


class _CountingBytes(bytes):
    """A body that records, for each decoding of it or of a slice of it, the codec and the bytes read."""

    read: list[tuple[str, int]]

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        part = super().__getitem__(key)
        if isinstance(part, int):
            return part
        counting = _CountingBytes(part)
        counting.read = self.read
        return counting

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        try:
            text = super().decode(encoding, errors)
        except UnicodeDecodeError as error:
            self.read.append((encoding, error.start))
            raise
        self.read.append((encoding, len(self)))
        return text


def test_the_big5_try_on_a_gb_page_reads_no_byte_twice() -> None:
    # GB bytes both Big5 codecs reject: Big5-HKSCS stops at C8CB, cp950 earlier (at C8CF: it lacks HKSCS's
    # rows C6A1–C8FE). cp950 goes on from where Big5-HKSCS stopped instead of reading the page again.
    body = _CountingBytes(page(simplified(), "gb2312").encode("gbk"))
    body.read = []
    decoded = decode_html(body)
    assert (decoded.codec, decoded.source) == ("gb18030", "meta")
    stops = []
    for codec in ("big5hkscs", "cp950"):
        try:
            body.decode(codec)
        except UnicodeDecodeError as error:
            stops.append(error.start)
    big5 = [read for codec, read in body.read if codec in ("big5hkscs", "cp950")][:-2]  # the two just above
    assert sum(big5) <= max(stops), (big5, stops)


def test_confirming_a_declared_big5_page_leaves_its_markup_to_c(monkeypatch: pytest.MonkeyPatch) -> None:
    # A feed's first 80 CJK characters lie among kilobytes of markup: the regex that finds CJK runs is
    # handed only the non-ASCII characters (split off in C), not the markup around them.
    from extract import plausibility

    scanned = []
    regex = plausibility._CJK_RUN

    class Recording:
        def findall(self, text: str, start: int = 0, end: int = sys.maxsize) -> list[str]:
            scanned.append(len(text[start:end]))
            return regex.findall(text, start, end)

    items = "".join(f'<item><link>http://example.org/{n}</link><title>{ch}</title></item>\n'
                    for n, ch in enumerate(traditional()[:400]))
    body = page(items, "big5").encode("big5")
    monkeypatch.setattr(plausibility, "_CJK_RUN", Recording())
    decoded = decode_html(body)
    assert (decoded.codec, decoded.source) == ("big5hkscs", "meta")
    assert 0 < sum(scanned) < 400, scanned  # the markup alone up to the 80th hanzi is ~5,000 characters


@pytest.mark.parametrize("cap", [4, 80, 500])
def test_measure_counts_as_a_plain_scan_does(cap: int) -> None:
    # measure() splits the non-ASCII characters off in C and counts common hanzi with encoding tables: it must
    # count exactly what a regex over the whole text and a set lookup per character count.
    import re

    from bench.extract import encoding_corpus
    from extract.plausibility import COMMON_HANZI, SCORE_CAP, measure

    cjk_run = re.compile(r"[\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
    foreign = re.compile(r"[\u3040-\u30ff\u3130-\u318f\uac00-\ud7af]")

    def plain(text: str) -> tuple[int, int, int]:
        cjk = "".join(cjk_run.findall(text, 0, SCORE_CAP))[:cap]
        kana_hangul = len(foreign.findall(cjk))
        return len(cjk) - kana_hangul, sum(ch in COMMON_HANZI for ch in cjk), kana_hangul

    texts = ["", "ascii only ?? ~{", "問題?\ud800公開\udfff", "𠮷年度报告?" * 300, "x" * 5000 + "国" * 10,
             "の한국" + simplified(), "中" * (SCORE_CAP + 10)]
    for _folder, _path, body in encoding_corpus(["GB2312", "Big5", "EUC-JP", "EUC-KR", "utf-8"]):
        texts += [body.decode(codec, "replace") for codec in ("gb18030", "big5hkscs", "utf-8", "latin-1")]
    for text in texts:
        reading = measure(text, cap)
        assert (reading.hanzi, reading.common, reading.foreign) == plain(text), text[:40]
