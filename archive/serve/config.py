"""Datasette configuration for an archive index: titles, descriptions, facets, full-text search."""

from __future__ import annotations

from typing import Any

__all__ = ["datasette_metadata"]


def datasette_metadata(archive_name: str, archive: str = "", index: str = "",
                       max_value_bytes: int = 32 * 1024 * 1024) -> dict[str, Any]:
    """Metadata (titles, facets, FTS, our plugin's paths and limits) for `datasette serve index.db`."""
    return {
        "plugins": {"nianbao": {"archive": archive, "index": index, "max_value_bytes": max_value_bytes}},
        "about": "首页 / · 搜索 /-/search · 报告 /-/reports · 覆盖情况 /-/coverage · 统计数字 /-/figures",
        "title": f"nianbao archive: {archive_name}",
        "description": "政府信息公开工作年度报告: documents extracted from the archive's WARC files. "
                       "Full-text search takes Chinese in either script.",
        "databases": {"index": {"tables": {
            "documents": {
                "title": "Documents (reports, attachments, pages)",
                "description": "One row per extracted capture; is_report marks the annual reports.",
                "facets": ["province", "agency", "year", "kind", "is_report"],
                "fts_table": "documents_fts", "fts_pk": "id", "searchmode": "raw",
                "sort_desc": "report_score", "size": 50,
                "label_column": "title",
            },
            "captures": {"title": "Captures (every WARC response and revisit)",
                         "facets": ["status", "record_type", "role"]},
            "agencies": {"title": "Agencies", "facets": ["province"]},
            "runs": {"title": "Crawl runs", "facets": ["mode"]},
            "documents_fts": {"hidden": True}, "documents_chars": {"hidden": True},
            "meta": {"hidden": True}, "warc_files": {"title": "WARC files indexed"},
        }}},
    }
