"""Documents of the index written out as JSON Lines or CSV (the library half of `nianbao export`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TextIO

from archive.db import read_only

__all__ = ["DOCUMENT_COLUMNS", "export_documents"]

DOCUMENT_COLUMNS = ("id", "url", "agency", "province", "title", "year", "published", "kind", "parent_id", "encoding",
                    "encoding_source", "mojibake", "is_report", "report_score", "extractor_version")


def export_documents(db: Path, out: TextIO, fmt: str = "jsonl", reports_only: bool = False,
                     with_text: bool = False) -> int:
    """Write the documents of index `db` to `out` as `jsonl` or `csv`; returns how many were written."""
    columns = DOCUMENT_COLUMNS + (("text",) if with_text else ())
    where = " where is_report = 1" if reports_only else ""
    count = 0
    with read_only(db) as conn:
        rows = conn.execute(f"select {', '.join(columns)} from documents{where} order by agency, year, url")
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(row)
                count += 1
        else:
            for row in rows:
                out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")
                count += 1
    return count
