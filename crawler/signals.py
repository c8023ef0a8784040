"""nianbao's own Scrapy signals: how its components ask each other without holding references."""

from __future__ import annotations

__all__ = ["warc_committed"]

# Sent by the live index before each update; the WARC capture answers with
# {final name of its open file: bytes of whole exchanges written} (WarcWriter.committed).
warc_committed = object()
