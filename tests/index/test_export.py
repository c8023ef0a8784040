"""`nianbao export` on the demo archive (crawled from the bundled loopback portals): CSV unchanged, CSV for
Excel (a UTF-8 BOM), JSON Lines of the figures, and a workbook whose sheets are the standard form's tables,
its figures checked against the demo's ground-truth manifest."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from archive.export import DOCUMENT_COLUMNS
from archive.index.figures import FORM_SHEETS, REPORT_COLUMNS, WIDE_COLUMNS
from extract.tables import APPLICANT_COLUMNS, REVIEW_COLUMNS
from tests.conftest import ROOT

MANIFEST = json.loads((ROOT / "crawler" / "demo" / "manifest.json").read_text(encoding="utf-8"))


def nianbao(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the real `nianbao` command in its own process."""
    done = subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, timeout=240, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return done


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export-demo") / "archive"
    nianbao("demo", "--archive", str(folder))
    return folder


def _expected(book: Any) -> list[tuple[str, Any, float]]:
    """(where, document id, value) of every manifest figure of a report the workbook lists."""
    agency_of = {site["id"]: site["agency"] for site in MANIFEST["sites"]}
    documents = {(row[2], row[1].split("/", 3)[3]): row[0] for row in book[book.sheetnames[0]].iter_rows(
        min_row=2, values_only=True)}
    found = []
    for doc in MANIFEST["documents"]:
        doc_id = documents.get((agency_of[doc["site"]], doc["path"].lstrip("/")))
        for key, value in (doc.get("figures") or {}).items() if doc_id else ():
            found.append((key, doc_id, value))
    return found


def _cell(book: Any, key: str, doc_id: int) -> Any:
    """The workbook's value of a manifest figure (`row.column`), looked up in the form table it belongs to."""
    row, column = key.split(".")
    if row == "行政复议":
        sheet, label = book[FORM_SHEETS[2]], None
        column = f"行政复议 {column}"
    elif row in ("本年新收", "办理结果总计"):
        sheet, label = book[FORM_SHEETS[1]], "一、本年新收政府信息公开申请数量" if row == "本年新收" else "（七）总计"
    else:
        sheet, label = book[FORM_SHEETS[0]], row
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    at = header.index(column)
    hits = [r[at] for r in rows[1:] if r[0] == doc_id and (label is None or r[4] == label)]
    assert len(hits) == 1, (key, doc_id, hits)
    return hits[0]


def test_xlsx_has_one_sheet_per_form_table_with_the_manifest_figures(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports.xlsx"
    nianbao("export", "--archive", str(archive), "--reports-only", "--format", "xlsx", "-o", str(out))
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["文档", *FORM_SHEETS]
    documents = list(book["文档"].iter_rows(values_only=True))
    assert documents[0] == DOCUMENT_COLUMNS and len(documents) > 25
    assert all(row[DOCUMENT_COLUMNS.index("is_report")] == 1 for row in documents[1:])
    three = next(book[FORM_SHEETS[1]].iter_rows(values_only=True))
    assert three == ("document_id", "agency", "province", "year", "项目", *APPLICANT_COLUMNS)
    assert next(book[FORM_SHEETS[2]].iter_rows(values_only=True)) == ("document_id", "agency", "province", "year",
                                                                      *REVIEW_COLUMNS)
    expected = _expected(book)
    assert len({doc_id for _k, doc_id, _v in expected}) >= 20  # HTML, PDF and DOCX reports of the demo
    tables = {key.split(".")[0] for key, _d, _v in expected}
    assert tables >= {"规章", "规范性文件", "本年新收", "办理结果总计", "行政复议"}
    for key, doc_id, value in expected:
        assert _cell(book, key, doc_id) == value, (key, doc_id)
    book.close()


def test_figures_xlsx_lists_the_reports_then_the_form_tables(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.xlsx"
    nianbao("export", "--archive", str(archive), "--figures", "--format", "xlsx", "-o", str(out))
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames == ["报告", *FORM_SHEETS]
    reports = list(book["报告"].iter_rows(values_only=True))
    assert reports[0] == REPORT_COLUMNS
    wide = list(csv.reader(io.StringIO(nianbao("export", "--archive", str(archive), "--figures").stdout.decode())))
    assert [str(row[0]) for row in reports[1:]] == [row[0] for row in wide[1:]]
    for key, doc_id, value in _expected(book):
        assert _cell(book, key, doc_id) == value, (key, doc_id)
    book.close()


def test_figures_jsonl_writes_json_lines(archive: Path) -> None:
    lines = nianbao("export", "--archive", str(archive), "--figures", "--format", "jsonl").stdout.decode().splitlines()
    records = [json.loads(line) for line in lines]
    wide = list(csv.DictReader(io.StringIO(nianbao("export", "--archive", str(archive), "--figures").stdout.decode())))
    assert len(records) == len(wide) > 20
    assert list(records[0]) == [*REPORT_COLUMNS, *WIDE_COLUMNS]
    for record, row in zip(records, wide, strict=True):
        assert str(record["document_id"]) == row["document_id"] and record["checks_failed"] == []
        total = "三|一、本年新收政府信息公开申请数量|总计"
        assert (record[total] is None and row[total] == "") or str(record[total]) == row[total]


def test_excel_csv_starts_with_a_bom_and_the_default_csv_does_not(archive: Path, tmp_path: Path) -> None:
    plain = nianbao("export", "--archive", str(archive), "--format", "csv").stdout
    to_stdout = nianbao("export", "--archive", str(archive), "--excel").stdout
    out = tmp_path / "documents.csv"
    nianbao("export", "--archive", str(archive), "--excel", "-o", str(out))
    assert plain.startswith(b"id,url,agency")
    assert to_stdout == out.read_bytes() == b"\xef\xbb\xbf" + plain
    assert "安顺市西秀区人民政府" in out.read_bytes().decode("utf-8-sig")
    figures = nianbao("export", "--archive", str(archive), "--figures", "--excel").stdout
    assert figures.startswith(b"\xef\xbb\xbfdocument_id,url,agency")


def test_xlsx_needs_a_file_and_excel_is_csv(archive: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "export", "--archive", str(archive),
                           "--format", "xlsx"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "-o FILE.xlsx" in done.stderr
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "export", "--archive", str(archive), "--excel",
                           "--format", "jsonl"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "--excel" in done.stderr


def test_xlsx_keeps_a_formula_like_title_as_text_and_drops_control_characters(tmp_path: Path) -> None:
    """Titles are the agencies' own text: one starting with '=' must not run as a formula in Excel, and a
    control character left by a damaged page (which an xlsx cannot hold) must not stop the export."""
    from archive.export import export_workbook
    from archive.index.schema import open_index

    db_path = tmp_path / "index.db"
    db = open_index(db_path)
    db.conn.execute("insert into documents (id, url, agency, title, year, kind, is_report, text) values "
                    "(1, 'http://127.0.0.2/1.html', '某县人民政府', '=HYPERLINK(\"http://127.0.0.9/\",\"年报\")', "
                    "2023, 'html', 1, '一、总体情况\x01\x0b本年度')")
    db.conn.commit()
    db.conn.close()
    out = tmp_path / "documents.xlsx"
    assert export_workbook(db_path, out, with_text=True) == 1
    book = openpyxl.load_workbook(out)
    sheet = book["文档"]
    header = [cell.value for cell in sheet[1]]
    title = sheet.cell(row=2, column=header.index("title") + 1)
    assert title.value == '=HYPERLINK("http://127.0.0.9/","年报")' and title.data_type == "s"
    assert sheet.cell(row=2, column=header.index("text") + 1).value == "一、总体情况本年度"
    book.close()
