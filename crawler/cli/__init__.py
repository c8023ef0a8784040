"""The `nianbao` command: one thin click group, one module per subcommand.

Each subcommand opens the archive and calls one library function; user errors are
`click.ClickException`s (a message, never a traceback).
"""

from __future__ import annotations

import click

from crawler import __version__

from .changes import changes
from .cluster import cluster
from .crawl import crawl
from .demo import demo
from .export import export
from .index import index
from .pack import pack
from .search import search
from .serve import serve
from .similar import similar
from .verify import verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def main() -> None:
    """Crawl, archive (WARC), index and browse Chinese government information-disclosure annual reports.

    \b
    Example:
        nianbao demo
        nianbao crawl --seeds seeds.csv --archive ./archive
        nianbao search --archive ./archive 行政复议
    """


for _command in (crawl, cluster, index, search, serve, verify, export, pack, demo):
    main.add_command(_command)
for _command in (changes, similar):
    main.add_command(_command)
