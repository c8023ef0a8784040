"""Datasette plugin (loaded with --plugins-dir): nianbao's pages in front of Datasette, and its guards.

- Pages: home, search, reports, a report, coverage, figures, a raw capture and its download. Each page
  reads SQLite and WARC files, so it is built in a worker thread: the event loop keeps serving meanwhile.
- Every connection Datasette opens caps the size of any value SQLite builds (`?sql=select
  randomblob(1e9)` fails at once instead of allocating gigabytes that the time limit cannot interrupt).
- Datasette's own documents table: its search box hands over to /-/search (one engine for both), and the
  long text columns are hidden unless asked for.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from datasette import Response, hookimpl
from markupsafe import Markup, escape

from archive.serve import coverage, figures, home, raw, report, reports, search
from archive.serve.pages import PAGE_HEADERS

DEFAULT_MAX_VALUE = 32 * 1024 * 1024  # bytes: far above any report's text, far below a memory problem
LONG_COLUMNS = ("text", "text_simplified", "tables", "table_spans", "mojibake_detail", "report_reasons",
                "title_simplified")


def _paths(datasette: Any) -> tuple[Path, Path]:
    config = datasette.plugin_config("nianbao") or {}
    return Path(config["index"]), Path(config["archive"])


def _params(request: Any) -> dict[str, str]:
    return {k: v for k, v in parse_qsl(request.query_string)}


def _html(status: int, body: str, extra: dict[str, str] | None = None) -> Response:
    return Response.html(body, status=status, headers={**PAGE_HEADERS, **(extra or {})})


async def _home(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    return _html(*await asyncio.to_thread(home.home_page, db))


async def _search(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    return _html(*await asyncio.to_thread(search.search_view, db, _params(request)))


async def _reports(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    return _html(*await asyncio.to_thread(reports.reports_page, db, _params(request), None, archive))


async def _report(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    return _html(*await asyncio.to_thread(report.report_page, db, int(request.url_vars["id"]), archive))


async def _coverage(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    return _html(*await asyncio.to_thread(coverage.coverage_page, db, _params(request), None, archive))


async def _figures(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    return _html(*await asyncio.to_thread(figures.figures_page, db, parse_qs(request.query_string)))


async def _figures_csv(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    text = await asyncio.to_thread(figures.figures_csv, db, parse_qs(request.query_string))
    return Response(text, content_type="text/csv; charset=utf-8", headers={
        **PAGE_HEADERS, "content-disposition": "attachment; filename=\"nianbao-figures.csv\""})


async def _raw(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    return _html(*await asyncio.to_thread(raw.raw_page, db, archive, int(request.url_vars["id"])))


async def _download(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    status, body, headers = await asyncio.to_thread(raw.raw_download, db, archive, int(request.url_vars["id"]))
    return Response(body, status=status, headers=headers, content_type=headers["content-type"])


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/$", _home), (r"^/-/search$", _search), (r"^/-/reports$", _reports),
            (r"^/-/report/(?P<id>\d+)$", _report), (r"^/-/coverage$", _coverage), (r"^/-/figures$", _figures),
            (r"^/-/figures\.csv$", _figures_csv), (r"^/-/raw/(?P<id>\d+)$", _raw),
            (r"^/-/raw/(?P<id>\d+)/download$", _download), (r"^/-/download/(?P<id>\d+)$", _download)]


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    limit = int((datasette.plugin_config("nianbao") or {}).get("max_value_bytes") or DEFAULT_MAX_VALUE)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, limit)


def documents_redirect(path: str, query: str) -> str | None:
    """Where a request for Datasette's documents table goes instead, or None to serve it as asked."""
    if path != "/index/documents":
        return None
    pairs = parse_qsl(query, keep_blank_values=True)
    names = {k for k, _v in pairs}
    if "_search" in names:
        asked = dict(pairs)
        moved = {"q": asked.get("_search", ""), "province": asked.get("province", ""),
                 "agency": asked.get("agency", ""), "year": asked.get("year", ""), "kind": asked.get("kind", ""),
                 "reports_only": "1" if asked.get("is_report") == "1" else ""}
        return "/-/search?" + urlencode({k: v for k, v in moved.items() if v})
    if not names & {"_col", "_nocol"}:
        return "/index/documents?" + urlencode([*pairs, *(("_nocol", c) for c in LONG_COLUMNS)])
    return None


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Callable[..., Awaitable[None]]:
        async def redirecting(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                target = documents_redirect(scope.get("path", ""), scope.get("query_string", b"").decode("latin-1"))
                if target is not None:
                    await send({"type": "http.response.start", "status": 302,
                                "headers": [(b"location", target.encode("utf-8")), (b"content-length", b"0")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)

        return redirecting

    return wrap


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str) -> Any:
    if table == "documents" and column == "title" and row is not None:
        return Markup(f"<a href='/-/report/{int(row['id'])}'>{escape(value or '(untitled)')}</a>")
    return None
