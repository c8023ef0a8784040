"""`headline_figures`: the charted cells of each agency-year, the largest value among its report's copies.

The figures page sums a province's agencies year by year: read from `report_figures` that is a join of
~11,000 report documents with five index entries each for the largest province of a 100,000-document
index (80–120 ms); this table holds one row per agency, year and cell instead. Triggers on `documents`
and `report_figures` keep it current whoever writes the index — the figures step, a re-extraction, a
deleted or moved document: a new figure raises its cell in place, and only a change that may lower a
stored value re-reads its agency-year.
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


def _key_of_document(doc: str) -> str:
    """The headline_figures key (province, agency, year) of report document `doc`, as a WHERE condition:
    false when it is no report or has no year."""
    of = f" from documents where id = {doc} and is_report = 1 and year is not null)"
    return f"province is (select province{of} and agency is (select agency{of} and year = (select year{of}"


def _is_cell(cells: Sequence[tuple[str, str, str]], row: str) -> str:
    """True when the figure `row` ('new' or 'old') is one of `cells`."""
    return "(" + " or ".join(f"({row}.section = {_quoted(a)} and {row}.row_label = {_quoted(b)} and "
                             f"{row}.col_label = {_quoted(c)})" for a, b, c in cells) + ")"


def _triggers(cells: Sequence[tuple[str, str, str]]) -> str:
    """A new figure raises its cell's value in place (no re-reading of the agency-year: an agency whose
    unknown year gathers thousands of reports would make that quadratic); a deleted one, a moved or
    deleted report, re-reads the agency-year only where the stored value may have come from it."""
    new_cell, old_cell = headline_cells_sql(cells, "new"), headline_cells_sql(cells, "old")
    has_figures = "exists (select 1 from report_figures where document_id = {})"
    changed = " or ".join(f"old.{c} is not new.{c}" for c in ("province", "agency", "year", "is_report"))
    return f"""
create trigger if not exists headline_figures_insert after insert on report_figures
    when new.value is not null and {_is_cell(cells, 'new')}
begin
    update headline_figures set value = new.value
        where {_key_of_document('new.document_id')} and cell = {new_cell} and value < new.value;
    insert into headline_figures (province, agency, year, cell, value)
        select d.province, d.agency, d.year, {new_cell}, new.value from documents d where d.id = new.document_id
            and d.is_report = 1 and d.year is not null and not exists (select 1 from headline_figures h where
            h.province is d.province and h.agency is d.agency and h.year = d.year and h.cell = {new_cell});
end;
create trigger if not exists headline_figures_delete after delete on report_figures
    when old.value is not null and {_is_cell(cells, 'old')} and old.value >= (select value from headline_figures
        where {_key_of_document('old.document_id')} and cell = {old_cell})
begin {_refresh(cells, *(f"(select {c} from documents where id = old.document_id)"
                         for c in ("province", "agency", "year")))}
end;
create trigger if not exists headline_documents_insert after insert on documents
    when new.is_report = 1 and new.year is not null and {has_figures.format('new.id')}
begin {_refresh(cells, 'new.province', 'new.agency', 'new.year')}
end;
create trigger if not exists headline_documents_delete after delete on documents
    when old.is_report = 1 and old.year is not null and {has_figures.format('old.id')}
begin {_refresh(cells, 'old.province', 'old.agency', 'old.year')}
end;
create trigger if not exists headline_documents_update after update of province, agency, year, is_report
    on documents when (old.is_report = 1 or new.is_report = 1) and ({changed}) and {has_figures.format('new.id')}
begin
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
