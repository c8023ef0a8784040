"""`nianbao serve`: Browse the archive index in Datasette (read-only, 127.0.0.1 by default).

Datasette runs as a child process; this process owns its temporary metadata folder, forwards SIGTERM
and SIGINT to it and removes the folder once it has gone.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

import click

from .common import archive_option, require_index

PLUGINS = Path(__file__).resolve().parent.parent.parent / "archive" / "serve" / "plugins"


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _run_child(command: list[str]) -> int:
    """Run Datasette, passing SIGTERM/SIGINT on to it; its exit status."""
    child = subprocess.Popen(command)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    # with these handlers a signal never interrupts the wait: Datasette shuts down, then we clean up
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command()
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the archive and its SQL console.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--max-value-mb", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Largest value (text or blob) any SQL query may build or read, in MiB.")
def serve(archive: Path, host: str, port: int, max_value_mb: int) -> None:
    """Browse the archive index in Datasette (read-only, 127.0.0.1 by default).

    Home, search, reports, coverage and figures pages in front of Datasette's tables, JSON and SQL.

    \b
    Example:
        nianbao serve --archive ./archive
        nianbao serve --archive ./archive --port 8080
    """
    from archive.serve.config import datasette_metadata

    if not is_loopback(host):
        click.echo(f"warning: --host {host} is not a loopback address: anyone who can reach this machine can read "
                   "the archive and run SQL on its index", err=True)
    db = require_index(archive)
    with tempfile.TemporaryDirectory(prefix="nianbao-serve-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        config = datasette_metadata(archive.name, str(archive.resolve()), str(db.resolve()), max_value_mb << 20)
        metadata.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
        command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(db), "--host", host,
                   "--port", str(port), "--metadata", str(metadata), "--setting", "sql_time_limit_ms", "3000",
                   "--plugins-dir", str(PLUGINS)]
        click.echo(f"serving {db} at http://{host}:{port}/ (Ctrl-C to stop)")
        status = _run_child(command)
    raise SystemExit(0 if status in (0, -signal.SIGTERM, -signal.SIGINT) else status)
