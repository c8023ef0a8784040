"""Package an archive as a WACZ (1.1.1): the WARCs, a CDXJ index, a pages list and a signed-by-hash manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from archive.warc.cdxj import cdxj_lines
from archive.warc.reader import iter_captures, warc_files
from archive.warc.verify import verify_warc

__all__ = ["pack_wacz"]


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _pages(files: list[Path]) -> Iterator[str]:
    """pages.jsonl: its header, then every report, attachment and seed page answered 200."""
    yield json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})
    for path in files:
        for capture in iter_captures(path):
            if capture.status == 200 and capture.provenance.get("role") in ("report", "attachment", "seed"):
                page_id = capture.record_id.strip("<>").removeprefix("urn:uuid:") or \
                    f"{capture.warc_file}@{capture.offset}"  # other tools' records may have no id
                yield json.dumps({"id": page_id, "url": capture.url, "ts": capture.date,
                                  "title": capture.provenance.get("link_text", "")}, ensure_ascii=False)


def _write_lines(wacz: zipfile.ZipFile, name: str, lines: Iterable[str]) -> dict[str, object]:
    """Stream `lines` into entry `name` (deflated); its datapackage resource (hash and size)."""
    digest, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with wacz.open(info, "w", force_zip64=True) as entry:
        for line in lines:
            data = (line + "\n").encode()
            digest.update(data)
            size += len(data)
            entry.write(data)
    return {"name": name.rsplit("/", 1)[-1], "path": name, "hash": "sha256:" + digest.hexdigest(), "bytes": size}


def pack_wacz(archive: Path, output: Path, title: str = "") -> Path:
    """Write `output` (.wacz) from the archive's closed, intact WARC files."""
    files = warc_files(archive)
    arcs = [f.name for f in files if f.name.endswith((".arc", ".arc.gz"))]
    if arcs:
        raise ValueError(f"cannot pack ARC files into a WACZ (it holds WARC files only): {', '.join(arcs)}; "
                         "convert them with `warcio recompress` or move them out of the archive's warc/ folder")
    problems = [p for f in files for p in ([f"{f.name}: still .open (run `nianbao verify --repair`)"]
                                           if f.name.endswith(".open") else verify_warc(f).problems)]
    if problems:
        raise ValueError("cannot pack a damaged archive: " + "; ".join(problems))
    resources: list[dict[str, object]] = []
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w") as wacz:
        for path in files:  # streamed: a WARC file may be a gigabyte
            wacz.write(path, f"archive/{path.name}", compress_type=zipfile.ZIP_STORED)
            with path.open("rb") as handle:
                digest = "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
            resources.append({"name": path.name, "path": f"archive/{path.name}", "hash": digest,
                              "bytes": path.stat().st_size})
        resources.append(_write_lines(wacz, "indexes/index.cdx", cdxj_lines(archive)))
        resources.append(_write_lines(wacz, "pages/pages.jsonl", _pages(files)))
        package = {"profile": "data-package", "wacz_version": "1.1.1", "title": title or archive.name,
                   "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "software": "nianbao",
                   "resources": resources}
        package_bytes = json.dumps(package, ensure_ascii=False, indent=1).encode()
        wacz.writestr("datapackage.json", package_bytes)
        wacz.writestr("datapackage-digest.json", json.dumps({"path": "datapackage.json",
                                                              "hash": _sha256(package_bytes)}).encode())
    return output
