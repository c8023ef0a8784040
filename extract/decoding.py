"""Decoding of Chinese government pages: bytes + declared charsets → text, with the decision recorded.

The cascade: BOM (UTF-32 before UTF-16, whose BOM it starts with) → UTF-16/32 without a BOM, from where
the zero bytes fall → HZ (`~{…~}`, pure ASCII, so it must come before UTF-8) → strict UTF-8 whatever is
declared → the declared charset when it decodes strictly, unless a Chinese reading beats it by a stated
margin → GB18030 and Big5-HKSCS (then cp950), both strictly, the one that reads most like Chinese over all
of the text (up to a cap) → when no reading is plausible Chinese (Japanese, Korean pages), chardet's
answer, recorded, with the low-confidence source `guessed` → GB18030 with replacement, flagged.
Every valid Big5 byte string also decodes as GB18030, so "GB18030 succeeded" alone proves nothing.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

from .plausibility import COMMON_HANZI, Reading, is_chinese, measure

__all__ = ["COMMON_HANZI", "OVERRULE_MARGIN", "Decoded", "charset_from_content_type", "decode_html",
           "decode_text"]

# A declared charset that decodes strictly is overruled only by a reading whose share of common hanzi is
# higher by this much: right and wrong readings of the corpus lie 0.3 or more apart, so 0.2 leaves room.
OVERRULE_MARGIN = 0.2
_CONFIRM_CAP = 80  # CJK characters that confirm a declared Chinese charset (a doubtful one: all measured)

_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "euc_cn", "hz"})
_BIG5_FAMILY = frozenset({"big5", "big5hkscs", "cp950"})
# Labels whose strict decoding proves nothing: every byte string is valid in them.
_SINGLE_BYTE = frozenset({"iso8859-1", "cp1252", "ascii", "iso8859-15"})
_ALIASES = {"x-gbk": "gbk", "gb_2312-80": "gb2312", "x-x-big5": "big5", "csbig5": "big5",
            "x-euc-cn": "gb2312"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# An XHTML page or a feed declares its charset in its XML declaration instead.
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_BOM_BYTES = tuple(bom for bom, _codec in _BOMS)
# chardet answers taken as the text of a page no Chinese reading fits: multi-byte encodings whose strict
# success means something (a single-byte answer decodes anything).
_GUESSABLE = frozenset({"euc_jp", "shift_jis", "cp932", "euc_jis_2004", "shift_jis_2004", "euc_kr", "cp949",
                        "johab", "iso2022_jp", "iso2022_kr", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                        "utf-32-le", "utf-32-be", "gb18030", "big5hkscs", "cp950", "big5"})


@dataclass(frozen=True)
class Decoded:
    """Text plus how it was decoded."""

    text: str
    codec: str  # python codec actually used, e.g. "gb18030", "big5hkscs", "utf-8"
    source: str  # bom | utf8-valid | http | meta | detected | guessed | fallback
    declared_http: str  # charset from Content-Type ('' if none)
    declared_meta: str  # charset from <meta> or the XML declaration ('' if none)
    overruled: str  # '' or the declaration the bytes contradicted, e.g. "http:utf-8"
    replacements: int  # U+FFFD inserted by decoding (never silent)
    detector: str = ""  # chardet's answer when it was asked (no reading was plausible Chinese), else ''


def charset_from_content_type(content_type: str | None) -> str:
    """The charset parameter of a Content-Type header, lower-cased ('' if none)."""
    if not content_type:
        return ""
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1).strip().lower() if match else ""


def _meta_charset(body: bytes) -> str:
    match = _META_CHARSET.search(body, 0, 4096) or _XML_ENCODING.match(body, 0, 512)
    return match.group(1).decode("ascii", "replace").strip().lower() if match else ""


@functools.lru_cache(maxsize=256)
def _normalise(label: str) -> str:
    """Python codec name for a label, '' when unknown."""
    try:
        return codecs.lookup(_ALIASES.get(label, label)).name
    except LookupError:
        return ""


def _strict(body: bytes, codec: str) -> str | None:
    if codec == "gb18030":
        return _strict_gb18030(body)
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _strict_gb18030(body: bytes) -> str | None:
    """GB18030, strictly. Python's GBK decoder is 2–3× faster and, wherever it succeeds, yields exactly
    GB18030's text (the same mappings: tests check every byte pair), so it goes first; only a page with
    characters GBK lacks (four-byte sequences, €) pays for the slower codec."""
    try:
        return body.decode("gbk")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _strict_big5(body: bytes) -> tuple[str, str] | None:
    """(codec, text): Big5-HKSCS strictly, else cp950, or None.

    Both read a byte below 0x80 alone and any other as the lead of a pair, so where Big5-HKSCS fails a
    character starts for cp950 too: cp950 decodes from there first (on GB bytes it mostly fails within a
    few characters, where starting over would read the page again), the part before only if the rest
    succeeds."""
    try:
        return "big5hkscs", body.decode("big5hkscs")
    except UnicodeDecodeError as error:
        where = error.start
    try:
        rest = body[where:].decode("cp950")
        return "cp950", body[:where].decode("cp950") + rest
    except UnicodeDecodeError:
        return None


def _strict_family(body: bytes, codec: str) -> tuple[str, str] | None:
    """(codec, text) for the first codec of `codec`'s family (Big5-HKSCS then cp950) that decodes strictly."""
    if codec in ("big5hkscs", "cp950"):
        return _strict_big5(body)
    text = _strict(body, codec)
    return None if text is None else (codec, text)


@functools.lru_cache(maxsize=256)
def _same_family(label: str, codec: str) -> bool:
    if label == codec:
        return True
    return any(label in family and codec in family for family in (_GB_FAMILY, _BIG5_FAMILY))


class _Decision:
    """The declarations of one page, and the `Decoded` each outcome makes of them."""

    def __init__(self, declared_http: str, declared_meta: str) -> None:
        self.http, self.meta = declared_http, declared_meta
        declared = declared_http or declared_meta
        self.origin = "http" if declared_http else "meta"
        self.label = _normalise(declared) if declared else ""

    def result(self, text: str, codec: str, source: str, detector: str = "") -> Decoded:
        overruled = [f"{where}:{label}" for where, label in (("http", self.http), ("meta", self.meta))
                     if label and not _same_family(_normalise(label), codec)]
        replacements = text.count("\ufffd") if source in ("bom", "fallback") else 0
        return Decoded(text, codec, source, self.http, self.meta, ",".join(overruled), replacements, detector)


def _bom(body: bytes) -> tuple[str, int] | None:
    if not body.startswith(_BOM_BYTES):  # most pages: one test instead of five
        return None
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    return None


def _wide_without_bom(body: bytes) -> tuple[str, str] | None:
    """UTF-16/32 text without a BOM, or None. Pages in any other encoding carry no zero byte."""
    if body.find(b"\x00", 0, 4096) < 0 or len(body) < 8:
        return None
    sample = body[:4096]
    size = len(sample) - len(sample) % 4
    quarter = size // 4
    zeros = [sample[i:size:4].count(0) for i in range(4)]
    # Where ASCII puts its zero bytes: UTF-32's top two bytes (BMP), UTF-16's high byte.
    layouts = (("utf-32-le", zeros[3] == quarter and zeros[2] >= quarter // 2),
               ("utf-32-be", zeros[0] == quarter and zeros[1] >= quarter // 2),
               ("utf-16-le", zeros[1] + zeros[3] >= quarter // 2 and zeros[0] + zeros[2] <= quarter // 8),
               ("utf-16-be", zeros[0] + zeros[2] >= quarter // 2 and zeros[1] + zeros[3] <= quarter // 8))
    for codec, fits in layouts:
        text = _strict(body, codec) if fits else None
        if text is not None:
            return codec, text
    # Mostly CJK, few ASCII zeros: the right byte order reads as Chinese, the wrong one as noise.
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = _strict(body, codec)
        if text is not None and is_chinese(measure(text)):
            return codec, text
    return None


def _looks_hz(body: bytes) -> bool:
    return body.isascii() and body.find(b"~{", 0, 65536) >= 0


def _chinese_readings(body: bytes, skip: str = "") -> list[tuple[str, str, Reading]]:
    """GB18030 and Big5-HKSCS (else cp950) readings that decode strictly, each measured.

    A GB18030 reading that is plausible Chinese ends the search: Big5 bytes read as GB18030 score at most
    0.09 on chardet's test data, far below the threshold, so Big5 could not be the right reading."""
    readings = []
    for family in (("gb18030",), ("big5hkscs", "cp950")):
        if skip and skip in family:
            continue
        found = _strict_family(body, family[0])
        if found is not None:
            readings.append((*found, measure(found[1])))
        if readings and readings[0][0] == "gb18030" and is_chinese(readings[0][2]):
            break
    return readings


def _best(readings: list[tuple[str, str, Reading]]) -> tuple[str, str, Reading] | None:
    # Ties go to GB18030: mainland portals far outnumber Big5 mirrors.
    return max(readings, key=lambda r: (r[2].share, r[0] == "gb18030")) if readings else None


def _hz(body: bytes, decision: _Decision) -> Decoded | None:
    """HZ-GB-2312 when declared (and the bytes are HZ) or when the `~{…~}` reading is plausible Chinese."""
    text = _strict(body, "hz")
    if text is None:
        return None
    if decision.label == "hz":
        return decision.result(text, "hz", decision.origin)
    return decision.result(text, "hz", "detected") if is_chinese(measure(text)) else None


def _as_declared(body: bytes, decision: _Decision) -> Decoded | None:
    """The declared charset when it decodes strictly, unless a Chinese reading is better by the margin."""
    label = decision.label
    chinese = label in _GB_FAMILY or label in _BIG5_FAMILY
    if not label or label in ("utf-8", "hz"):
        return None
    found = _strict_family(body, "gb18030" if label in _GB_FAMILY else "big5hkscs" if chinese else label)
    if found is None:
        return None
    codec, text = found
    if not chinese and label not in _SINGLE_BYTE:
        return decision.result(text, codec, decision.origin)  # Japanese, Korean, …: as declared
    skip = codec if chinese else ""
    # GB bytes seldom decode as Big5, and a failed try costs less than measuring; Big5 bytes nearly always
    # decode as GB18030, so a Big5 declaration goes straight to measuring.
    if codec == "gb18030" and _strict_big5(body) is None:
        return decision.result(text, codec, decision.origin)  # nothing else the bytes could be
    # A first look at a few CJK characters settles most declared pages; a doubtful one is measured in full
    # before another reading may overrule it.
    if chinese and is_chinese(measure(text, _CONFIRM_CAP)):
        return decision.result(text, codec, decision.origin)
    own = measure(text)
    other = _best(_chinese_readings(body, skip=skip))
    if other is not None and is_chinese(other[2]) and other[2].share >= own.share + OVERRULE_MARGIN:
        return decision.result(other[1], other[0], "detected")
    return decision.result(text, codec, decision.origin)


def _guess(body: bytes, decision: _Decision, best: tuple[str, str, Reading] | None) -> Decoded:
    """No reading is plausible Chinese: ask chardet, record its answer, say the source is a guess."""
    answer = _detect(body)
    codec = _normalise(answer) if answer else ""
    fallback = None
    if best is None:
        fallback = body.decode("gb18030", "replace")
        if is_chinese(measure(fallback)):
            return decision.result(fallback, "gb18030", "fallback", answer)
    if codec and (codec in _GUESSABLE or best is None):
        text = _strict(body, codec)
        if text is not None:
            return decision.result(text, codec, "guessed", answer)
    if best is not None:
        return decision.result(best[1], best[0], "guessed", answer)
    return decision.result(fallback or "", "gb18030", "fallback", answer)


def _detect(body: bytes) -> str:
    import chardet  # only reached for the few pages no Chinese reading fits

    return chardet.detect(body[:65536]).get("encoding") or ""


def _decide(body: bytes, declared_http: str, declared_meta: str) -> Decoded:
    decision = _Decision(declared_http, declared_meta)
    bom = _bom(body)
    if bom is not None:
        codec, skip = bom
        return decision.result(body[skip:].decode(codec, "replace"), codec, "bom")
    wide = _wide_without_bom(body)
    if wide is not None:
        return decision.result(wide[1], wide[0], "detected")
    hz = _hz(body, decision) if decision.label == "hz" or _looks_hz(body) else None
    if hz is not None:
        return hz
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return decision.result(utf8, "utf-8", "utf8-valid")
    declared = _as_declared(body, decision)
    if declared is not None:
        return declared
    best = _best(_chinese_readings(body))
    if best is not None and is_chinese(best[2]):
        return decision.result(best[1], best[0], "detected")
    return _guess(body, decision, best)


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML page, weighing the HTTP charset, the <meta> charset and the bytes themselves."""
    return _decide(body, charset_from_content_type(content_type), _meta_charset(body))


def decode_text(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode plain text (no <meta> scan)."""
    return _decide(body, charset_from_content_type(content_type), "")
