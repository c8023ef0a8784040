"""Mojibake in Chinese text: detect, classify and, where the bytes allow, repair.

Kinds:
- `utf8-as-gbk`     UTF-8 bytes read as GBK/GB18030 (`鍦ㄦ湰…`)          lossless: repaired
- `gbk-as-latin1`   GBK bytes read as Latin-1/cp1252 (`ÕþÎñ…`)            lossless: repaired
- `utf8-as-cp1252`  UTF-8 read as cp1252 (`è¿™`), via ftfy.fix_encoding   lossless: repaired
- `big5-as-gbk`     Big5 bytes read as GBK                                repaired; where the GBK
                    reader replaced bytes, the characters they belonged to are marked
- `gbk-misalignment` a lost byte shifted every pair (seed 000)            repaired where the bytes and
                    the text's own annotations determine it, inferred characters marked, the rest marked
- `pinyin-annotation` converter pollution, `應(yīng)急`                      repaired (annotation removed)
- `html-remnant`    leftover tags such as `</strong>`                     repaired (removed)
- `replacement-run` U+FFFD runs, `锟斤拷`, `烫烫烫`                        unrepairable: re-fetch
Never `ftfy.fix_text`: it rewrites full-width punctuation.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .decoding import COMMON_HANZI

__all__ = ["MojibakeReport", "analyse", "MISSING"]

MISSING = "〓"  # the geta mark Chinese typesetting uses for a character that cannot be restored

_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN = re.compile(rf"(?<=[\u3400-\u9fff])\((?=[a-z{_TONES}]*[{_TONES}])[a-z{_TONES}]{{1,7}}\)")
_TAG = re.compile(r"</?(?:strong|b|span|p|font|br|em|i|u|div)\b[^>\n]{0,80}>", re.IGNORECASE)
_REPLACEMENT = re.compile(r"\ufffd+|(?:锟斤拷)+|(?:烫){2,}|(?:屯){2,}")
_LATIN_RUN = re.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u2122]{4,}")
_CP1252_EXTRA = frozenset("\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122")
_CP1252_UTF8 = re.compile(r"[ÃÂâäåæçèéêëìíîïð][\u0080-\u00ff\u0152-\u2122]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A line that lost one byte of its leading full-width space: starts with "?" then misread pairs.
_MISALIGNED = re.compile(r"^\?(?P<seg>[^\x00-\x7f?]{1,200})(?P<after>[^\n]*)$", re.MULTILINE)


@dataclass(frozen=True)
class MojibakeReport:
    """Verdict on one text: the repaired text, what was found and what could not be restored."""

    text: str  # repaired text (== input when nothing could be repaired)
    verdict: str  # clean | repaired | damaged
    kinds: tuple[str, ...]
    counts: tuple[tuple[str, int], ...]  # occurrences per kind
    inferred: tuple[tuple[str, str], ...]  # (character, why) for characters inferred, not determined
    unrepaired: int  # segments left damaged

    @property
    def count(self) -> int:
        """Total occurrences of every kind."""
        return sum(n for _kind, n in self.counts)


def _share(text: str) -> float:
    hanzi = _HAN.findall(text)
    return sum(ch in COMMON_HANZI for ch in hanzi) / len(hanzi) if hanzi else 0.0


class _Work:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.damaged: set[str] = set()
        self.inferred: list[tuple[str, str]] = []
        self.unrepaired = 0


def _utf8_as_gbk_signature(line: str) -> bool:
    """UTF-8 read as GBK gives characters from GBK rows E4–E9 and 81–AF: rare ones, crowded."""
    hanzi = _HAN.findall(line)
    # Pairs that start on a continuation byte (0x80–0xBF) land in the rare GBK extension rows.
    rows = sum(0xE4 <= (lead := ch.encode("gb18030")[0]) <= 0xE9 or 0x81 <= lead <= 0xAF for ch in hanzi)
    return len(hanzi) >= 4 and rows >= 0.4 * len(hanzi)


def _recode_lines(text: str, work: _Work) -> str:
    """Whole-line byte-level repairs: utf8-as-gbk and big5-as-gbk."""
    out = []
    for line in text.split("\n"):
        hanzi = _HAN.findall(line)
        if len(hanzi) >= 4 and _share(line) < 0.35:
            for kind, enc, dec in (("utf8-as-gbk", "gb18030", "utf-8"), ("big5-as-gbk", "gbk", "big5hkscs")):
                try:
                    fixed = line.encode(enc).decode(dec)
                except (UnicodeEncodeError, UnicodeDecodeError):
                    continue
                if _share(fixed) > max(0.5, _share(line) + 0.2):
                    work.counts[kind] += 1
                    line = fixed
                    break
            else:
                big5 = _big5_read_as_gbk(line) if "\ufffd" in line else None
                if big5 is not None:
                    repaired, lost = big5
                    work.counts["big5-as-gbk"] += 1
                    work.damaged.add("big5-as-gbk")
                    work.unrepaired += lost
                    out.append(repaired)
                    continue
                candidate = line.encode("gb18030", "replace").decode("utf-8", "replace").replace("\ufffd", MISSING)
                # Traditional text also lives in GBK's extension rows: only a repair that reads as
                # common Chinese proves the line was UTF-8.
                if _utf8_as_gbk_signature(line) and _share(candidate) >= max(0.4, _share(line) + 0.2):
                    # Lossy: the GBK decoder replaced bytes; repair what decodes, mark the rest.
                    work.counts["utf8-as-gbk"] += 1
                    work.damaged.add("utf8-as-gbk")
                    work.unrepaired += 1
                    line = candidate
        out.append(line)
    return "\n".join(out)


def _big5_read_as_gbk(line: str) -> tuple[str, int] | None:
    """Big5 bytes a GBK reader decoded with replacement: (the line read as Big5, characters lost), or None.

    A GBK decoder turns each byte it cannot place into one U+FFFD and goes on with the next byte, so the
    other characters give their bytes back exactly; walking those bytes as Big5 restores every character
    whose two bytes survived and marks the others MISSING. Accepted only when the result reads as common
    Chinese and the line did not."""
    data: list[int | None] = []
    for ch in line:
        if ch == "\ufffd":
            data.append(None)
            continue
        try:
            data.extend(ch.encode("gbk"))
        except UnicodeEncodeError:
            return None
    out: list[str] = []
    lost = 0
    i = 0
    while i < len(data):
        byte = data[i]
        if byte is not None and byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        pair = data[i:i + 2]
        i += 2
        if len(pair) < 2 or None in pair:
            out.append(MISSING)
            lost += 1
            continue
        try:
            out.append(bytes(pair).decode("big5hkscs"))  # type: ignore[arg-type]
        except UnicodeDecodeError:
            out.append(MISSING)
            lost += 1
    repaired = "".join(out)
    hanzi = len(_HAN.findall(repaired))
    if hanzi < 4 or lost > hanzi or _share(repaired) < max(0.5, _share(line) + 0.25):
        return None
    return repaired, lost


def _latin_runs(text: str, work: _Work) -> str:
    def gbk(match: re.Match[str]) -> str:
        run = match.group(0)
        for enc in ("cp1252", "latin-1"):
            try:
                fixed = run.encode(enc).decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if _HAN.search(fixed) and _share(fixed) >= 0.3:
                work.counts["gbk-as-latin1"] += 1
                return fixed
        return run

    lines = []
    for line in text.split("\n"):
        high = sum("\u0080" <= ch <= "\u00ff" or ch in _CP1252_EXTRA for ch in line)
        if high >= 4 and high * 2 >= len(line.replace(" ", "")) * 0.6:
            fixed_line = _whole_line_gbk(line)
            if fixed_line is not None:
                work.counts["gbk-as-latin1"] += 1
                lines.append(fixed_line)
                continue
        if _CP1252_UTF8.search(line):
            import ftfy  # only for text that shows the UTF-8-as-cp1252 signature

            fixed_line = ftfy.fix_encoding(line)
            if fixed_line != line and _HAN.search(fixed_line):
                work.counts["utf8-as-cp1252"] += 1
                lines.append(fixed_line)
                continue
        lines.append(_LATIN_RUN.sub(gbk, line))
    return "\n".join(lines)


def _whole_line_gbk(line: str) -> str | None:
    for enc in ("latin-1", "cp1252"):
        try:
            fixed = line.encode(enc).decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _HAN.search(fixed) and _share(fixed) >= 0.3:
            return fixed
    return None


def _misalignment(text: str, work: _Work) -> str:
    """Put back the lost 0xA1 of a leading full-width space; infer a dangling character from the text."""
    annotated: Counter[tuple[str, str]] = Counter(
        (m.group(1), m.group(2)) for m in re.finditer(rf"([\u3400-\u9fff])\(([a-z{_TONES}]+)\)", text))

    def repair(match: re.Match[str]) -> str:
        seg, after = match.group("seg"), match.group("after")
        try:
            raw = b"\xa1" + seg.encode("gbk")
        except UnicodeEncodeError:
            return match.group(0)
        work.counts["gbk-misalignment"] += 1
        if len(raw) % 2 == 0:
            return raw.decode("gbk", "replace") + after
        lead, body = raw[-1], raw[:-1]
        restored = body.decode("gbk", "replace")
        if after[:1] and 0x40 <= ord(after[0]) <= 0x7E:
            # The dangling lead byte took the next ASCII character as its trail byte (題 = EE 7D, '}').
            try:
                return restored + bytes([lead, ord(after[0])]).decode("gbk") + after[1:]
            except UnicodeDecodeError:
                pass
        if after.startswith("?"):
            after = after[1:]
            pinyin = re.match(rf"([a-z{_TONES}]+)\)", after)
            if pinyin:
                # The '?' ate the trail byte and the '(' of an annotation: the annotation names the character.
                candidates = Counter({ch: n for (ch, py), n in annotated.items()
                                      if py == pinyin.group(1) and ch.encode("gbk", "ignore")[:1] == bytes([lead])})
                if candidates:
                    best = candidates.most_common(1)[0][0]
                    work.inferred.append((best, f"lead byte 0x{lead:02X}, pinyin {pinyin.group(1)}, seen intact "
                                                f"{candidates[best]}x elsewhere in the text"))
                    return restored + best + "(" + after
            if re.match(r"/?[a-z]+>", after):
                after = "<" + after  # the swallowed pair also held the '<' of a tag
        work.damaged.add("gbk-misalignment")
        work.unrepaired += 1
        return restored + MISSING + after

    return _MISALIGNED.sub(repair, text)


def _count_sub(pattern: re.Pattern[str], text: str, kind: str, work: _Work) -> str:
    new, n = pattern.subn("", text)
    if n:
        work.counts[kind] += n
    return new


def analyse(text: str) -> MojibakeReport:
    """Detect, classify and repair mojibake in `text`; a deterministic verdict with counts."""
    work = _Work()
    fixed = _misalignment(text, work) if "?" in text else text
    fixed = _recode_lines(fixed, work)
    fixed = _latin_runs(fixed, work)
    fixed = _count_sub(_PINYIN, fixed, "pinyin-annotation", work)
    fixed = _count_sub(_TAG, fixed, "html-remnant", work)
    runs = _REPLACEMENT.findall(fixed)
    if runs:
        work.counts["replacement-run"] += len(runs)
        work.damaged.add("replacement-run")
        work.unrepaired += len(runs)
    kinds = tuple(sorted(work.counts))
    verdict = "clean" if not kinds else ("damaged" if work.damaged else "repaired")
    return MojibakeReport(text=fixed, verdict=verdict, kinds=kinds, counts=tuple(sorted(work.counts.items())),
                          inferred=tuple(work.inferred), unrepaired=work.unrepaired)
