"""`nianbao serve`: Browse the archive index in Datasette (read-only, 127.0.0.1 by default)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from .common import archive_option, require_index

PLUGINS = Path(__file__).resolve().parent.parent.parent / "archive" / "serve" / "plugins"


@click.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
def serve(archive: Path, host: str, port: int) -> None:
    """Browse the archive index in Datasette (read-only, 127.0.0.1 by default).

    Facets by province, agency, year, kind and is_report; full-text search on documents.

    \b
    Example:
        nianbao serve --archive ./archive
        nianbao serve --archive ./archive --port 8080
    """
    from archive.serve.config import datasette_metadata

    db = require_index(archive)
    with tempfile.TemporaryDirectory() as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(datasette_metadata(archive.name, str(archive.resolve()), str(db.resolve())), ensure_ascii=False), encoding="utf-8")
        command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(db), "--host", host,
                   "--port", str(port), "--metadata", str(metadata), "--setting", "sql_time_limit_ms", "3000",
                   "--plugins-dir", str(PLUGINS)]
        click.echo(f"serving {db} at http://{host}:{port}/ (Ctrl-C to stop)")
        try:
            raise SystemExit(subprocess.call(command))
        except KeyboardInterrupt:
            raise SystemExit(0) from None
