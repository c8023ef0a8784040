"""How much a text reads as Chinese, and how damaged it looks.

One measure for two decisions: decoding uses it to choose between readings of the same bytes (GB18030,
Big5, HZ …), mojibake uses it to accept a repair only when the repaired text reads better than the text
it replaces. A right reading of Chinese prose puts about half of its hanzi among the few hundred most
common characters (0.42–0.72 on the 46 GB2312 and Big5 files of chardet's test data); a wrong one lands
in rare characters (at most 0.09 for Big5 read as GB18030, 0.03 for GB2312 as Big5, 0.12 for EUC-KR and
0.06 for EUC-JP as GB18030, 0.25 for EUC-JP as Big5), and a Japanese or Korean page, read right, is
mostly kana or hangul, which count against the share.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _codecs import _EncodingMap

__all__ = ["COMMON_HANZI", "MIN_HANZI", "PLAUSIBLE", "Plausibility", "Reading", "bad_characters", "improves",
           "is_chinese", "lowers", "measure", "plausibility"]

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
    "六七八百千万亿零萬億"  # numerals: every table row and date carries them
)

SCORE_CAP = 200_000  # characters scanned at most: every report fits; a pathological page stays bounded
HANZI_CAP = 500  # CJK characters measured at most: right and wrong readings are far apart long before
MIN_HANZI = 4  # fewer hanzi than this prove nothing either way
PLAUSIBLE = 0.3  # share of common hanzi from which a reading counts as Chinese (see the module docstring)
REPAIR_MARGIN = 0.2  # a repair judged on hanzi alone must raise their common share by this much

_WINDOW = 1024
_HANZI_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ASCII_BYTES = bytes(range(0x80))
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_FOREIGN = re.compile(r"[\u3040-\u30ff\u3130-\u318f\uac00-\ud7af]")  # kana, hangul
# Characters no published text carries: C0/C1 controls (tab and newlines aside), private use, U+FFFD.
_LATIN1 = re.compile(r"[\u0080-\u00ff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")


@dataclass(frozen=True)
class Reading:
    """Counts over one text: hanzi, common hanzi, kana and hangul."""

    hanzi: int
    common: int
    foreign: int

    @property
    def share(self) -> float:
        """Common hanzi among all hanzi, kana and hangul (0 when there are none)."""
        total = self.hanzi + self.foreign
        return self.common / total if total else 0.0


def measure(text: str, cap: int = HANZI_CAP) -> Reading:
    """Measure the CJK characters of `text` wherever they are, from the start up to `cap` of them.

    Not a sample from the middle: a page whose middle is English still shows its Chinese head and foot."""
    cjk = _first_cjk(text, cap)
    foreign = len(_FOREIGN.findall(cjk))
    return Reading(len(cjk) - foreign, _common_count(cjk), foreign)


def _first_cjk(text: str, cap: int) -> str:
    """The first `cap` CJK characters of `text` (within SCORE_CAP), in order."""
    runs: list[str] = []
    seen = start = 0
    end = min(len(text), SCORE_CAP)
    while start < end and seen < cap:
        # Window by window, so that scanning stops soon after the cap.
        window = text[start:min(start + _WINDOW, end)]
        start += _WINDOW
        if window.isascii():
            continue
        found = _CJK_RUN.findall(_non_ascii(window))
        runs.extend(found)
        seen += sum(map(len, found))
    return "".join(runs)[:cap]


def _non_ascii(text: str) -> str:
    """The non-ASCII characters of `text`, in order.

    A regex class tests markup a character at a time (~10 ns each); UTF-8 writes ASCII as the bytes below
    0x80 and nothing else there, so deleting those bytes keeps exactly the other characters, in C."""
    return text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


def _common_count(cjk: str) -> int:
    """How many characters of `cjk` (CJK characters only: NUL would count too) are COMMON_HANZI."""
    return sum(len(codecs.charmap_encode(cjk, "ignore", table)[0]) for table in _COMMON_TABLES)


def _charmap_tables(chars: frozenset[str]) -> tuple[dict[int, int] | _EncodingMap, ...]:
    """Encoding tables that map `chars` (255 to a table) to one byte each and drop every other character:
    encoding a text with each and adding the lengths counts those characters in C, where a set lookup per
    character costs ~5x more (a new string object and its hash each)."""
    ordered = sorted(chars)
    tables = []
    for i in range(0, len(ordered), 255):
        chunk = "\x00" + "".join(ordered[i:i + 255])
        tables.append(codecs.charmap_build(chunk.ljust(256, "\ufffe")))  # U+FFFE: a byte no character takes
    return tuple(tables)


_COMMON_TABLES = _charmap_tables(COMMON_HANZI)


def bad_characters(text: str) -> int:
    """Controls, private-use characters and U+FFFD (also in its mojibake forms): what no text carries.

    `ï¿½` (its UTF-8 read as cp1252) and `锟斤拷` (two of them read as GBK) count as the replacement
    characters they are, so that a repair that gives them back their real form adds none."""
    return len(_BAD.findall(text)) + text.count("ï¿½") + 2 * text.count("锟斤拷")


@dataclass(frozen=True)
class Plausibility:
    """How plausible a text is as published text."""

    share: float  # common hanzi among CJK and Latin-1 characters (0 with fewer than MIN_HANZI CJK)
    weird: int  # mojibake-looking sequences (ftfy's badness)
    bad: int  # bad_characters()
    odd: float  # rare hanzi (and Latin-1 letters among them) in all non-ASCII: what misread bytes make
    scripts: int  # Unicode blocks the non-ASCII letters come from: mojibake mixes them

    @property
    def rank(self) -> tuple[int, float, int]:
        """Order of preference between candidate repairs of one line."""
        return -self.weird, self.share - self.odd, -self.scripts


def plausibility(text: str) -> Plausibility:
    """Measure `text` as a whole (a line, a paragraph) for a repair decision."""
    import ftfy.badness  # ftfy's table of sequences that only mojibake produces

    reading = measure(text)
    cjk = reading.hanzi + reading.foreign
    latin = len(_LATIN1.findall(text))
    # Latin-1 letters left in a line count against it: a repair that explains every byte beats one that
    # leaves some of the mojibake behind.
    share = reading.common / (cjk + latin) if cjk >= MIN_HANZI else 0.0
    non_ascii = len(_NON_ASCII.findall(text))
    # Among hanzi, Latin-1 letters are leftovers of a misread; in Latin text they are its own letters.
    odd = (reading.hanzi - reading.common + (latin if reading.hanzi else 0)) / non_ascii if non_ascii else 0.0
    return Plausibility(share, ftfy.badness.badness(text), bad_characters(text), odd, _scripts(text))


def _scripts(text: str) -> int:
    blocks = set()
    for ch in set(_NON_ASCII.findall(text)):
        code = ord(ch)
        if 0x2000 <= code < 0x2070 or 0x3000 <= code < 0x3040 or 0xFF00 <= code < 0xFFF0:
            continue  # punctuation every script shares
        blocks.add("han" if _HANZI_RUN.match(ch) else "latin" if code < 0x250 else code >> 8)
    return len(blocks)


def lowers(before: Plausibility, after: Plausibility) -> bool:
    """Whether `after` reads worse than `before` in any respect."""
    return after.bad > before.bad or after.weird > before.weird or after.share < before.share


def improves(before: Plausibility, after: Plausibility) -> bool:
    """Whether a repair clearly reads better: worse in no respect, and either REPAIR_MARGIN more common
    hanzi, fewer mojibake sequences or fewer replacement characters."""
    if lowers(before, after):
        return False
    return after.share >= before.share + REPAIR_MARGIN or after.weird < before.weird or after.bad < before.bad


def is_chinese(reading: Reading) -> bool:
    """Whether a reading is plausible Chinese: enough hanzi, enough of them common."""
    return reading.hanzi >= MIN_HANZI and reading.share >= PLAUSIBLE
