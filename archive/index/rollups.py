"""Small tables the pages read instead of aggregating every document, kept current by triggers.

- `report_years`: one row per report (the report documents of one agency, province and year; a report
  without a year is a row of its own), with its first publication date, its leading document (the HTML
  page, else the first copy) and how many documents it has — what `/-/reports`, `/-/coverage` and the home
  page used to group 100,000 documents for (0.9–2 s) on the first view after every index change; its
  `first_day` is the first publication date when it is a real day (the deadline rule compares it).
- `names`: every agency, province and city name the index holds, with its simplified spelling, so the
  filters that match names in either script (`search.spellings_of`) need not convert 10,000 names with
  OpenCC per index change. Triggers add new names with `simplified` empty; `update_names` (the index
  update's last step) fills it, and a reader converts the few still empty itself.
- `agency_reports` (schema 6): one row per agency (province and agency as `report_years` groups them) with
  the count of its dated reports, how many are undated, how many came on time under each deadline rule and
  its first and last year — the coverage map's counts for 10,000 agencies without grouping 65,000 reports
  (86 ms) on its first view. Kept by triggers on `report_years`, which the `documents` triggers rewrite.

Triggers on `documents` and `agencies` keep them current whoever writes the index — the indexer, a
re-extraction, a migration or a test inserting rows — so they never disagree with the rows they summarise.
"""

from __future__ import annotations

import sqlite3

from extract.metadata import to_simplified

__all__ = ["AGENCY_REPORTS_QUERY", "REPORT_YEARS_QUERY", "agency_reports_source", "create_rollups", "rebuild_rollups",
           "report_years_source", "simplified_names", "update_names"]

_TABLES = """
create table if not exists report_years (
    group_key text primary key, province text, agency text, year integer, first_published text,
    main_id integer not null, documents integer not null, first_day text, on_time_government integer,
    on_time_department integer);
create index if not exists report_years_year on report_years (year desc, agency);
create index if not exists report_years_agency on report_years (agency, year desc);
create index if not exists report_years_agencies on report_years (
    province, agency, year, first_day, on_time_government, on_time_department);
create index if not exists report_years_published on report_years (first_published desc, agency);
create table if not exists names (
    kind text not null, stored text not null, simplified text, primary key (kind, stored)) without rowid;
create index if not exists names_simplified on names (kind, simplified);
create table if not exists agency_reports (
    province text, agency text, reports integer not null, undated integer not null,
    on_time_government integer not null, on_time_department integer not null, first_year integer,
    last_year integer);
create index if not exists agency_reports_covering on agency_reports (
    agency, province, reports, undated, on_time_government, on_time_department, last_year);
create index if not exists agency_reports_province on agency_reports (province);
create index if not exists agency_reports_last_year on agency_reports (last_year);
create index if not exists agencies_province_url on agencies (province, agency, url);
"""


def _key(row: str) -> str:
    """The report's key: province, agency and year of a dated report, the document's id for an undated one."""
    return (f"case when {row}.year is null then '#' || {row}.id else "
            f"quote({row}.province) || '|' || quote({row}.agency) || '|' || {row}.year end")


# A report's first publication day when it is a real date (YYYY-MM-DD), else null: date(…, '+0 days') is null
# for '' and rolls 2023-04-31 over to 05-01, so what differs is a day `date.fromisoformat` refuses too.
_DAY = "substr(first_published, 1, 10)"
_FIRST_DAY = f"case when date({_DAY}, '+0 days') = {_DAY} and {_DAY} >= '0001' then {_DAY} end"
# Published by the deadline (条例 art. 49, as archive.serve.deadlines.deadline) for a local people's government
# and for a department: 1 or 0, null when undated; the coverage page sums them instead of comparing dates.
_DUE = {"government": "(year + 1) || '-03-31'",
        "department": "case when year >= 2019 then (year + 1) || '-01-31' else (year + 1) || '-03-31' end"}
_ON_TIME = ", ".join(f"case when first_day is not null and year is not null then first_day <= {due} end "
                     f"as on_time_{who}" for who, due in _DUE.items())
_COLUMNS = ("group_key, province, agency, year, first_published, main_id, documents, first_day, on_time_government, "
            "on_time_department")
_AGGREGATE = ("min(nullif(published, '')) as first_published, "
              "coalesce(min(case when kind = 'html' then id end), min(id)) as main_id, count(*) as documents")


def _refresh(row: str) -> str:
    """Statements recomputing the report of `row` (new or old) from the documents as they are now."""
    fields = f"{_key(row)} as group_key, {row}.province as province, {row}.agency as agency"
    return f"""
    delete from report_years where group_key = {_key(row)};
    insert into report_years ({_COLUMNS}) select *, {_ON_TIME} from (select *, {_FIRST_DAY} as first_day from (
        select {fields}, {row}.year as year, {_AGGREGATE} from documents
        where {row}.year is not null and is_report = 1 and province is {row}.province and agency is {row}.agency
          and year = {row}.year having count(*) > 0));
    insert into report_years ({_COLUMNS}) select *, {_ON_TIME} from (select *, {_FIRST_DAY} as first_day from (
        select {fields}, null as year, {_AGGREGATE} from documents
        where {row}.year is null and id = {row}.id and is_report = 1 and year is null having count(*) > 0));"""


def _add_new() -> str:
    """Statements adding the new report document to its report's row in place, or creating the row: no
    re-reading of the report's other documents (an agency-year with a wrong agency or year can gather
    thousands, and each insert would read them all)."""
    published = "nullif(new.published, '')"
    first = f"case when {published} is null or first_published <= {published} then first_published else {published} end"
    main_is_html = "coalesce((select kind from documents where id = main_id), '') = 'html'"
    main = (f"case when new.kind = 'html' then case when {main_is_html} then min(main_id, new.id) else new.id end "
            f"when {main_is_html} then main_id else min(main_id, new.id) end")
    first_day = _FIRST_DAY.replace("first_published", f"({first})")
    on_time = ", ".join(f"on_time_{who} = case when ({first_day}) is not null and year is not null then "
                        f"({first_day}) <= {due} end" for who, due in _DUE.items())
    return f"""
    update report_years set first_published = {first}, main_id = {main}, documents = documents + 1,
        first_day = {first_day}, {on_time} where group_key = {_key('new')};
    insert into report_years ({_COLUMNS}) select *, {_ON_TIME} from (select *, {_FIRST_DAY} as first_day from (
        select {_key('new')} as group_key, new.province as province, new.agency as agency, new.year as year,
               {published} as first_published, new.id as main_id, 1 as documents
        where not exists (select 1 from report_years where group_key = {_key('new')})));"""


_AGENCY_COLUMNS = ("province, agency, reports, undated, on_time_government, on_time_department, first_year, "
                   "last_year")
_AGENCY_AGGREGATE = ("count(*) as reports, total(first_day is null) as undated, total(on_time_government) as "
                     "on_time_government, total(on_time_department) as on_time_department, min(year) as first_year, "
                     "max(year) as last_year")


def _refresh_agency(row: str) -> str:
    """Statements recomputing the agency of the report `row` (new or old) from `report_years` as it is now
    (`is`: a null province or agency is a group of its own, as `group by` makes it)."""
    match = f"province is {row}.province and agency is {row}.agency"
    return f"""
    delete from agency_reports where {match};
    insert into agency_reports ({_AGENCY_COLUMNS}) select {row}.province, {row}.agency, {_AGENCY_AGGREGATE}
        from report_years where {match} and year is not null having count(*) > 0;"""


def _names(row: str, kinds: tuple[str, ...]) -> str:
    return "".join(f"\n    insert or ignore into names select '{kind}', {row}.{kind}, null where {row}.{kind} "
                   f"is not null and {row}.{kind} != '';" for kind in kinds)


_TRIGGERS = f"""
create trigger if not exists report_years_insert after insert on documents when new.is_report = 1 begin
    {_add_new()}
end;
create trigger if not exists report_years_delete after delete on documents when old.is_report = 1 begin
    {_refresh('old')}
end;
create trigger if not exists report_years_update after update of province, agency, year, is_report, kind, published
    on documents when old.is_report = 1 or new.is_report = 1 begin
    {_refresh('old')}
    {_refresh('new')}
end;
create trigger if not exists agency_reports_insert after insert on report_years when new.year is not null begin
    {_refresh_agency('new')}
end;
create trigger if not exists agency_reports_delete after delete on report_years when old.year is not null begin
    {_refresh_agency('old')}
end;
create trigger if not exists agency_reports_update after update on report_years begin
    {_refresh_agency('old')}
    {_refresh_agency('new')}
end;
create trigger if not exists names_documents_insert after insert on documents begin
    {_names('new', ('agency', 'province'))}
end;
create trigger if not exists names_documents_update after update of agency, province on documents begin
    {_names('new', ('agency', 'province'))}
end;
create trigger if not exists names_agencies_insert after insert on agencies begin
    {_names('new', ('agency', 'province', 'city'))}
end;
create trigger if not exists names_agencies_update after update of agency, province, city on agencies begin
    {_names('new', ('agency', 'province', 'city'))}
end;
"""


def create_rollups(conn: sqlite3.Connection) -> list[str]:
    """Create the tables and their triggers where missing, filled from the rows already there; returns the
    tables created now (on an index made before schema 5 or 6)."""
    missing = [name for name in ("report_years", "agency_reports")
               if not conn.execute("select 1 from sqlite_master where name = ?", (name,)).fetchone()]
    conn.executescript(_TABLES + _TRIGGERS)
    if "report_years" in missing:
        rebuild_rollups(conn)
    elif missing:
        conn.execute(f"insert into agency_reports ({_AGENCY_COLUMNS}) {AGENCY_REPORTS_QUERY}")
    return missing


# report_years computed from the documents: what the table holds, for rebuilding it and for reading an index
# made before schema 5 that nobody has opened for writing since
REPORT_YEARS_QUERY = (
    f"select *, {_ON_TIME} from (select *, {_FIRST_DAY} as first_day from (select case when year is null then "
    "'#' || min(id) else quote(province) || '|' || quote(agency) || '|' || year end as group_key, province, "
    f"agency, year, {_AGGREGATE} from documents where is_report = 1 group by province, agency, "
    "coalesce(year, -id)))")


# agency_reports computed from report_years: what the table holds
AGENCY_REPORTS_QUERY = (f"select province, agency, {_AGENCY_AGGREGATE} from report_years where year is not null "
                        "group by province, agency")


def agency_reports_source(conn: sqlite3.Connection) -> str:
    """What to select agencies' reports from: `agency_reports`, or on an older index the query computing it."""
    if conn.execute("select count(*) from sqlite_master where name in ('agency_reports', 'report_years')"
                    ).fetchone()[0] == 2:
        return "agency_reports"
    return f"({AGENCY_REPORTS_QUERY.replace('from report_years', 'from ' + report_years_source(conn))})"


def report_years_source(conn: sqlite3.Connection) -> str:
    """What to select reports from: the `report_years` table, or on an older index the query computing it."""
    if conn.execute("select 1 from sqlite_master where name = 'report_years'").fetchone():
        return "report_years"
    return f"({REPORT_YEARS_QUERY})"


def rebuild_rollups(conn: sqlite3.Connection) -> None:
    """Fill both tables again from `documents` and `agencies` (the triggers keep them current after)."""
    conn.execute("delete from report_years")  # the triggers empty agency_reports with it, row by row
    conn.execute("delete from agency_reports")
    conn.execute(f"insert into report_years ({_COLUMNS}) {REPORT_YEARS_QUERY}")
    for kind, table in (("agency", "documents"), ("province", "documents"), ("agency", "agencies"),
                        ("province", "agencies"), ("city", "agencies")):
        conn.execute(f"insert or ignore into names select distinct '{kind}', {kind}, null from {table} "
                     f"where {kind} is not null and {kind} != ''")


def update_names(conn: sqlite3.Connection) -> int:
    """Give every name added since the last update its simplified spelling; returns how many."""
    todo = conn.execute("select kind, stored from names where simplified is null").fetchall()
    conn.executemany("update names set simplified = ? where kind = ? and stored = ?",
                     [(to_simplified(stored), kind, stored) for kind, stored in todo])
    conn.commit()
    return len(todo)


def simplified_names(conn: sqlite3.Connection, kind: str, simplified: str | None = None) -> dict[str, str] | None:
    """Stored name → its simplified spelling, for every `kind` name ('agency', 'province', 'city') or those
    reading as `simplified`; None on an index without the table (made before schema 5, opened read-only)."""
    sql, params = "select stored, simplified from names where kind = ?", [kind]
    if simplified is not None:  # two indexed reads (with `or`, SQLite reads every name of the kind)
        sql = f"{sql} and simplified = ? union all {sql} and simplified is null"
        params = [kind, simplified, kind]
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return None
    out = {stored: folded if folded is not None else to_simplified(stored) for stored, folded in rows}
    if simplified is not None:
        out = {stored: folded for stored, folded in out.items() if folded == simplified}
    return out
