"""The demo portals serve exactly what their manifest declares, on loopback only, and stop cleanly."""

from __future__ import annotations

import gzip
import http.client
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from crawler.demo.server import SITES, DemoPortals
from extract.document import document


@pytest.fixture(scope="module")
def portals() -> Iterator[DemoPortals]:
    with DemoPortals() as running:
        yield running


def fetch(url: str, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_every_manifest_document_is_served_as_declared(portals: DemoPortals) -> None:
    manifest = portals.manifest()
    assert len({site["province"] for site in manifest["sites"]}) >= 2 and len(manifest["sites"]) >= 6
    checked = 0
    for doc in manifest["documents"]:
        site = portals.site(doc["site"])
        if site["blocked"] or doc.get("extra") or doc.get("flaky") or doc.get("dynamic"):
            continue
        status, headers, body = fetch(doc["url"])
        assert status == doc["status"], doc["url"]
        if status in (301, 302):
            assert headers["Location"] == doc["location_url"]
            continue
        if status == 404:
            continue
        assert headers["Content-Type"] == doc["content_type"], doc["url"]
        if doc["content_encoding"] == "gzip":
            assert headers["Content-Encoding"] == "gzip"
            body = gzip.decompress(body)
        expected = (SITES / doc["file"]).read_bytes()
        if b"__HOST_" not in expected:
            assert body == expected, doc["url"]
        checked += 1
    assert checked >= 60


def test_encodings_are_what_the_sites_claim_to_be(portals: DemoPortals) -> None:
    manifest = portals.manifest()
    reports = {d["site"]: d for d in manifest["documents"] if d["role"] == "report" and d["kind"] == "html"
               and not d.get("seed") and not d["robots_disallowed"] and not d.get("extra")}
    _, headers, body = fetch(reports["trs"]["url"])
    assert b"charset=gb2312" in body[:400]
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # GBK-only characters (堃) on a page declared gb2312
    assert "王堃" in body.decode("gbk")
    _, headers, body = fetch(reports["liar"]["url"])
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    _, _, body = fetch(reports["big5"]["url"])
    assert b"charset=gb2312" in body[:400] and "年度報告" in body.decode("big5")


def test_hanweb_list_inline_records_and_dataproxy_post(portals: DemoPortals) -> None:
    url = portals.url("hanweb", "/col/col1230/index.html")
    status, _, body = fetch(url)
    page = body.decode()
    assert status == 200 and page.count("<record>") == 3 and "<datastore>" in page and "totalRecord: 8" in page
    form = "col=1&appid=1&webid=3305&path=/&columnid=1230&sourceContentType=1&unitid=4891&webname=x&permissiontype=0"
    status, _headers, body = fetch(
        portals.url("hanweb", "/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=8&perpage=3"),
        "POST",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    xml = body.decode()
    assert status == 200 and "<totalrecord>8</totalrecord>" in xml and xml.count("<record>") == 5
    assert fetch(portals.url("hanweb", "/module/web/jpage/dataproxy.jsp"))[0] == 405


def test_extra_report_appears_only_after_publishing() -> None:
    with DemoPortals() as fresh:
        extra_url = fresh.url("hanweb", fresh.site("hanweb")["jpage"]["extra_record"]["href"])
        assert fetch(extra_url)[0] == 404
        assert "2025年" not in fetch(fresh.url("hanweb", "/col/col1230/index.html"))[2].decode()
        assert fresh.publish_extra_report() == extra_url
        assert fetch(extra_url)[0] == 200
        assert "2025年政府信息公开" in fetch(fresh.url("hanweb", "/col/col1230/index.html"))[2].decode()


def test_conditional_request_flaky_cookies_chunked_trap_and_block(portals: DemoPortals) -> None:
    url = portals.url("trs", "/zwgk/zfxxgknb/")
    _, headers, _ = fetch(url)
    assert fetch(url, headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(url, headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    flaky = next(d for d in portals.manifest()["documents"] if d.get("flaky"))
    assert [fetch(flaky["url"])[0], fetch(flaky["url"])[0]] == [503, 200]
    _, headers, _ = fetch(portals.url("modern", "/"))
    assert headers.get_all("Set-Cookie") == ["JSESSIONID=9F2C4A1B; Path=/; HttpOnly", "lang=zh-CN; Path=/"]
    _, headers, _ = fetch(portals.url("modern", "/zwgk/ndbg/index_2.html"))
    assert headers["Transfer-Encoding"] == "chunked"
    _, _, body = fetch(portals.url("modern", "/zwgk/ndbg/archive/list_57.html"))
    assert 'href="list_58.html">下一页' in body.decode()
    status, _, body = fetch(portals.url("blocked", "/"))
    assert status == 412 and b"$_ts" in body
    status, headers, body = fetch(portals.url("jiasule", "/zwgk/"))
    assert status == 521 and b"location.href" in body and headers["Set-Cookie"].startswith("__jsluid_h=")
    assert any(entry[2] == "/zwgk/zfxxgknb/" for entry in portals.request_log)


def test_attachments_carry_chinese_text(portals: DemoPortals) -> None:
    docs = portals.manifest()["documents"]
    for kind in ("pdf", "docx"):
        doc = next(d for d in docs if d["kind"] == kind)
        _, headers, body = fetch(doc["url"])
        extracted = document(body, {"Content-Type": headers["Content-Type"]}, doc["url"])
        assert extracted.error == "" and "政府信息公开" in extracted.text and extracted.is_report, doc["url"]


def test_servers_bind_only_to_loopback_and_shut_down() -> None:
    portals = DemoPortals()
    addresses = [(site["ip"], portals.port) for site in portals.manifest()["sites"]]
    assert all(ip.startswith("127.") for ip, _ in addresses)
    for server in portals._servers:
        assert server.server_address[0].startswith("127.0.0.")
    portals.close()
    for ip, port in addresses:
        with socket.socket() as probe:
            assert probe.connect_ex((ip, port)) != 0, (ip, port)
