"""Generate the demo portals' static files and their ground-truth manifest.

    python -m crawler.demo.build        # rewrites crawler/demo/sites/ and crawler/demo/manifest.json

The output is committed; the server only serves it (plus a few dynamic endpoints described in the
manifest). Needs the `dev` extra (reportlab for the PDF, python-docx for the DOCX). Hosts in links
between sites are written as `__HOST_<site>__` and filled in by the server with the real address.
"""

from __future__ import annotations

import datetime
import html
import io
import json
import shutil
from pathlib import Path
from typing import Any

from .reports import Report, as_html, as_lines, county_prose, make_report

HERE = Path(__file__).resolve().parent
SITES = HERE / "sites"
SEEDS_TEXT = HERE / "texts"  # real report texts, copied into the package from the seeds

Doc = dict[str, Any]


class Site:
    """One demo agency site: files written under sites/<id>/, documents recorded for the manifest."""

    def __init__(self, site_id: str, agency: str, province: str, city: str, county: str, cms: str,
                 encoding: str, seed_path: str, kind: str = "portal", blocked: str = "") -> None:
        self.info: dict[str, Any] = {"id": site_id, "agency": agency, "province": province, "city": city,
                                     "county": county, "cms": cms, "encoding": encoding, "seed_path": seed_path,
                                     "kind": kind, "blocked": blocked}
        self.docs: list[Doc] = []
        self.root = SITES / site_id

    def add(self, path: str, body: bytes | str, role: str, content_type: str = "text/html", *,
            encoding: str | None = None, **extra: Any) -> Doc:
        data = body.encode(encoding or self.info["encoding"]) if isinstance(body, str) else body
        file = self.root / path.lstrip("/")
        if path.endswith("/"):
            file = file / "index.html"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(data)
        doc: Doc = {"site": self.info["id"], "path": path, "file": str(file.relative_to(SITES)), "status": 200,
                    "content_type": content_type, "content_encoding": "", "role": role, "is_report": False,
                    "year": None, "agency": self.info["agency"], "kind": "html", "parent": None,
                    "robots_disallowed": False, "extra": False}
        doc.update(extra)
        self.docs.append(doc)
        return doc

    def virtual(self, path: str, role: str, status: int, **extra: Any) -> Doc:
        doc: Doc = {"site": self.info["id"], "path": path, "file": None, "status": status, "content_type": "",
                    "content_encoding": "", "role": role, "is_report": False, "year": None,
                    "agency": self.info["agency"], "kind": "html", "parent": None, "robots_disallowed": False,
                    "extra": False}
        doc.update(extra)
        self.docs.append(doc)
        return doc


def _figures(report: Report) -> dict[str, int]:
    return dict(report.figures)


# --- page templates ----------------------------------------------------------------------------------------

def trs_article(site: Site, title: str, body_html: str, pub: str, column: str, attachments: str = "") -> str:
    meta_charset = "gb2312" if site.info["encoding"] in ("gbk", "gb18030") else site.info["encoding"]
    if site.info["id"] == "big5":
        meta_charset = "gb2312"  # real Traditional mirrors declare the wrong charset
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset={meta_charset}" />
<meta name="SiteName" content="{site.info['agency']}"><meta name="SiteDomain" content="www.example.gov.cn">
<meta name="SiteIDCode" content="5204020001"><meta name="ColumnName" content="{column}">
<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="{pub} 09:30">
<meta name="ContentSource" content="{site.info['agency']}"><meta name="Keywords" content="{column}">
<title>{html.escape(title)}_{site.info['agency']}</title>
<link rel="stylesheet" href="/images/style.css"></head><body>
<div class="header"><a href="/">首页</a> | <a href="/zwgk/">政府信息公开</a> | <a href="/search/search.jsp?keyword=">站内搜索</a></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt; <a href="./../">{column}</a></div>
<div class="article"><h1>{html.escape(title)}</h1>
<div class="info">发布时间：{pub} 来源：{site.info['agency']} 浏览次数：<span id="count">126</span> 字体：[<a>大</a>][<a>中</a>][<a>小</a>]</div>
<div class="TRS_Editor">{body_html}</div>{attachments}
<div class="share">分享到：<a href="http://service.weibo.com/share/share.php?url=x">微博</a><a>微信</a></div>
<div class="tools"><a href="javascript:window.print()">【打印】</a><a href="/print.jsp?url=x">【打印预览】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
</div><div class="footer">主办：{site.info['agency']} 网站标识码：5204020001 黔ICP备05001234号</div>
<script>createPageHTML(1, 0, "t_article", "html");</script></body></html>"""


def trs_list(site: Site, column: str, items: list[tuple[str, str, str]], page: int, pages: int) -> str:
    meta_charset = "gb2312" if site.info["encoding"] in ("gbk", "gb18030") else site.info["encoding"]
    lis = "\n".join(f'<li><a href="{href}" target="_blank" title="{html.escape(text)}">{html.escape(text)}</a>'
                    f"<span>{date}</span></li>" for href, text, date in items)
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset={meta_charset}">
<title>{column}_{site.info['agency']}</title></head><body>
<div class="header"><a href="/">首页</a> <a href="/zwgk/">政府信息公开</a> <a href="/calendar/">日历</a></div>
<div class="position">当前位置：首页 &gt; 政府信息公开 &gt; {column}</div>
<div class="list"><ul>{lis}</ul></div>
<div class="page"><script type="text/javascript">
var countPage = {pages}//共多少页
var currentPage = {page}//当前页
createPageHTML({pages}, {page}, "index", "html");
</script></div>
<div class="footer">网站标识码：5204020001</div></body></html>"""


def hanweb_article(site: Site, title: str, body_html: str, pub: str, attachments: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)} - {site.info['agency']}</title>
<meta name="keywords" content=""><script src="/script/jquery.js"></script></head><body>
<div id="top"><a href="/">首页</a><a href="/col/col1229/index.html">信息公开</a></div>
<table width="100%"><tr><td class="title">{html.escape(title)}</td></tr>
<tr><td class="info">发布日期：{pub} 信息来源：{site.info['agency']} 访问次数：<script>_showDynClicks("wcmdocument", 5001)</script> 字号：[ 大 中 小 ]</td></tr></table>
<div id="zoom">{body_html}{attachments}</div>
<div class="bt"><a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>
<div id="footer">网站标识码：3305210001 浙ICP备12345678号</div></body></html>"""


def modern_article(site: Site, title: str, body_html: str, pub: str) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="ArticleTitle" content="{html.escape(title)}"><meta name="PubDate" content="{pub}">
<meta name="ContentSource" content="{site.info['agency']}"><title>{html.escape(title)}</title></head><body>
<header class="site-header"><nav><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/hdjl/">互动交流</a></nav></header>
<main><nav class="crumb"><a href="/">首页</a> / <a href="/zwgk/">政务公开</a> / <a href="/zwgk/ndbg/">信息公开年度报告</a></nav>
<article><h1 class="article-title">{html.escape(title)}</h1>
<p class="meta">发布时间：{pub}　来源：{site.info['agency']}</p>
<div class="article-content">{body_html}</div>
<div class="article-tools"><a href="/print.jsp?id=1">打印</a> <a href="https://service.weibo.com/share/share.php?url=1">分享到微博</a></div>
</article></main><footer>网站标识码：3301000014 扫一扫在手机打开当前页</footer>
<script>/* visit counter, as portals embed them; an archive viewer must never run it */
document.title = "ARCHIVED SCRIPT RAN"; document.documentElement.setAttribute("data-archived-script", "ran");</script>
</body></html>"""


def attachment_block(href: str, text: str) -> str:
    return f'<p class="fj">附件：<a href="{href}" title="{html.escape(text)}">{html.escape(text)}</a></p>'


# --- attachments -------------------------------------------------------------------------------------------

def make_pdf(lines: list[str]) -> bytes:
    """A real PDF with a Chinese text layer (reportlab's built-in CID font, no font file shipped)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)
    pdf.setTitle(lines[0])
    y = 800.0

    def font() -> None:
        pdf.setFont("STSong-Light", 9)

    font()
    for line in lines:
        chunks = [line[i:i + 52] for i in range(0, len(line), 52)] or [""]
        for chunk in chunks:
            pdf.drawString(36, y, chunk.replace("\t", "  "))
            y -= 13
            if y < 40:
                pdf.showPage()
                font()
                y = 800
    pdf.save()
    return out.getvalue()


def make_docx(report: Report) -> bytes:
    """A DOCX with the report's paragraphs and its tables as real Word tables."""
    import docx

    document = docx.Document()
    document.core_properties.created = datetime.datetime(2024, 1, 11)  # reproducible builds
    document.add_paragraph(report.title)
    for heading, body in report.sections:
        document.add_paragraph(heading)
        rows: list[tuple[str, ...]] = []
        if body == "TABLE:article20":
            rows = [tuple(c for c in row[1:]) for row in report.article20]
        elif body == "TABLE:applications":
            rows = [("", *("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"))]
            rows += [tuple(row) for row in report.applications]
        elif body == "TABLE:review":
            from .reports import review_header

            rows = [review_header()[1], tuple(map(str, report.review))]
        else:
            document.add_paragraph(body)
            continue
        width = max(len(r) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    document.add_paragraph(report.agency)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- the sites ---------------------------------------------------------------------------------------------

def build_trs() -> Site:
    """County portal, TRS WCM, GBK declared gb2312, createPageHTML pagination, one report only as PDF."""
    site = Site("trs", "安顺市西秀区人民政府", "贵州省", "安顺市", "西秀区", "trs", "gbk", "/")
    _trs_portal(site)
    items = _trs_reports(site)
    _trs_distractors(site, items)
    pages = [items[i:i + 5] for i in range(0, len(items), 5)]
    for page_no, page_items in enumerate(pages):
        name = "index.html" if page_no == 0 else f"index_{page_no}.html"
        site.add(f"/zwgk/zfxxgknb/{name}" if page_no else "/zwgk/zfxxgknb/",
                 trs_list(site, "政府信息公开年报", page_items, page_no, len(pages)), "list")
    return site


def _trs_portal(site: Site) -> None:
    """The TRS portal around its report column: home, news, the 政府信息公开 column, a guide, an archive
    that robots.txt forbids."""
    site.add("/robots.txt", "User-agent: *\nDisallow: /zwgk/zfxxgknb/old/\nDisallow: /search/\n", "robots",
             "text/plain", encoding="ascii")
    site.add("/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>安顺市西秀区人民政府</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/xwdt/">新闻动态</a> <a href="/zwgk/">政府信息公开</a>
<a href="/search/search.jsp?keyword=年报">站内搜索</a> <a href="/calendar/">日程日历</a></div>
<div class="news"><a href="/xwdt/202403/t20240311_700001.html">西秀区召开政务公开工作推进会</a></div>
<div class="links">友情链接：<a href="http://__HOST_modern__/">杭州市生态环境局</a> <a href="http://www.gov.cn/">中国政府网</a></div>
<div class="footer">网站标识码：5204020001 主办：安顺市西秀区人民政府办公室 联系人：王堃</div></body></html>""", "home")
    site.add("/xwdt/", trs_list(site, "新闻动态", [("./202403/t20240311_700001.html", "西秀区召开政务公开工作推进会", "2024-03-11")], 0, 1), "list")
    site.add("/xwdt/202403/t20240311_700001.html", trs_article(site, "西秀区召开政务公开工作推进会",
             "<p>3月11日，西秀区召开政务公开工作推进会，区政府办公室主任王喆出席并讲话。</p>" * 3, "2024-03-11", "新闻动态"), "other")
    site.add("/zwgk/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>政府信息公开_安顺市西秀区人民政府</title></head><body><div class="left">
<a href="/zwgk/xxgkzn/">政府信息公开指南</a> <a href="/zwgk/xxgkzd/">政府信息公开制度</a>
<a href="/zwgk/zfxxgknb/">政府信息公开年报</a> <a href="/zwgk/zfxxgknb/old/">历年年报（归档）</a>
<a href="/zwgk/fdzdgknr/">法定主动公开内容</a></div>
<div class="footer">网站标识码：5204020001</div></body></html>""", "column")
    site.virtual("/zwgk/xxgkzd/", "other", 404)
    site.add("/zwgk/xxgkzn/", trs_article(site, "安顺市西秀区人民政府政府信息公开指南",
             "<p>为了便于公民、法人和其他组织获取政府信息，根据《中华人民共和国政府信息公开条例》，编制本指南。</p>" * 4,
             "2020-01-02", "政府信息公开指南"), "distractor")
    site.add("/zwgk/fdzdgknr/", trs_list(site, "法定主动公开内容", [], 0, 1), "other")
    site.add("/zwgk/zfxxgknb/old/", trs_list(site, "历年年报（归档）",
             [("./t20150101_1.html", "西秀区2014年政府信息公开工作年度报告", "2015-01-01")], 0, 1), "list",
             robots_disallowed=True)
    site.add("/zwgk/zfxxgknb/old/t20150101_1.html", trs_article(site, "西秀区2014年政府信息公开工作年度报告", "<p>归档</p>",
             "2015-01-01", "历年年报"), "report", robots_disallowed=True, is_report=True, year=2014)


def _trs_reports(site: Site) -> list[tuple[str, str, str]]:
    """The reports 2017-2023 (2019 only as a PDF, 2022 with a PDF copy, 2017 behind a 301); list items."""
    items: list[tuple[str, str, str]] = []
    agency = "安顺市西秀区人民政府"
    for n, year in enumerate((2023, 2022, 2021, 2020, 2019, 2018, 2017)):
        report = make_report(agency, year, 100 + year)
        pub = f"{year + 1}-01-{15 + n:02d}"
        folder = f"{year + 1}01"
        stamp = f"t{year + 1}01{15 + n:02d}_{600000 + n}"
        if year == 2019:  # this report exists only as a PDF attachment linked from the list
            path = f"/zwgk/zfxxgknb/{folder}/P0{year + 1}0116{n}.pdf"
            site.add(path, make_pdf(as_lines(report)), "report", "application/pdf", is_report=True, year=year,
                     kind="pdf", format=report.fmt, figures=_figures(report), title=report.title)
            items.append((f"./{folder}/P0{year + 1}0116{n}.pdf", report.title, pub))
            continue
        path = f"/zwgk/zfxxgknb/{folder}/{stamp}.html"
        attach = ""
        if year == 2022:
            pdf_path = f"/zwgk/zfxxgknb/{folder}/P020230120{n}.pdf"
            site.add(pdf_path, make_pdf(as_lines(report)), "attachment", "application/pdf", is_report=True,
                     year=year, kind="pdf", parent=path, format=report.fmt, title=report.title)
            attach = attachment_block(f"./P020230120{n}.pdf", report.title + ".pdf")
        body = as_html(report) + f"<p>{agency}</p><p>{year + 1}年1月{15 + n}日</p><p>联系人：王堃 电话：0851-33221100</p>"
        if year == 2017:  # listed under its old URL, which now answers 301
            old = f"/zwgk/zfxxgknb/{folder}/{stamp}_old.html"
            site.virtual(old, "redirect", 301, location=path)
            items.append((f"./{folder}/{stamp}_old.html", report.title, pub))
        else:
            items.append((f"./{folder}/{stamp}.html", report.title, pub))
        site.add(path, trs_article(site, report.title, body, pub, "政府信息公开年报", attach), "report", is_report=True,
                 year=year, format=report.fmt, figures=_figures(report), title=report.title)
    return items


def _trs_distractors(site: Site, items: list[tuple[str, str, str]]) -> None:
    """Look-alikes filed in the report column between the reports."""
    distractors = [
        ("西秀区2023年法治政府建设年度报告", "<p>2023年，西秀区深入学习贯彻习近平法治思想，法治政府建设取得新成效。</p>" * 5),
        ("安顺市西秀区人民政府办公室2022年部门决算", "<p>一、部门基本情况 二、收入支出决算总表 三、财政拨款收入支出决算总表</p>" * 5),
        ("关于做好2023年政府信息公开工作年度报告编制和发布工作的通知", "<p>各乡镇人民政府、街道办事处，区直各部门：现就做好2023年政府信息公开工作年度报告编制发布工作通知如下。</p>" * 4),
        ("《西秀区2022年政府信息公开工作年度报告》解读", "<p>一、总体情况 2022年西秀区政府信息公开工作……本解读对年度报告作简要说明。</p>" * 4),
        ("西秀区召开2024年政务公开工作培训会", "<p>为进一步提升政务公开工作水平，西秀区召开培训会。</p>" * 4),
    ]
    for m, (title, body) in enumerate(distractors):
        stamp = f"t2024020{m + 1}_{610000 + m}"
        path = f"/zwgk/zfxxgknb/202402/{stamp}.html"
        site.add(path, trs_article(site, title, body, f"2024-02-0{m + 1}", "政府信息公开年报"), "distractor")
        items.insert(2 * m + 1, (f"./202402/{stamp}.html", title, f"2024-02-0{m + 1}"))


def build_hanweb() -> Site:
    """Hanweb jcms county department: jpage datastore list, rest behind a dataproxy.jsp POST; a DOCX."""
    site = Site("hanweb", "德清县应急管理局", "浙江省", "湖州市", "德清县", "hanweb", "utf-8", "/")
    _hanweb_portal(site)
    records = _hanweb_records(site)
    agency = site.info["agency"]
    extra = make_report(agency, 2025, 2225)
    extra_path = "/art/2026/1/15/art_1230_5200.html"
    site.add(extra_path, hanweb_article(site, extra.title, as_html(extra), "2026-01-15"), "report", is_report=True,
             year=2025, extra=True, format=extra.fmt, title=extra.title)
    site.info["jpage"] = {"column": "/col/col1230/index.html", "columnid": "1230", "unitid": "4891", "webid": "3305",
                          "perpage": 3, "records": records,
                          "extra_record": {"href": extra_path, "title": extra.title, "date": "2026-01-15"}}
    site.virtual("/col/col1230/index.html", "list", 200, dynamic="jpage-list", content_type="text/html; charset=utf-8")
    site.virtual("/module/web/jpage/dataproxy.jsp", "list", 200, dynamic="jpage-proxy", method="POST",
                 content_type="text/xml; charset=utf-8")
    return site


def _hanweb_portal(site: Site) -> None:
    """The Hanweb site around its report column: home, news, the 信息公开 column, guide, budget."""
    site.add("/robots.txt", "User-agent: *\nDisallow: /module/search/\n", "robots", "text/plain")
    site.add("/", """<!DOCTYPE html><html><head><meta charset="utf-8"><title>德清县应急管理局</title></head><body>
<div class="nav"><a href="/">网站首页</a><a href="/col/col1228/index.html">工作动态</a><a href="/col/col1229/index.html">信息公开</a>
<a href="/module/search/index.jsp?q=">搜索</a></div><div class="footer">网站标识码：3305210001</div></body></html>""", "home")
    site.add("/col/col1228/index.html", """<html><head><meta charset="utf-8"><title>工作动态</title></head><body>
<ul><li><a href="/art/2024/3/1/art_1228_4001.html">县应急管理局开展安全生产大检查</a></li></ul></body></html>""", "list")
    site.add("/art/2024/3/1/art_1228_4001.html", hanweb_article(site, "县应急管理局开展安全生产大检查",
             "<p>近日，县应急管理局开展安全生产大检查。</p>" * 4, "2024-03-01"), "other")
    site.add("/col/col1229/index.html", """<html><head><meta charset="utf-8"><title>信息公开</title></head><body>
<div class="left"><a href="/col/col1231/index.html">信息公开指南</a><a href="/col/col1230/index.html">信息公开年报</a>
<a href="/col/col1232/index.html">部门预决算</a></div></body></html>""", "column")
    site.add("/col/col1231/index.html", hanweb_article(site, "德清县应急管理局政府信息公开指南",
             "<p>本指南依据《中华人民共和国政府信息公开条例》编制。</p>" * 4, "2020-01-01"), "distractor")
    site.add("/col/col1232/index.html", """<html><head><meta charset="utf-8"><title>部门预决算</title></head><body>
<ul><li><a href="/art/2024/2/1/art_1232_4100.html">德清县应急管理局2024年部门预算</a></li></ul></body></html>""", "list")
    site.add("/art/2024/2/1/art_1232_4100.html", hanweb_article(site, "德清县应急管理局2024年部门预算",
             "<p>一、部门职责 二、收支预算总表</p>" * 4, "2024-02-01"), "distractor")


def _hanweb_records(site: Site) -> list[dict[str, Any]]:
    """The reports (2023 with a DOCX copy) and two look-alikes: the column's datastore records."""
    records: list[dict[str, Any]] = []
    agency = site.info["agency"]
    for n, year in enumerate((2024, 2023, 2022, 2021, 2020, 2018)):
        report = make_report(agency, year, 200 + year)
        pub = f"{year + 1}-01-{10 + n:02d}"
        path = f"/art/{year + 1}/1/{10 + n}/art_1230_{5001 + n}.html"
        attach = ""
        if year == 2023:
            docx_path = "/module/download/P020240111_report2023.docx"
            site.add(docx_path, make_docx(report), "attachment",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", is_report=True,
                     year=year, kind="docx", parent=path, format=report.fmt, figures=_figures(report), title=report.title)
            attach = attachment_block(docx_path, f"{report.title}.docx")
        site.add(path, hanweb_article(site, report.title, as_html(report) + f"<p>{agency}</p><p>{pub}</p>", pub, attach),
                 "report", is_report=True, year=year, format=report.fmt, figures=_figures(report), title=report.title)
        records.append({"href": path, "title": report.title, "date": pub})
    for n, title in enumerate(("德清县应急管理局2023年度工作总结", "德清县应急管理局2023年法治政府建设年度报告")):
        path = f"/art/2024/2/{5 + n}/art_1230_{5100 + n}.html"
        site.add(path, hanweb_article(site, title, "<p>一年来，我局认真履职，各项工作取得新进展。</p>" * 5, f"2024-02-0{5 + n}"),
                 "distractor")
        records.insert(2 + 2 * n, {"href": path, "title": title, "date": f"2024-02-0{5 + n}"})
    return records


def build_modern() -> Site:
    """Modern UTF-8 city bureau: gzip, 下一页 links, HTML-table statistics, a trap, 503-then-200, cookies."""
    site = Site("modern", "杭州市生态环境局", "浙江省", "杭州市", "", "modern", "utf-8", "/")
    _modern_portal(site)
    _modern_list_pages(site, _modern_items(site))
    site.virtual("/zwgk/ndbg/archive/list_1.html", "trap", 200, dynamic="trap", content_type="text/html; charset=utf-8")
    return site


_GZ = {"content_encoding": "gzip"}


def _modern_portal(site: Site) -> None:
    """The modern site around its report column: home (cookies), 政务公开, policy documents."""
    gz = _GZ
    site.add("/robots.txt", "User-agent: *\nDisallow: /hdjl/\n", "robots", "text/plain")
    site.add("/", """<!doctype html><html><head><meta charset="utf-8"><title>杭州市生态环境局</title></head><body>
<nav><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/hdjl/">互动交流</a><a href="/search?q=">搜索</a></nav>
<footer>网站标识码：3301000014</footer></body></html>""", "home", cookies=True, **gz)
    site.add("/zwgk/", """<!doctype html><html><head><meta charset="utf-8"><title>政务公开</title></head><body>
<ul class="menu"><li><a href="/zwgk/ndbg/" title="政府信息公开年度报告">信息公开年度报告</a></li>
<li><a href="/zwgk/zcwj/">政策文件</a></li><li><a href="/zwgk/ndbg/archive/list_1.html">年报资料汇编</a></li></ul></body></html>""",
             "column", **gz)
    site.add("/zwgk/zcwj/", """<!doctype html><html><head><meta charset="utf-8"><title>政策文件</title></head><body>
<ul><li><a href="/zwgk/zcwj/202401/t20240101_1.html">关于印发《杭州市生态环境保护工作要点》的通知</a></li></ul></body></html>""", "list", **gz)
    site.add("/zwgk/zcwj/202401/t20240101_1.html", modern_article(site, "关于印发《杭州市生态环境保护工作要点》的通知",
             "<p>各区县（市）生态环境分局：现将工作要点印发给你们，请认真贯彻执行。</p>" * 3, "2024-01-01"), "other", **gz)


def _modern_items(site: Site) -> list[tuple[str, str, str]]:
    """The reports (2022 answers 503 first; 2019's link title cut), news and 图解 look-alikes: list items."""
    gz = _GZ
    agency = site.info["agency"]
    items: list[tuple[str, str, str]] = []
    for n, year in enumerate((2024, 2023, 2022, 2021, 2020, 2019)):
        report = make_report(agency, year, 300 + year)
        pub = f"{year + 1}-01-{18 + n:02d}"
        path = f"/zwgk/ndbg/{year + 1}01/t{year + 1}01{18 + n:02d}_{9000 + n}.html"
        extra: dict[str, Any] = {}
        if year == 2022:
            extra["flaky"] = True  # first answer 503, then 200
        site.add(path, modern_article(site, report.title, as_html(report) + f"<p>{agency}</p><p>{pub}</p>", pub),
                 "report", is_report=True, year=year, format=report.fmt, figures=_figures(report), title=report.title,
                 **gz, **extra)
        # Lists often cut long titles: the 2019 report's link says only "…2019年政府信息公开工…"
        items.append((path, report.title if year != 2019 else report.title[:16] + "…", pub))
    news = "/zwgk/ndbg/202402/t20240205_9100.html"  # news filed in the report column
    site.add(news, modern_article(site, "市生态环境局召开2024年度政务公开工作推进会",
                                  "<p>会议总结了去年工作，部署了今年的重点任务。</p>" * 4, "2024-02-05"), "distractor", **gz)
    items.insert(0, (news, "市生态环境局召开2024年度政务公开工作推进会", "2024-02-05"))
    for n, title in enumerate(("图解：杭州市生态环境局2023年政府信息公开工作年度报告",
                               "一图读懂《杭州市生态环境局2022年政府信息公开工作年度报告》")):
        path = f"/zwgk/ndbg/2024/jd{n}.html"
        site.add(path, modern_article(site, title, "<p>本图解对年度报告的主要内容作简要说明。</p>" * 4, "2024-01-30"),
                 "distractor", **gz)
        items.insert(1 + 3 * n, (path, title, "2024-01-30"))
    return items


def _modern_list_pages(site: Site, items: list[tuple[str, str, str]]) -> None:
    """The report list in pages of four with 上一页/下一页 and numbered links; page 2 chunked."""
    gz = _GZ
    pages = [items[i:i + 4] for i in range(0, len(items), 4)]
    for page_no, page_items in enumerate(pages):
        lis = "".join(f'<li><a href="{h}">{html.escape(t)}</a><span class="date">{d}</span></li>' for h, t, d in page_items)
        nav = []
        if page_no:
            nav.append(f'<a href="{"index.html" if page_no == 1 else f"index_{page_no}.html"}">上一页</a>')
        nav += [f'<a href="{"index.html" if i == 0 else f"index_{i + 1}.html"}">{i + 1}</a>' for i in range(len(pages))]
        if page_no < len(pages) - 1:
            nav.append(f'<a href="index_{page_no + 2}.html">下一页</a>')
        body = f"""<!doctype html><html><head><meta charset="utf-8"><title>信息公开年度报告</title></head><body>
<nav class="crumb"><a href="/">首页</a> / <a href="/zwgk/">政务公开</a> / 信息公开年度报告</nav>
<ul class="list">{lis}</ul><div class="pagination">{' '.join(nav)}</div></body></html>"""
        path = "/zwgk/ndbg/" if page_no == 0 else f"/zwgk/ndbg/index_{page_no + 1}.html"
        extra_list: dict[str, Any] = {"chunked": True} if page_no == 1 else dict(gz)
        site.add(path, body, "list", **extra_list)


def build_liar() -> Site:
    """A city bureau whose HTTP header says UTF-8 while the bytes are GBK; its 2021 report is seed 001."""
    site = Site("liar", "安顺市应急管理局", "贵州省", "安顺市", "", "trs", "gbk", "/")
    lying = "text/html; charset=utf-8"
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", "robots", "text/plain", encoding="ascii")
    site.add("/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>安顺市应急管理局</title></head>
<body><a href="/xxgk/">信息公开</a> <a href="/xwzx/">新闻中心</a><div>网站标识码：5204000002</div></body></html>""", "home", lying)
    site.add("/xxgk/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>信息公开</title></head>
<body><a href="/xxgk/xxgknb/">政府信息公开年报</a> <a href="/xxgk/zcwj/">政策文件</a></body></html>""", "column", lying)
    seed1 = (SEEDS_TEXT / "seed001.txt").read_text(encoding="utf-8").split("\n", 1)[1]
    agency = site.info["agency"]
    title21 = f"{agency}2021年政府信息公开工作年度报告"
    body21 = "".join(f"<p>{html.escape(line)}</p>" for line in seed1.split("\n") if line.strip())
    site.add("/xxgk/xxgknb/202201/t20220125_7001.html", trs_article(site, title21, body21, "2022-01-25", "政府信息公开年报"),
             "report", lying, is_report=True, year=2021, format="2021", title=title21, seed="001")
    report = make_report(agency, 2022, 402)
    site.add("/xxgk/xxgknb/202301/t20230120_7002.html",
             trs_article(site, report.title, as_html(report), "2023-01-20", "政府信息公开年报"), "report", lying,
             is_report=True, year=2022, format=report.fmt, figures=_figures(report), title=report.title)
    site.add("/xxgk/xxgknb/", trs_list(site, "政府信息公开年报", [
        ("./202301/t20230120_7002.html", report.title, "2023-01-20"),
        ("./202201/t20220125_7001.html", title21, "2022-01-25")], 0, 1), "list", lying)
    return site


def build_big5() -> Site:
    """A Traditional-Chinese mirror in Big5 declared gb2312, and a UTF-8 page with seed 000's mojibake."""
    import opencc

    s2t = opencc.OpenCC("s2t")
    site = Site("big5", "遂溪縣應急管理局", "廣東省", "湛江市", "遂溪縣", "trs", "big5", "/")
    site.add("/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>遂溪縣應急管理局</title></head>
<body><a href="/zwgk/">政務公開</a> <a href="/xwzx/">新聞中心</a></body></html>""", "home")
    site.add("/zwgk/", """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>政務公開</title></head>
<body><a href="/zwgk/gknb/">政府信息公開年報</a></body></html>""", "column")
    items = []
    agency = site.info["agency"]
    for n, year in enumerate((2023, 2022)):
        report = make_report("遂溪县应急管理局", year, 500 + year)
        title = s2t.convert(report.title)
        page = s2t.convert(trs_article(site, title, as_html(report), f"{year + 1}-01-20", "政府信息公開年報"))
        page = "".join(ch for ch in page if _big5(ch))
        path = f"/zwgk/gknb/{year + 1}01/t{year + 1}0120_{8000 + n}.html"
        site.add(path, page, "report",
                 is_report=True, year=year, format=report.fmt, figures=_figures(report), title=title)
        items.append((f"./{year + 1}01/t{year + 1}0120_{8000 + n}.html", title, f"{year + 1}-01-20"))
    seed0 = (SEEDS_TEXT / "seed000.txt").read_text(encoding="utf-8")
    title24 = f"{agency}2024年政府信息公開工作年度報告"
    body24 = "".join(f"<p>{line}</p>" for line in seed0.split("\n") if line.strip())  # as found: with its damage
    page = trs_article(site, title24, body24, "2025-01-22", "政府信息公開年報").replace("charset=gb2312", "charset=utf-8")
    site.add("/zwgk/gknb/202501/t20250122_8010.html", page, "report", "text/html; charset=utf-8", encoding="utf-8",
             is_report=True, year=2024, format="2021", title=title24, seed="000", mojibake=True)
    items.insert(0, ("./202501/t20250122_8010.html", title24, "2025-01-22"))
    listing = s2t.convert(trs_list(site, "政府信息公開年報", items, 0, 1))
    site.add("/zwgk/gknb/", "".join(ch for ch in listing if _big5(ch)), "list")
    return site


def _big5(ch: str) -> bool:
    try:
        ch.encode("big5")
    except UnicodeEncodeError:
        return False
    return True


def build_blocked() -> Site:
    """A provincial department behind a 瑞数-style appliance: every answer is HTTP 412 with a $_ts script."""
    site = Site("blocked", "贵州省生态环境厅", "贵州省", "", "", "ruishu", "utf-8", "/", blocked="ruishu")
    site.virtual("/", "blocked", 412, dynamic="ruishu")
    return site


def build_jiasule() -> Site:
    """A county bureau behind 加速乐: every answer is HTTP 521 with a script setting __jsl_clearance_s."""
    site = Site("jiasule", "湖州市吴兴区市场监督管理局", "浙江省", "湖州市", "吴兴区", "trs", "utf-8", "/",
                blocked="jiasule")
    site.virtual("/", "blocked", 521, dynamic="jiasule")
    return site


def build_aggregator() -> Site:
    """The provincial portal's 年报 column: its own report plus links to other agencies' report columns."""
    site = Site("aggregator", "贵州省人民政府", "贵州省", "", "", "trs", "utf-8", "/zwgk/zfxxgknb/", kind="aggregator")
    report = make_report("贵州省人民政府", 2023, 600)
    path = "/zwgk/zfxxgknb/202403/t20240320_9901.html"
    site.add(path, trs_article(site, report.title, as_html(report), "2024-03-20", "政府信息公开年报"), "report",
             is_report=True, year=2023, format=report.fmt, figures=_figures(report), title=report.title)
    site.add("/zwgk/zfxxgknb/", f"""<html><head><meta charset="utf-8"><title>政府信息公开年报_贵州省人民政府</title></head><body>
<h2>省政府年报</h2><ul><li><a href="./202403/t20240320_9901.html">{report.title}</a></li></ul>
<h2>各地各部门年报</h2><ul>
<li><a href="http://__HOST_trs__/zwgk/zfxxgknb/">安顺市西秀区人民政府政府信息公开年报</a></li>
<li><a href="http://__HOST_liar__/xxgk/xxgknb/">安顺市应急管理局政府信息公开年报</a></li>
</ul><script>createPageHTML(1, 0, "index", "html");</script></body></html>""", "list")
    return site


def build_county() -> Site:
    """A county government whose reports change between nights (the server's night switch): 2024 edited
    on night 1 (a figure and a paragraph), 2023's page template different every night with the same
    report, 2022 deleted on night 1 (404, its list link left dead), 2021 a copy of 2020 with minor
    changes, 2020 published after its deadline. Nothing for 2025: missing once 31 March 2026 passed."""
    site = Site("county", "新昌县人民政府", "浙江省", "绍兴市", "新昌县", "trs", "utf-8", "/")
    site.add("/", """<html><head><meta charset="utf-8"><title>新昌县人民政府</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/zwgk/">政府信息公开</a></div>
<div class="footer">网站标识码：3306240001</div></body></html>""", "home")
    site.add("/zwgk/", """<html><head><meta charset="utf-8"><title>政府信息公开_新昌县人民政府</title></head><body>
<div class="left"><a href="/zwgk/ndbg/">政府信息公开年度报告</a></div></body></html>""", "column")
    published = {2024: "2025-03-20", 2023: "2024-03-25", 2022: "2023-03-10", 2021: "2022-03-15", 2020: "2021-05-20"}
    items = []
    for n, (year, pub) in enumerate(published.items()):
        path = f"/zwgk/ndbg/{pub[:7].replace('-', '')}/t{pub.replace('-', '')}_{88000 + n}.html"
        report = make_report(site.info["agency"], year, 800 + year)
        prose = county_prose(year, 2020 if year == 2021 else None)
        extra: dict[str, Any] = {"published": pub, "late": year == 2020}
        if year == 2021:
            extra["copy_of_year"] = 2020
        if year == 2022:
            extra["nights"] = {"1": {"status": 404, "file": None}}
        if year == 2023:
            extra["nightly_template"] = NIGHTLY_TEMPLATE
        html_page = _county_page(site, report, prose, pub, nightly=year == 2023)
        doc = site.add(path, html_page, "report", is_report=True, year=year, format=report.fmt,
                       figures=_figures(report), title=report.title, **extra)
        if year == 2024:
            _county_edit(site, doc, report, prose, pub)
        items.append((path, report.title, pub))
    site.add("/zwgk/ndbg/", trs_list(site, "政府信息公开年度报告", items, 0, 1), "list")
    return site


def _county_page(site: Site, report: Report, prose: list[str], pub: str, nightly: bool = False) -> str:
    """A report page: the standard form with the county's own paragraphs in section 一; with `nightly`, the
    template's counter, navigation and clock filled in by the server differently every night."""
    own = "".join(f"<p>{html.escape(p)}</p>" for p in prose)
    body = as_html(report).replace("</p>\n<p><strong>二、", f"</p>\n{own}\n<p><strong>二、", 1)
    page = trs_article(site, report.title, body, pub, "政府信息公开年度报告")
    if nightly:
        page = page.replace("</body></html>", "<!-- 生成时间：2026-11-20 00:00:00 --></body></html>")
    return page


# What the nightly page's template changes every night (the server fills in the night's values).
NIGHTLY_TEMPLATE = [['<span id="count">126</span>', '<span id="count">{count}</span>'],
                    ['<a href="/search/search.jsp?keyword=">站内搜索</a>', '<a href="/zwgk/?v={night}">站内导航{night}</a>'],
                    ["生成时间：2026-11-20 00:00:00", "生成时间：2026-11-{day} 0{hour}:00:00"]]


def _county_edit(site: Site, doc: Doc, report: Report, prose: list[str], pub: str) -> None:
    """The 2024 report as edited on night 1: the 行政许可 figure corrected and one paragraph rewritten."""
    row = next(i for i, r in enumerate(report.article20) if r[1] == "行政许可")
    old = int(report.article20[row][2])
    report.article20[row] = (*report.article20[row][:2], str(old + 100), *report.article20[row][3:])
    edited = [*prose]
    edited[1] = f"{prose[1][:-1]}其中{len(prose[1]) % 9 + 2}条建议已被采纳并写入相关实施方案。"
    variant = f"{doc['path'].rsplit('.', 1)[0]}_v2.html"
    file = SITES / site.info["id"] / variant.lstrip("/")
    file.write_bytes(_county_page(site, report, edited, pub).encode("utf-8"))
    doc["nights"] = {"1": {"file": str(file.relative_to(SITES)), "status": 200}}
    doc["edit"] = {"night": 1, "figure": {"row": "行政许可", "old": old, "new": old + 100},
                   "paragraph": {"old": prose[1], "new": edited[1]}}


def build() -> dict[str, Any]:
    """Rebuild every site and write manifest.json; returns the manifest."""
    if SITES.exists():
        shutil.rmtree(SITES)
    sites = [build_trs(), build_hanweb(), build_modern(), build_liar(), build_big5(), build_blocked(), build_aggregator(),
             build_jiasule(), build_county()]
    manifest = {"version": 1, "sites": [s.info for s in sites], "documents": [d for s in sites for d in s.docs]}
    (HERE / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    result = build()
    print(f"{len(result['sites'])} sites, {len(result['documents'])} documents → {SITES}")
