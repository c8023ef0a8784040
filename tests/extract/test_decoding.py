"""Decoding cascade on pages built from the real seed texts, in every encoding portals use."""

from __future__ import annotations

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
