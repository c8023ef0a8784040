"""Mojibake in Chinese text: detect, classify and, where the bytes allow, repair.

Kinds:
- `utf8-as-gbk`     UTF-8 bytes read as GBK/GB18030 (`鍦ㄦ湰…`)          repaired; where the GBK reader
                    replaced bytes, the characters they belonged to are marked
- `gbk-as-latin1`   GBK bytes read as Latin-1/cp1252 (`ÕþÎñ…`)            lossless: repaired
- `utf8-as-cp1252`  UTF-8 read as cp1252 or Latin-1 (`è¿™`, `Ningboï¼ŒChina`, Korean `í•œêµ­ì–´`),
                    via ftfy.fix_encoding                                 repaired
- `big5-as-gbk`     Big5 bytes read as GBK                                repaired; where the GBK
                    reader replaced bytes, the characters they belonged to are marked
- `gbk-misalignment` a lost byte shifted every pair (seed 000)            repaired where the bytes and
                    the text's own annotations determine it, inferred characters marked, the rest marked
- `pinyin-annotation` converter pollution, `應(yīng)急`                      repaired (annotation removed)
- `html-remnant`    leftover tags such as `</strong>`                     repaired (removed)
- `replacement-run` U+FFFD runs, `锟斤拷`, `烫烫烫`                        unrepairable: re-fetch
Never `ftfy.fix_text`: it rewrites full-width punctuation.

Every repair of a line is a candidate, accepted only when the line reads better afterwards
(`plausibility.improves`: no new control, private-use or replacement characters, no new mojibake
sequences, no fewer common hanzi, and clearly more common hanzi, fewer mojibake sequences or fewer
replacement characters); of several candidates the most plausible wins. A repair never adds a
character the bytes do not give: what was lost is marked MISSING.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .plausibility import COMMON_HANZI, Plausibility, improves, plausibility

__all__ = ["MISSING", "MojibakeReport", "analyse"]

MISSING = "〓"  # the geta mark Chinese typesetting uses for a character that cannot be restored

_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_PINYIN = re.compile(rf"(?<=[\u3400-\u9fff])\((?=[a-z{_TONES}]*[{_TONES}])[a-z{_TONES}]{{1,7}}\)")
_TAG = re.compile(r"</?(?:strong|b|span|p|font|br|em|i|u|div)\b[^>\n]{0,80}>", re.IGNORECASE)
_REPLACEMENT = re.compile(r"\ufffd+|(?:锟斤拷)+|(?:烫){2,}|(?:屯){2,}")
# Runs of what cp1252 and Latin-1 make of bytes 0x80-0xFF.
_LATIN_RUN = re.compile(r"[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                        r"\u2013-\u2122]{4,}")
# A line worth a Latin repair: Latin-1 or Latin Extended letters (Chinese prose's own dashes, quotes
# and ellipses are in General Punctuation and do not count).
_LATIN = re.compile(r"[\u0080-\u024f]")
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
    unrepaired: int  # characters marked MISSING and segments left damaged

    @property
    def count(self) -> int:
        """Total occurrences of every kind."""
        return sum(n for _kind, n in self.counts)


def _share(text: str) -> float:
    return _common_share(_HAN.findall(text))


def _common_share(hanzi: list[str]) -> float:
    return sum(map(COMMON_HANZI.__contains__, hanzi)) / len(hanzi) if hanzi else 0.0


class _Work:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.damaged: set[str] = set()
        self.inferred: list[tuple[str, str]] = []
        self.unrepaired = 0


def _recode_lines(text: str, work: _Work) -> str:
    """Whole-line byte-level repairs: utf8-as-gbk and big5-as-gbk."""
    out = []
    for line in text.split("\n"):
        hanzi = _HAN.findall(line)
        # A line of rare hanzi, or one where a GBK reader left replacement characters (a short table row).
        if (len(hanzi) >= 4 and _common_share(hanzi) < 0.35) or (hanzi and "\ufffd" in line):
            line = _best_repair(line, _cjk_candidates(line), work)
        out.append(line)
    return "\n".join(out)


def _cjk_candidates(line: str) -> list[tuple[str, str, int]]:
    """(kind, repaired line, characters lost) for each reading of the line's bytes that decodes."""
    candidates = []
    utf8 = _utf8_read_as_gbk(line)
    if utf8 is not None:
        candidates.append(("utf8-as-gbk", *utf8))
    try:
        candidates.append(("big5-as-gbk", line.encode("gbk").decode("big5hkscs"), 0))
    except (UnicodeEncodeError, UnicodeDecodeError):
        big5 = _big5_read_as_gbk(line) if "\ufffd" in line else None
        if big5 is not None:
            candidates.append(("big5-as-gbk", *big5))
    return candidates


def _best_repair(line: str, candidates: list[tuple[str, str, int]], work: _Work) -> str:
    """The most plausible candidate that reads better than the line; the line itself when none does."""
    changed = [(kind, fixed, lost) for kind, fixed, lost in candidates if fixed != line]
    if not changed:
        return line
    before = plausibility(line)
    best: tuple[Plausibility, str, str, int] | None = None
    for kind, fixed, lost in changed:
        after = plausibility(fixed)
        if improves(before, after) and (best is None or after.rank > best[0].rank):
            best = (after, kind, fixed, lost)
    if best is None:
        return line
    _after, kind, fixed, lost = best
    work.counts[kind] += 1
    if lost:
        work.damaged.add(kind)
        work.unrepaired += lost
    return fixed


def _gbk_bytes(line: str) -> list[int | None] | None:
    """The bytes a GBK reader saw: each U+FFFD stands for exactly one byte it could not place."""
    data: list[int | None] = []
    for ch in line:
        if ch == "\ufffd":
            data.append(None)
            continue
        try:
            data.extend(ch.encode("gbk"))
        except UnicodeEncodeError:
            try:
                data.extend(ch.encode("gb18030"))
            except UnicodeEncodeError:
                return None
    return data


def _utf8_read_as_gbk(line: str) -> tuple[str, int] | None:
    """UTF-8 bytes a GBK reader decoded: (the line read as UTF-8, characters lost), or None.

    Walks the bytes as UTF-8: a character whose bytes all survived is restored, one with a lost byte
    becomes one MISSING (never the replacement character's own GB18030 bytes read as text). None when the
    surviving bytes are not UTF-8."""
    data = _gbk_bytes(line)
    if data is None or not any(b is not None and b >= 0x80 for b in data):
        return None
    out: list[str] = []
    lost = i = 0
    while i < len(data):
        byte = data[i]
        if byte is not None and byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        size = 1 if byte is None or byte < 0xC0 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
        chunk = data[i:i + size]
        if size > 1 and len(chunk) == size and None not in chunk:
            try:
                out.append(bytes(chunk).decode("utf-8"))  # type: ignore[arg-type]
                i += size
                continue
            except UnicodeDecodeError:
                pass
        out.append(MISSING)
        lost += 1
        i = _past_character(data, i, 3 if size == 1 else size)
    # Each lost character cost the GBK reader at least one byte, so it left at least one U+FFFD: more
    # characters lost than that means the bytes were never UTF-8.
    return ("".join(out), lost) if lost <= line.count("\ufffd") else None


def _past_character(data: list[int | None], start: int, size: int) -> int:
    """Index after a lost or broken character: its continuation bytes, and the lost ones among them."""
    end = start + 1
    while end < len(data) and end - start < size:
        byte = data[end]
        if byte is not None and not 0x80 <= byte < 0xC0:
            break
        end += 1
    return end


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
    """Line repairs of text read as Latin-1/cp1252: gbk-as-latin1, and ftfy's utf8-as-cp1252 class."""
    lines = []
    for line in text.split("\n"):
        if _LATIN.search(line):
            line = _best_repair(line, _latin_candidates(line), work)
        lines.append(line)
    return "\n".join(lines)


def _latin_candidates(line: str) -> list[tuple[str, str, int]]:
    import ftfy  # only for lines with Latin-1 or Latin Extended characters
    import ftfy.bad_codecs  # registers sloppy-windows-1252

    # ftfy first: on a tie (a Latin word whose one accented letter reads as one common hanzi, `HÃ´tel`
    # as `H么tel`) the reading that keeps the line's script wins.
    candidates = [("utf8-as-cp1252", ftfy.fix_encoding(line), 0)]
    for fixed in (_whole_line_gbk(line), _LATIN_RUN.sub(_gbk_run, line)):
        if fixed is not None:
            candidates.append(("gbk-as-latin1", fixed, 0))
    return candidates


# What a Latin-1 or a Windows-1252 reader made of the bytes: "sloppy" Windows-1252 (ftfy's codec, what
# browsers really use) keeps the five bytes cp1252 leaves undefined as C1 controls, so it gives them back.
_LATIN_CODECS = ("latin-1", "sloppy-windows-1252")


def _gbk_run(match: re.Match[str]) -> str:
    run = match.group(0)
    for enc in _LATIN_CODECS:
        try:
            fixed = run.encode(enc).decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _HAN.search(fixed):
            return fixed
    return run


def _whole_line_gbk(line: str) -> str | None:
    for enc in _LATIN_CODECS:
        try:
            return line.encode(enc).decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
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
