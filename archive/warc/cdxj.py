"""CDXJ, the index replay tools read (pywb, ReplayWeb.page): one line per response or revisit record.

Written beside the archive as ARCHIVE/index.cdxj by every index update that read new records, and
into a WACZ by `nianbao pack`; both come from `cdxj_lines`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from archive.warc.reader import iter_captures, warc_files

__all__ = ["cdxj_lines", "surt", "write_cdxj"]


def surt(url: str) -> str:
    """Sort-friendly URL key: `cn,gov,example)/path?query`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = (parts.path or "/").lower()
    return f"{key}){path}" + (f"?{parts.query.lower()}" if parts.query else "")


def _timestamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


def cdxj_lines(archive: Path) -> list[str]:
    """One CDXJ line per response/revisit record, sorted as replay tools expect."""
    lines = []
    for path in warc_files(archive):
        for capture in iter_captures(path):
            fields = {"url": capture.url, "mime": capture.header("Content-Type").split(";")[0].strip() or "unk",
                      "status": str(capture.status), "digest": capture.payload_digest, "length": str(capture.length),
                      "offset": str(capture.offset), "filename": capture.warc_file}
            if capture.record_type == "revisit":
                fields["mime"] = "warc/revisit"
            lines.append(f"{surt(capture.url)} {_timestamp(capture.date)} {json.dumps(fields, ensure_ascii=False)}")
    return sorted(lines)


def write_cdxj(archive: Path) -> None:
    """ARCHIVE/index.cdxj, written atomically (nothing when the archive holds no capture)."""
    lines = cdxj_lines(archive)
    if not lines:
        return
    tmp = archive / ".index.cdxj.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, archive / "index.cdxj")
