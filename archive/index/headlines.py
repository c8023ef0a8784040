"""`headline_figures`: the charted cells of each agency-year, the largest value among its report's copies.

The figures page sums a province's agencies year by year: read from `report_figures` that is a join of
~11,000 report documents with five index entries each for the largest province of a 100,000-document
index (80–120 ms); this table holds one row per agency, year and cell instead. Triggers on `documents`
and `report_figures` keep it current whoever writes the index — the figures step, a re-extraction, a
deleted or moved document — by recomputing the agency-year a change touches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["create_headlines", "headline_cells_sql", "headlines_query"]

_TABLE = """
create table if not exists headline_figures (province text, agency text, year integer, cell integer not null,
                                             value real not null);
create index if not exists headline_figures_province on headline_figures (province, agency, year, cell, value);
create index if not exists headline_figures_agency on headline_figures (agency, year, cell, value);
"""


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def headline_cells_sql(cells: Sequence[tuple[str, str, str]], alias: str = "f") -> str:
    """A CASE giving the position in `cells` of the figure row `alias` (null for any other cell)."""
    whens = " ".join(f"when {alias}.section = {_quoted(a)} and {alias}.row_label = {_quoted(b)} and "
                     f"{alias}.col_label = {_quoted(c)} then {n}" for n, (a, b, c) in enumerate(cells))
    return f"case {whens} end"


def _figures_of(cells: Sequence[tuple[str, str, str]], where: str) -> str:
    """Largest value of each cell per agency-year over the report documents matching `where` (on `d`)."""
    return (f"select d.province, d.agency, d.year, cell, max(value) from (select d.province, d.agency, d.year, "
            f"{headline_cells_sql(cells)} as cell, f.value from documents d join report_figures f on "
            f"f.document_id = d.id where d.is_report = 1 and d.year is not null and {where}) as d "
            "where cell is not null group by d.province, d.agency, d.year, cell having max(value) is not null")


def headlines_query(cells: Sequence[tuple[str, str, str]]) -> str:
    """headline_figures computed from the documents: what the table holds."""
    return _figures_of(cells, "1")


def _refresh(cells: Sequence[tuple[str, str, str]], province: str, agency: str, year: str) -> str:
    """Statements recomputing one agency-year (SQL expressions for its province, agency and year)."""
    key = f"province is {province} and agency is {agency} and year = {year}"
    match = f"d.province is {province} and d.agency is {agency} and d.year = {year}"
    return f"""
    delete from headline_figures where {key};
    insert into headline_figures (province, agency, year, cell, value) {_figures_of(cells, match)};"""


def _of_document(column: str, doc: str) -> str:
    return f"(select {column} from documents where id = {doc})"


def _is_cell(cells: Sequence[tuple[str, str, str]], row: str) -> str:
    """True when the figure `row` ('new' or 'old') is one of `cells`."""
    return " or ".join(f"({row}.section = {_quoted(a)} and {row}.row_label = {_quoted(b)} and {row}.col_label = "
                       f"{_quoted(c)})" for a, b, c in cells)


def _triggers(cells: Sequence[tuple[str, str, str]]) -> str:
    of_new = _refresh(cells, *(_of_document(c, "new.document_id") for c in ("province", "agency", "year")))
    of_old = _refresh(cells, *(_of_document(c, "old.document_id") for c in ("province", "agency", "year")))
    return f"""
create trigger if not exists headline_figures_insert after insert on report_figures
    when {_is_cell(cells, 'new')}
begin {of_new}
end;
create trigger if not exists headline_figures_delete after delete on report_figures
    when {_is_cell(cells, 'old')}
begin {of_old}
end;
create trigger if not exists headline_documents_insert after insert on documents when new.is_report = 1 begin
    {_refresh(cells, 'new.province', 'new.agency', 'new.year')}
end;
create trigger if not exists headline_documents_delete after delete on documents when old.is_report = 1 begin
    {_refresh(cells, 'old.province', 'old.agency', 'old.year')}
end;
create trigger if not exists headline_documents_update after update of province, agency, year, is_report
    on documents when old.is_report = 1 or new.is_report = 1 begin
    {_refresh(cells, 'old.province', 'old.agency', 'old.year')}
    {_refresh(cells, 'new.province', 'new.agency', 'new.year')}
end;
"""


def create_headlines(conn: sqlite3.Connection, cells: Sequence[tuple[str, str, str]]) -> bool:
    """Create the table and its triggers where missing, filled from the figures already there; True when
    it was created now."""
    created = not conn.execute("select 1 from sqlite_master where name = 'headline_figures'").fetchone()
    conn.executescript(_TABLE + _triggers(cells))
    if created:
        conn.execute(f"insert into headline_figures (province, agency, year, cell, value) {headlines_query(cells)}")
    return created
