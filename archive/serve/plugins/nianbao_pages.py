"""Datasette plugin (loaded with --plugins-dir): nianbao's report, raw-capture and coverage pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import Response, hookimpl
from markupsafe import Markup, escape

from archive.serve.pages import coverage_page, raw_download, raw_page, report_page


def _paths(datasette: Any) -> tuple[Path, Path]:
    config = datasette.plugin_config("nianbao") or {}
    return Path(config["index"]), Path(config["archive"])


async def _report(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    status, body = report_page(db, int(request.url_vars["id"]))
    return Response.html(body, status=status)


async def _raw(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    status, body = raw_page(db, archive, int(request.url_vars["id"]))
    return Response.html(body, status=status, headers={"content-security-policy": "script-src 'none'"})


async def _download(datasette: Any, request: Any) -> Response:
    db, archive = _paths(datasette)
    status, body, headers = raw_download(db, archive, int(request.url_vars["id"]))
    return Response(body, status=status, headers=headers, content_type=headers["content-type"])


async def _coverage(datasette: Any, request: Any) -> Response:
    db, _archive = _paths(datasette)
    status, body = coverage_page(db)
    return Response.html(body, status=status)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/report/(?P<id>\d+)$", _report), (r"^/-/raw/(?P<id>\d+)$", _raw),
            (r"^/-/raw/(?P<id>\d+)/download$", _download), (r"^/-/coverage$", _coverage)]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str) -> Any:
    if table == "documents" and column == "title" and row is not None:
        return Markup(f"<a href='/-/report/{int(row['id'])}'>{escape(value or '(untitled)')}</a>")
    return None
