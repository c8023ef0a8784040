"""Report pages of several CMS styles built from the real seed texts (shared by extract tests and others)."""

from __future__ import annotations

import html

from tests.conftest import seed_text

CHROME_TOP = ('<div class="share">分享到：<a>微信</a><a>微博</a></div>'
              '<div class="info">发布时间：2022-01-25 09:30 来源：安顺市生态环境局 浏览次数：108 '
              '字体：[大][中][小]</div>')
CHROME_BOTTOM = '<div class="tools">【打印】【关闭窗口】</div><p class="qr">扫一扫在手机打开当前页</p>'
FOOTER = '<div class="footer">网站标识码：5204000001 黔ICP备05001234号</div>'


def body_html(text: str) -> str:
    """Seed text as paragraphs, the way CMS editors store it."""
    return "\n".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def trs_page(title: str, text: str, charset: str = "gb2312") -> str:
    """A TRS WCM article: national meta set, .TRS_Editor body, chrome around it."""
    return f"""<!DOCTYPE html><html><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="SiteName" content="安顺市人民政府"><meta name="ColumnName" content="政府信息公开年报">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="2022-01-25 09:30">
<meta name="ContentSource" content="安顺市生态环境局">
<title>{title}_安顺市人民政府</title></head><body>
<div class="nav">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<h1 class="title">{title}</h1>{CHROME_TOP}
<div class="TRS_Editor">{body_html(text)}</div>{CHROME_BOTTOM}{FOOTER}
<script>createPageHTML(1, 0, "t20220125_123456", "html");</script></body></html>"""


def hanweb_page(title: str, text: str) -> str:
    """A Hanweb jcms article: #zoom body, no meta set, title only in <title> and the heading."""
    return f"""<html><head><meta charset="utf-8"><title>{title} - 某某县人民政府</title></head><body>
<table><tr><td class="title">{title}</td></tr></table>{CHROME_TOP}
<div id="zoom">{body_html(text)}</div>{CHROME_BOTTOM}{FOOTER}</body></html>"""


SEED1_TITLE = "安顺市生态环境局2021年政府信息公开工作年度报告"


def seed1_body() -> str:
    """Seed 001 without its leading share widget line."""
    return seed_text(1).split("\n", 1)[1]
