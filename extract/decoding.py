"""Decoding of Chinese government pages: bytes + declared charsets → text, with the decision recorded.

The cascade (issue #5, item 1): BOM → strict UTF-8 whatever is declared → for a Chinese legacy label
(gb2312, gbk, gb18030, big5 …) or none, GB18030 and Big5-HKSCS (then cp950) both strictly, choosing by
common-character frequency when both succeed → any other label strictly → chardet restricted to the
plausible encodings → GB18030 with replacement, flagged. Every valid Big5 byte string also decodes as
GB18030, so "GB18030 succeeded" alone proves nothing.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "decode_html", "decode_text", "charset_from_content_type", "COMMON_HANZI"]

# The ~500 most frequent characters of Chinese government prose, in both scripts. A wrong legacy
# decoding produces rare characters (or none of these), so their share picks the right codec.
COMMON_HANZI = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面"
    "而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把"
    "性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质"
    "气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活"
    "设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则"
    "任取据处理府研质信息报告况情依申请办复议诉讼规范收费许可罚强制主动予以无法提供不予其他单位机关县市省局"
    "厅委镇街道乡村区县年度工作情况开展存在改进问题要求落实推进加强制度执行监督检查服务群众网站平台发布"
    "們個國這來時為會對說動後發現實體點業還當與關數學經過問題將無開長門現進們應變區縣處義務報況請據辦復議訴訟"
    "規範費許罰強制單位機關廳鎮鄉歲預決審議議員政務網頁發佈總體狀況開展存進問題監督檢查衆羣臺"
)

_LEGACY_CHINESE = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312",
                   "big5", "big5-hkscs", "big5hkscs", "cp950", "x-x-big5", "csbig5"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_PLAUSIBLE = ["utf-8", "gb18030", "big5", "windows-1252", "iso-8859-1", "utf-16", "shift_jis", "euc-kr"]


@dataclass(frozen=True)
class Decoded:
    """Text plus how it was decoded."""

    text: str
    codec: str  # python codec actually used, e.g. "gb18030", "big5hkscs", "utf-8"
    source: str  # bom | utf8-valid | http | meta | detected | fallback
    declared_http: str  # charset from Content-Type ('' if none)
    declared_meta: str  # charset from <meta> ('' if none)
    overruled: str  # '' or the declaration the bytes contradicted, e.g. "http:utf-8"
    replacements: int  # U+FFFD inserted by decoding (never silent)


def charset_from_content_type(content_type: str | None) -> str:
    """The charset parameter of a Content-Type header, lower-cased ('' if none)."""
    if not content_type:
        return ""
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).strip().lower() if match else ""


def _meta_charset(body: bytes) -> str:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", "replace").strip().lower() if match else ""


def _normalise(label: str) -> str:
    """Python codec name for a label, '' when unknown."""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


_HANZI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _common_share(text: str) -> float:
    # A few thousand characters from the body settle it; markup at the top carries little Chinese.
    middle = len(text) // 2
    hanzi = _HANZI.findall(text[middle - 3000: middle + 3000] if len(text) > 6000 else text)
    if not hanzi:
        return 0.0
    return len(COMMON_HANZI.intersection(hanzi)) / len(set(hanzi))


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _chinese_legacy(body: bytes) -> tuple[str, str] | None:
    """GB18030 vs Big5-HKSCS/cp950, both strictly; the one with more common characters wins."""
    candidates: list[tuple[str, str]] = []
    gb = _strict(body, "gb18030")
    if gb is not None:
        candidates.append(("gb18030", gb))
    for big5 in ("big5hkscs", "cp950"):
        text = _strict(body, big5)
        if text is not None:
            candidates.append((big5, text))
            break
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    # Ties go to GB18030: mainland portals far outnumber Big5 mirrors.
    return max(candidates, key=lambda c: (_common_share(c[1]), c[0] == "gb18030"))


def _decide(body: bytes, declared_http: str, declared_meta: str) -> Decoded:
    declared = declared_http or declared_meta
    origin = "http" if declared_http else "meta"

    def result(text: str, codec: str, source: str, replacements: int = 0) -> Decoded:
        overruled = []
        for where, label in (("http", declared_http), ("meta", declared_meta)):
            if label and not _same_family(_normalise(label), codec):
                overruled.append(f"{where}:{label}")
        return Decoded(text, codec, source, declared_http, declared_meta, ",".join(overruled), replacements)

    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            text = body[len(bom):].decode(codec, "replace")
            return result(text, codec, "bom", text.count("\ufffd"))
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return result(utf8, "utf-8", "utf8-valid")
    label = _normalise(declared) if declared else ""
    if not declared or declared in _LEGACY_CHINESE or label in {"gb2312", "gbk", "gb18030", "big5", "big5hkscs",
                                                                  "cp950", "cp936", "euc_cn", "hz"}:
        legacy = _chinese_legacy(body)
        if legacy is not None:
            codec, text = legacy
            source = origin if declared and _same_family(label, codec) else "detected"
            return result(text, codec, source)
    elif label:
        as_declared = _strict(body, label)
        if as_declared is not None:
            return result(as_declared, label, origin)
    detected = _detect(body)
    if detected:
        as_detected = _strict(body, detected)
        if as_detected is not None:
            return result(as_detected, detected, "detected")
    fallback = body.decode("gb18030", "replace")
    return result(fallback, "gb18030", "fallback", fallback.count("\ufffd"))


def _same_family(label: str, codec: str) -> bool:
    families = ({"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz"}, {"big5", "big5hkscs", "cp950"})
    if label == codec:
        return True
    return any(label in family and codec in family for family in families)


def _detect(body: bytes) -> str:
    import chardet  # only reached for pages the cascade could not settle

    try:
        guess = chardet.detect(body[:65536], include_encodings=_PLAUSIBLE)  # type: ignore[call-arg]
    except TypeError:  # chardet < 7 has no include_encodings
        guess = chardet.detect(body[:65536])
    name = guess.get("encoding") or ""
    return _normalise(name) if name else ""


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML page, weighing the HTTP charset, the <meta> charset and the bytes themselves."""
    return _decide(body, charset_from_content_type(content_type), _meta_charset(body))


def decode_text(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode plain text (no <meta> scan)."""
    return _decide(body, charset_from_content_type(content_type), "")
