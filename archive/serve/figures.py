"""`/-/figures`: applications received, disclosed in full, 行政复议 and 行政诉讼 by year for an agency, a
province, or agencies side by side — charts drawn as SVG on the server (no script, no CDN), the numbers
beside them, and the same as CSV.

A report's HTML page and its PDF copy carry the same figures: each agency-year counts once (its largest
value), and a province's figure is the sum over its agencies.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from functools import partial
from pathlib import Path

from archive.index.figures import HEADLINE_CELLS, headline_where
from archive.index.search import spellings_of
from archive.serve.cache import memo
from archive.serve.pages import connect, e, page, table

__all__ = ["METRICS", "figures_csv", "figures_page", "series", "svg_chart"]

METRICS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "依申请公开 收到申请": (("三", "一、本年新收政府信息公开申请数量", "总计"),),
    "予以公开": (("三", "（一）予以公开", "总计"),),
    "行政复议": (("四", "行政复议", "总计"),),
    "行政诉讼": (("四", "行政诉讼", "未经复议直接起诉 总计"), ("四", "行政诉讼", "复议后起诉 总计")),
}
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
Series = dict[int, dict[str, float]]  # year → metric → value


def series(conn: sqlite3.Connection, column: str, value: str) -> Series:
    """Each metric by year for one agency or one province (either script)."""
    names = spellings_of(conn, column, value)
    if conn.execute("select 1 from sqlite_master where name = 'headline_figures'").fetchone():
        return _series_of_headlines(conn, column, names)
    cells = [cell for cells in METRICS.values() for cell in cells]
    # one row per agency-year (its copies' largest value of each cell), grouped in the facets index's order
    # so SQLite needs no sort; the cells as literals, which the partial index of archive.index.figures matches;
    # `+`: the agency or province picks the documents (SQLite would otherwise walk every report by is_report)
    largest = ", ".join(f"max(case when {headline_where([cell])} then f.value end)" for cell in cells)
    rows = conn.execute(
        f"select d.year, {largest} from documents d cross join report_figures f on f.document_id = d.id "
        f"where +d.is_report = 1 and +d.year is not null and d.{column} in ({', '.join('?' * len(names))}) "
        f"and {headline_where(cells)} group by d.agency, d.year", names).fetchall()
    out: Series = {}
    for year, *values in rows:
        found = dict(zip(cells, values, strict=True))
        for metric, metric_cells in METRICS.items():
            for cell in metric_cells:
                if found[cell] is not None:
                    out.setdefault(int(year), {}).setdefault(metric, 0.0)
                    out[int(year)][metric] += float(found[cell])
    return out


def _series_of_headlines(conn: sqlite3.Connection, column: str, names: list[str]) -> Series:
    """`series` read from `headline_figures` (one row per agency, year and cell) instead of the figures of
    every report; an agency-year under two spellings of the province counts once, as in `series`."""
    metric_of = {HEADLINE_CELLS.index(cell): metric for metric, cells in METRICS.items() for cell in cells}
    out: Series = {}
    for year, cell, value in conn.execute(
            "select year, cell, sum(value) from (select year, cell, max(value) as value from headline_figures where "
            f"{column} in ({', '.join('?' * len(names))}) group by agency, year, cell) group by year, cell", names):
        if cell in metric_of:
            by_metric = out.setdefault(int(year), {})
            by_metric[metric_of[cell]] = by_metric.get(metric_of[cell], 0.0) + float(value)
    return out


def svg_chart(metric: str, data: list[tuple[str, Series]], years: list[int]) -> str:
    """A grouped bar chart of one metric: a group per year, a bar per series, values above the bars."""
    width, height, left, bottom = 640, 240, 40, 30
    top = max([s.get(y, {}).get(metric, 0.0) for _n, s in data for y in years] + [1.0])
    group = (width - left) / max(len(years), 1)
    bar = max(4.0, (group - 8) / max(len(data), 1))
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' width='{width}' height='{height}' "
             f"role='img' aria-label='{e(metric)}'><rect width='100%' height='100%' fill='#fff'/>",
             f"<line x1='{left}' y1='{height - bottom}' x2='{width}' y2='{height - bottom}' stroke='#333'/>"]
    for i, year in enumerate(years):
        x0 = left + i * group + 4
        parts.append(f"<text x='{x0 + group / 2 - 4:.1f}' y='{height - 10}' font-size='11' "
                     f"text-anchor='middle'>{year}</text>")
        for j, (_name, values) in enumerate(data):
            amount = values.get(year, {}).get(metric)
            if amount is None:
                continue
            h = (height - bottom - 20) * amount / top
            x, y = x0 + j * bar, height - bottom - h
            parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{bar - 1:.1f}' height='{h:.1f}' "
                         f"fill='{COLORS[j % len(COLORS)]}'/><text x='{x + bar / 2:.1f}' y='{y - 3:.1f}' "
                         f"font-size='10' text-anchor='middle'>{amount:g}</text>")
    return "".join(parts) + "</svg>"


def _selection(conn: sqlite3.Connection, params: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(column, value) of each series asked for; the province with the most reports when none is."""
    chosen = [("agency", a) for a in params.get("agency", []) if a.strip()]
    chosen += [("province", p) for p in params.get("province", []) if p.strip()]
    if chosen:
        return chosen[: len(COLORS)]
    # `+is_report`: counted on the facets index alone (by is_report's own index, SQLite reads every row)
    row = conn.execute("select province from documents where +is_report = 1 and province is not null "
                       "group by province order by count(*) desc limit 1").fetchone()
    return [("province", row[0])] if row else []


def _data(db: Path, params: dict[str, list[str]]) -> list[tuple[str, Series]]:
    with connect(db) as conn:
        return [(value, memo(db, ("figures", column, value), partial(series, conn, column, value)))
                for column, value in _selection(conn, params)]


def figures_csv(db: Path, params: dict[str, list[str]]) -> str:
    """The page's numbers as CSV: one row per series and year."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["series", "year", *METRICS])
    for name, values in _data(db, params):
        for year in sorted(values):
            writer.writerow([name, year, *(_fmt(values[year].get(m)) for m in METRICS)])
    return out.getvalue()


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def figures_page(db: Path, params: dict[str, list[str]]) -> tuple[int, str]:
    """(status, HTML) of the figures page; params: agency (repeatable) and/or province (repeatable)."""
    data = _data(db, params)
    years = sorted({y for _n, s in data for y in s})
    legend = " ".join(f"<span style='color:{COLORS[i % len(COLORS)]}'>■</span> {e(name)}"
                      for i, (name, _s) in enumerate(data))
    form = ("<form class='filters' method='get' action='/-/figures'>"
            "<input name='agency' placeholder='机关全称'><input name='agency' placeholder='对比机关（可选）'>"
            "<input name='province' placeholder='或省份'><button>显示</button></form>")
    csv_link = "/-/figures.csv" + _repeat(params)
    charts = []
    for metric in METRICS:
        rows = [[y, *(_fmt(s.get(y, {}).get(metric)) for _n, s in data)] for y in years]
        numbers = table(rows, ["年度", *(n for n, _s in data)], "numbers")
        charts.append(f"<section class='metric'><h2>{e(metric)}</h2><div style='display:flex;gap:1em'>"
                      f"{svg_chart(metric, data, years)}{numbers}</div></section>")
    body = (f"<h1>统计数字</h1>{form}<p class='legend'>{legend}</p><p><a href='{e(csv_link)}'>下载 CSV</a></p>"
            + ("".join(charts) if years else "<p class='note'>所选机关或省份没有解析出的统计数字。</p>"))
    return 200, page("统计数字", body)


def _repeat(params: dict[str, list[str]]) -> str:
    from urllib.parse import urlencode

    pairs = [(k, v) for k in ("agency", "province") for v in params.get(k, []) if v.strip()]
    return "?" + urlencode(pairs) if pairs else ""
