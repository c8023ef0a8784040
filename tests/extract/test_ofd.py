"""OFD attachments: text in reading order, tables like a PDF's, broken and image-only files named."""

from __future__ import annotations

import io
import zipfile

from extract.attachments import extract_attachment
from extract.document import document
from tests.conftest import FIXTURES

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _ofd(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


def _package(content: str) -> dict[str, str]:
    root = "<ofd:DocBody><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
    return {"OFD.xml": f"<ofd:OFD {NS}>{root}</ofd:OFD>",
            "Doc_0/Document.xml": f'<ofd:Document {NS}><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>'
                                  "</ofd:Pages></ofd:Document>",
            "Doc_0/Pages/Page_0/Content.xml": f"<ofd:Page {NS}><ofd:Content><ofd:Layer>{content}</ofd:Layer>"
                                              "</ofd:Content></ofd:Page>"}


def test_an_ofd_report_gives_its_text_and_tables() -> None:
    doc = document((FIXTURES / "reports" / "ofd2021_wrapped.ofd").read_bytes(), {}, "http://127.0.0.2/r.ofd")
    assert doc.error == "" and doc.kind == "ofd" and doc.is_report and doc.year == 2023
    assert doc.title == "某市某区应急管理局2023年政府信息公开工作年度报告"
    assert "五、存在的主要问题及改进情况" in doc.text
    assert ("一、本年新收政府信息公开申请数量", "12", "3", "", "", "", "1", "16") in doc.tables[1]


def test_text_codes_are_placed_by_their_advances_and_repeats() -> None:
    line = ('<ofd:TextObject ID="1" Boundary="20 30 80 6" Size="3.5"><ofd:TextCode X="0" Y="3.5" DeltaX="g 5 3.5">'
            "二、主动公开政府信息情况</ofd:TextCode></ofd:TextObject>"
            '<ofd:TextObject ID="2" Boundary="20 40 80 6" Size="3.5" CTM="0.5 0 0 0.5 0 0">'
            '<ofd:TextCode X="0" Y="7" DeltaX="7 7 7 7">本年制发件数</ofd:TextCode>'
            '<ofd:TextCode X="90" Y="7">12</ofd:TextCode></ofd:TextObject>')
    text, _tables, error = extract_attachment("ofd", _ofd(_package(line)))
    assert (text, error) == ("二、主动公开政府信息情况\n本年制发件数\t12", "")


def test_a_broken_or_image_only_ofd_says_so() -> None:
    package = _package('<ofd:ImageObject ID="1" Boundary="0 0 210 297" ResourceID="5"/>')
    assert extract_attachment("ofd", _ofd(package))[2].startswith("scanned-ofd")
    del package["OFD.xml"]
    assert extract_attachment("ofd", _ofd(package))[2].startswith("broken-ofd: OFD.xml")
    assert extract_attachment("ofd", b"PK\x03\x04 not a zip")[2].startswith("broken-zip")
