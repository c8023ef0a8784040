"""Anti-bot appliances: their challenges are recognised; protected sites' real pages are not."""

from __future__ import annotations

import pytest

from crawler.demo.server import JIASULE_PAGE, RUISHU_PAGE
from crawler.pages import detect_block
from tests.conftest import FIXTURES

GANSU = (FIXTURES / "samples" / "05_fzgg_gansu_gov_article_ruishu.html").read_bytes()  # 瑞数 $_ts on a real article


@pytest.mark.parametrize(
    ("status", "body", "cookie", "expected"),
    [
        (412, RUISHU_PAGE, "FSSBBIl1UgzbN7N80S=abc; Path=/", "ruishu"),
        (202, RUISHU_PAGE, "", "ruishu"),
        (200, RUISHU_PAGE, "", "ruishu"),  # a challenge served as 200: nothing but the script
        (521, JIASULE_PAGE, "__jsluid_h=5f1e; path=/", "jiasule"),
        (200, JIASULE_PAGE, "__jsluid_h=5f1e; path=/", "jiasule"),
        (200, GANSU, "", ""),  # the protected site's real article: not blocked
        (
            200,
            b"<html><body><script>var _waf_ = 1;</script><div id='zoom'>"
            + "本机关2023年政府信息公开工作年度报告。".encode() * 20
            + b"</div></body></html>",
            "",
            "",
        ),
        (404, b"<html><body>404</body></html>", "", ""),
    ],
)
def test_detect_block(status: int, body: bytes, cookie: str, expected: str) -> None:
    assert detect_block(status, body, cookie) == expected


def test_the_protected_article_is_extracted() -> None:
    from extract.document import document

    doc = document(GANSU, {"Content-Type": "text/html; charset=utf-8"}, "https://fzgg.gansu.gov.cn/fzgg/c106087/202503/x.shtml")
    assert doc.title == "甘肃省发展和改革委员会等部门关于印发《甘肃省关于加力支持工业企业设备更新的若干措施》的通知"
    assert "现印发你们，请认真贯彻落实" in doc.text and "$_ts" not in doc.text
    assert doc.published == "2025-03-27" and any(url.endswith(".pdf") for url, _text in doc.attachments)
