"""Tables of a page rebuilt from its words' positions (PDF character boxes, OFD text codes, OCR word boxes).

A PDF keeps no table, only glyphs at positions: a cell's label wrapped over two lines comes out as two
lines of text, and a blank cell leaves nothing at all. Here the characters become words (split at gaps),
words become lines (by baseline), and a run of lines holding figures becomes a table whose columns are
the x-positions the figures and the column headers share. A blank cell stays blank in its column, and
the lines of a wrapped label are joined to the row whose figures they sit beside.
"""

from __future__ import annotations

import re
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from statistics import median

from .table_grid import parse_cell

__all__ = ["Box", "Char", "PageTables", "Word", "frames", "group_words", "join_pages", "layout_tables",
           "lines_text", "page_tables"]

Table = tuple[tuple[str, ...], ...]
_HEADING = re.compile(r"^[一二三四五六七八九十]+[、.．]")
_ROW_START = re.compile(r"^([(（][一二三四五六七八九十]+[)）]|\d{1,2}\s*[.．、]|[一二三四五六七八九十]+、)")
_PROSE_CHARS = 40  # a line of more characters than this is running text, not a table's header or label
MAX_PATHS = 2000  # a page drawing more paths than this is a map or a chart, not a ruled table


@dataclass(frozen=True)
class Word:
    """A run of characters without a gap: its text, left and right edge, baseline and font size."""

    text: str
    x0: float
    x1: float
    y: float
    size: float

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2

    @cached_property
    def is_figure(self) -> bool:
        cell = parse_cell(self.text)
        return cell is not None and cell.value is not None


Char = tuple[str, float, float, float, float]  # text, left, right, baseline, font size


def group_words(chars: Sequence[Char]) -> list[Word]:
    """Characters in content order as words: a space, a new baseline or a gap over half a character splits."""
    words: list[Word] = []
    run: list[str] = []
    box: list[float] = []
    for char, left, right, baseline, size in chars:
        split = char.isspace() or (run and (abs(baseline - box[2]) > size / 2 or left - box[1] > size / 2))
        if split and run:
            words.append(Word("".join(run), box[0], box[1], box[2], box[3]))
            run, box = [], []
        if char.isspace():
            continue
        if not run:
            box = [left, right, baseline, size]
        run.append(char)
        box[1] = max(box[1], right)
    if run:
        words.append(Word("".join(run), box[0], box[1], box[2], box[3]))
    return words


def lines_text(words: Sequence[Word]) -> str:
    """The words as text lines, top first; a gap of a character or more between words becomes a tab (a cell
    boundary to the table reader)."""
    out = []
    for line in _lines(words):
        parts = [line[0].text]
        for before, word in pairwise(line):
            parts.append(("\t" if word.x0 - before.x1 >= word.size else "") + word.text)
        out.append("".join(parts))
    return "\n".join(out)


def _lines(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped by baseline, top of the page first, each line left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: -w.y):
        if lines and abs(lines[-1][0].y - word.y) <= word.size * 0.35:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _is_row(line: Sequence[Word]) -> bool:
    figures = sum(1 for word in line if word.is_figure)
    return figures >= 2 or (figures == 1 and len(line) >= 2)


def _is_text(line: Sequence[Word]) -> bool:
    """A heading or running text: never part of a table."""
    joined = "".join(word.text for word in line)
    return len(line) == 1 and (len(joined) > _PROSE_CHARS or (bool(_HEADING.match(joined)) and len(joined) > 12))


def _regions(lines: Sequence[Sequence[Word]]) -> list[tuple[int, int]]:
    """(first, last) line index of each run of figure rows with the header lines above it and a wrapped
    label's last line below it, for tables drawn without borders."""
    regions: list[tuple[int, int]] = []
    rows = [i for i, line in enumerate(lines) if _is_row(line)]
    for index in rows:
        size = lines[index][0].size
        previous = regions[-1][1] if regions else -1
        if regions and lines[previous][0].y - lines[index][0].y <= 5 * size and \
                not any(_is_text(lines[k]) for k in range(previous + 1, index)):
            regions[-1] = (regions[-1][0], index)
            continue
        first = index
        while first > previous + 1 and len(lines[first - 1]) >= 2 and \
                lines[first - 1][0].y - lines[first][0].y <= 2.5 * size:
            first -= 1
        regions.append((first, index))
    return [(first, last + 1 if _continues(lines, last) else last) for first, last in regions]


def _continues(lines: Sequence[Sequence[Word]], last: int) -> bool:
    """Whether the line below a table's last row is the rest of that row's wrapped label."""
    if last + 1 >= len(lines):
        return False
    below = lines[last + 1]
    return (len(below) == 1 and not _is_text(below) and not _ROW_START.match(below[0].text)
            and lines[last][0].y - below[0].y <= 1.6 * below[0].size)


Box = tuple[float, float, float, float]  # left, bottom, right, top


def frames(boxes: Sequence[Box], slack: float = 2.0) -> list[Box]:
    """The outlines of ruled tables: bounds of the drawn paths that touch each other, merged."""
    merged: list[list[float]] = []
    for left, bottom, right, top in sorted(boxes):
        if right - left < 0.1 and top - bottom < 0.1:
            continue
        touching = [m for m in merged if left <= m[2] + slack and m[0] <= right + slack
                    and bottom <= m[3] + slack and m[1] <= top + slack]
        for m in touching:
            merged.remove(m)
            left, bottom, right, top = min(left, m[0]), min(bottom, m[1]), max(right, m[2]), max(top, m[3])
        merged.append([left, bottom, right, top])
    # One ruled row (10 pt and more) is a table: the last row of one broken across pages stands alone.
    return [(m[0], m[1], m[2], m[3]) for m in merged if m[2] - m[0] > 40 and m[3] - m[1] >= 10]


def _figure_columns(lines: Sequence[Sequence[Word]]) -> list[float]:
    return _cluster([w.center for line in lines for w in line if w.is_figure], lines)


def _cluster(centres: list[float], lines: Sequence[Sequence[Word]]) -> list[float]:
    size = median(w.size for line in lines for w in line)
    clusters: list[list[float]] = []
    for centre in sorted(centres):
        if clusters and centre - clusters[-1][-1] <= size * 0.8:
            clusters[-1].append(centre)
        else:
            clusters.append([centre])
    return [sum(cluster) / len(cluster) for cluster in clusters]


def _label_edge(lines: Sequence[Sequence[Word]]) -> float:
    """Where the label column ends: half a column before the first column of figures."""
    centres = _figure_columns(lines)
    figures = [w for line in lines for w in line if w.is_figure]
    if len(centres) < 2:
        return min(w.x0 for w in figures) - figures[0].size
    return centres[0] - min(b - a for a, b in pairwise(centres)) / 2


def _columns(lines: Sequence[Sequence[Word]], label_edge: float) -> list[float]:
    """Column centres: shared by the figures and by header lines naming three or more columns."""
    centres = [w.center for line in lines for w in line if w.is_figure]
    centres += [w.center for line in lines if not _is_row(line) and sum(w.x0 >= label_edge for w in line) >= 3
                for w in line if w.x0 >= label_edge]
    return _cluster(centres, lines)


def _label(fragments: Sequence[Word]) -> str:
    """A row's label from its fragments: columns of overlapping words, each read top to bottom."""
    columns: list[list[Word]] = []
    for word in sorted(fragments, key=lambda w: w.x0):
        column = next((c for c in columns if any(w.x0 < word.x1 and word.x0 < w.x1 for w in c)), None)
        if column is None:
            columns.append([word])
        else:
            column.append(word)
    return " ".join("".join(w.text for w in sorted(column, key=lambda w: (-w.y, w.x0))) for column in columns)


def _table(lines: Sequence[Sequence[Word]]) -> Table:
    label_edge = _label_edge(lines)
    columns = _columns(lines, label_edge)
    gap = min((b - a for a, b in pairwise(columns)), default=1000.0)
    # Rows: lines with anything right of the labels, and label lines numbered as rows (all cells blank).
    anchors = [i for i, line in enumerate(lines)
               if any(w.x0 >= label_edge for w in line) or _ROW_START.match(line[0].text)]
    fragments: dict[int, list[Word]] = {i: [] for i in anchors}
    for i, line in enumerate(lines):
        labels = [w for w in line if w.x0 < label_edge]
        if i in fragments:
            fragments[i] += labels
        elif anchors:  # a label-only line: part of the wrapped label of the nearest row
            fragments[min(anchors, key=lambda a: (abs(lines[a][0].y - line[0].y), a))] += labels
    table = []
    for i in anchors:
        cells = [""] * len(columns)
        for word in lines[i]:
            if word.x0 < label_edge:
                continue
            slot = min(range(len(columns)), key=lambda c: abs(columns[c] - word.center))
            if abs(columns[slot] - word.center) <= max(gap / 2, word.x1 - word.x0):
                cells[slot] = f"{cells[slot]} {word.text}".strip()
        table.append((_label(fragments[i]), *cells))
    return tuple(table)


def _aligned(lines: Sequence[Sequence[Word]]) -> bool:
    """Whether the figures stand in columns (text lines with figures after labels of any length do not)."""
    if not any(_is_row(line) for line in lines):
        return False
    widest = max(sum(1 for w in line if w.is_figure) for line in lines)
    return len(_figure_columns(lines)) <= widest + 3


def _inside(word: Word, frame: Box) -> bool:
    return frame[0] <= word.center <= frame[2] and frame[1] <= _middle(word) <= frame[3]


def _middle(word: Word) -> float:
    return word.y + word.size * 0.35


def _positions(values: Sequence[float]) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > 2.0:
            out.append(value)
    return out


def _rules(boxes: Sequence[Box], frame: Box) -> tuple[list[float], list[float]]:
    """x of the vertical rules and y of the horizontal rules inside a frame (a drawn cell gives all four)."""
    xs: list[float] = []
    ys: list[float] = []
    for left, bottom, right, top in boxes:
        if not (frame[0] - 1 <= left and right <= frame[2] + 1 and frame[1] - 1 <= bottom and top <= frame[3] + 1):
            continue
        if right - left < 3:
            xs.append((left + right) / 2)
        elif top - bottom < 3:
            ys.append((bottom + top) / 2)
        else:
            xs += [left, right]
            ys += [bottom, top]
    return _positions(xs), _positions(ys)


def _ruled_table(words: Sequence[Word], xs: Sequence[float], ys: Sequence[float]) -> Table | None:
    """A ruled table cell by cell: each word in the cell its centre falls in, a cell's lines joined top to
    bottom (a wrapped label is one label again); label columns are those left of every figure. A table of
    headers only (no figure: the top of a table broken across pages) comes with every column as a cell."""
    cells: dict[tuple[int, int], list[Word]] = {}
    for word in words:
        column = bisect(xs, word.center) - 1
        band = len(ys) - bisect(ys, _middle(word))
        if 0 <= column < len(xs) - 1 and 0 < band < len(ys):
            cells.setdefault((band, column), []).append(word)
    if not cells:
        return None
    figures = [column for (_band, column), found in cells.items() if any(w.is_figure for w in found)]
    first = min(figures, default=0)
    rows = []
    for band in sorted({band for band, _column in cells}):
        label = _label([w for c in range(first) for w in cells.get((band, c), [])])
        rows.append((label, *(_cell_text(cells.get((band, c), [])) for c in range(first, len(xs) - 1))))
    return tuple(rows)


def _cell_text(words: Sequence[Word]) -> str:
    return "".join(" ".join(w.text for w in line) for line in _lines(words))


@dataclass(frozen=True)
class RuledPiece:
    """A ruled table as drawn on one page: its words and rules (ys ascending), to be read again together
    with its continuation on the next page."""

    words: tuple[Word, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def continues_in(self, below: RuledPiece) -> bool:
        """Whether `below` (the first table of the next page) can be this table's rest: the same outer
        left and right rules."""
        return abs(self.xs[0] - below.xs[0]) <= 2.0 and abs(self.xs[-1] - below.xs[-1]) <= 2.0

    def joined(self, below: RuledPiece) -> RuledPiece:
        """This piece with `below` drawn under it, as if the page had not ended."""
        shift = self.ys[0] - below.ys[-1]
        moved = tuple(Word(w.text, w.x0, w.x1, w.y + shift, w.size) for w in below.words)
        return RuledPiece(self.words + moved, tuple(_positions([*self.xs, *below.xs])),
                          tuple(_positions([*self.ys, *(y + shift for y in below.ys)])))

    def table(self) -> Table | None:
        """The piece read cell by cell."""
        return _ruled_table(self.words, self.xs, self.ys)


@dataclass(frozen=True)
class PageTables:
    """The tables of one page, top first, and whether the page's text begins with the first and ends with
    the last (nothing around them but a page number or a short running header): where a table broken
    across pages continues. `first` and `last` are those tables' ruled pieces (None when drawn without
    rules); `header_only`: the last table holds no figure (the headers of a table whose rows begin on the
    next page), kept only to be joined to them."""

    tables: tuple[Table, ...] = ()
    opens: bool = False
    closes: bool = False
    header_only: bool = False
    first: RuledPiece | None = None
    last: RuledPiece | None = None


# Page numbers as Word prints them ("- 2 -", "第 2 页 共 5 页", "2/5") and 续表: never a table's row. A bare
# "2" is no row either (one figure alone) and counts as marginal by its length.
_PAGE_MARK = re.compile(r"^[-—–－]+\s*\d+\s*[-—–－]+$|^第\s*\d+\s*页|^\d+\s*/\s*\d+$|^[（(]?续表?[)）]?$")
_MARGIN_CHARS = 12  # a line this short that is no heading may be a running header between table parts
_Found = tuple[float, float, Table, RuledPiece | None]  # top, bottom, table, its ruled piece


def _marginal(line: Sequence[Word]) -> bool:
    """A page number, 续表, or a short running header line: what may stand between two parts of a table."""
    text = "".join(word.text for word in line)
    return bool(_PAGE_MARK.match(text)) or (len(text) <= _MARGIN_CHARS and not _HEADING.match(text)
                                              and not any(word.is_figure for word in line))


def _ruled(words: Sequence[Word], boxes: Sequence[Box]) -> tuple[list[_Found], list[_Found], set[int]]:
    """Ruled tables holding figures, figure-less ones (headers, or boxed text), and the words inside the
    former."""
    found: list[_Found] = []
    headers: list[_Found] = []
    framed: set[int] = set()
    for frame in frames(boxes) if len(boxes) <= MAX_PATHS else []:
        inside = [index for index, word in enumerate(words) if _inside(word, frame)]
        xs, ys = _rules(boxes, frame)
        if len(xs) < 3 or len(ys) < 2:
            continue
        piece = RuledPiece(tuple(words[i] for i in inside), tuple(xs), tuple(ys))
        table = piece.table()
        if table is not None and any(words[i].is_figure for i in inside):
            framed.update(inside)
            found.append((frame[3], frame[1], table, piece))
        elif table is not None:
            headers.append((frame[3], frame[1], table, piece))
    return found, headers, framed


def page_tables(words: Sequence[Word], boxes: Sequence[Box] = ()) -> PageTables:
    """The tables of one page with what `join_pages` needs to rejoin a table broken across pages."""
    found, headers, framed = _ruled(words, boxes)
    lines = [line for line in _lines([word for index, word in enumerate(words) if index not in framed])
             if not _PAGE_MARK.match("".join(word.text for word in line))]  # "- 2 -" is no table row
    in_regions: set[int] = set()
    for first, last in _regions(lines):
        if _aligned(lines[first:last + 1]):
            in_regions.update(range(first, last + 1))
            top = lines[first][0].y + lines[first][0].size
            found.append((top, lines[last][0].y, _table(lines[first:last + 1]), None))
    found.sort(key=lambda item: -item[0])
    rest = [line for index, line in enumerate(lines) if index not in in_regions]
    tail = min(headers, key=lambda item: item[1], default=None)
    if tail is not None and ((found and tail[1] >= found[-1][1]) or
                             not all(_marginal(line) for line in rest if line[0].y < tail[1])):
        tail = None  # boxed text, not the top of a table whose rows go on over the page
    placed = [*found, tail] if tail is not None else found
    if not placed:
        return PageTables()
    outside = [line for line in rest if tail is None or not tail[1] <= line[0].y <= tail[0]]
    return PageTables(tuple(item[2] for item in placed),
                      opens=all(_marginal(line) for line in outside if line[0].y > placed[0][0]),
                      closes=all(_marginal(line) for line in outside if line[0].y < placed[-1][1]),
                      header_only=tail is not None, first=placed[0][3], last=placed[-1][3])


def layout_tables(words: Sequence[Word], boxes: Sequence[Box] = ()) -> list[Table]:
    """The tables of one page, top first: label column, then one cell per column, blanks as ''.

    Ruled tables (`boxes`: the bounds of the page's drawn paths) are read cell by cell between their
    rules; tables drawn without rules are runs of lines holding figures, with columns where the figures
    and headers line up."""
    return list(join_pages([page_tables(words, boxes)]))


def _joined(above: Table, below: Table) -> Table | None:
    """A table drawn without rules from its part at a page's end and its part at the next page's start,
    or None when their columns differ."""
    return above + below if len(above[0]) == len(below[0]) else None


def join_pages(pages: Sequence[PageTables]) -> tuple[Table, ...]:
    """Every page's tables in order, a table that ends one page joined with the one that opens the next
    (Word breaks a long table at the page end without repeating its header): ruled parts with the same
    outer rules are read again as one table; parts without rules join when their columns agree."""
    out: list[Table] = []
    headers: set[int] = set()  # positions in `out` of figure-less tops no rows were joined to
    carry: RuledPiece | None = None  # the ruled piece out[-1] was read from
    open_end = False  # out[-1] is the last thing on its page
    for page in pages:
        tables, piece = list(page.tables), page.last
        if open_end and page.opens and tables:
            joined, whole = _continue(out[-1], carry, page)
            if joined is not None:
                out[-1] = joined
                headers.discard(len(out) - 1)
                tables.pop(0)
                piece = whole if not tables else piece
        out += tables
        if page.header_only and tables:
            headers.add(len(out) - 1)
        open_end, carry = page.closes and bool(page.tables), piece
    return tuple(table for index, table in enumerate(out) if index not in headers)


def _continue(above: Table, carry: RuledPiece | None, page: PageTables) -> tuple[Table | None, RuledPiece | None]:
    """`above` joined with the page's first table, and the joined ruled piece (None when not ruled)."""
    if carry is not None and page.first is not None and carry.continues_in(page.first):
        whole = carry.joined(page.first)
        return whole.table(), whole
    if carry is None and page.first is None:
        return _joined(above, page.tables[0]), None
    return None, None
