"""Report texts for the demo portals: the national formats with figures that satisfy the format's own sums.

Only used by `crawler.demo.build` (the generated pages are committed); kept importable so tests can
regenerate the expected figures.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

APPLICANT_COLUMNS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
RESULT_ROWS = (
    "（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "（三）不予公开 1.属于国家秘密", "（三）不予公开 2.其他法律行政法规禁止公开", "（三）不予公开 3.危及“三安全一稳定”",
    "（三）不予公开 4.保护第三方合法权益", "（三）不予公开 5.属于三类内部事务信息", "（三）不予公开 6.属于四类过程性信息",
    "（三）不予公开 7.属于行政执法案卷", "（三）不予公开 8.属于行政查询事项",
    "（四）无法提供 1.本机关不掌握相关政府信息", "（四）无法提供 2.没有现成信息需要另行制作", "（四）无法提供 3.补正后申请内容仍不明确",
    "（五）不予处理 1.信访举报投诉类申请", "（五）不予处理 2.重复申请", "（五）不予处理 3.要求提供公开出版物",
    "（五）不予处理 4.无正当理由大量反复申请", "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "（六）其他处理 3.其他",
)
REVIEW_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@dataclass
class Report:
    """One report: its sections, its figures (label → value) and the format it follows."""

    agency: str
    year: int
    fmt: str  # 2021 | 2019 | pre2019
    sections: list[tuple[str, str]] = field(default_factory=list)
    article20: list[tuple[str, ...]] = field(default_factory=list)  # rows of the 第二十条 table
    applications: list[tuple[str, ...]] = field(default_factory=list)  # label + 7 values
    review: tuple[int, ...] = ()  # 15 figures
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"


def _applications(rng: random.Random) -> list[tuple[str, ...]]:
    cols = 6
    new = [rng.randint(0, 30) if c == 0 else rng.randint(0, 4) for c in range(cols)]
    carried = [rng.randint(0, 3) if c == 0 else 0 for c in range(cols)]
    rows: list[tuple[str, list[int]]] = [("一、本年新收政府信息公开申请数量", new), ("二、上年结转政府信息公开申请数量", carried)]
    available = [n + c for n, c in zip(new, carried, strict=True)]
    forward = [min(a, rng.randint(0, 2)) for a in available]
    to_split = [a - f for a, f in zip(available, forward, strict=True)]
    results = [[0] * cols for _ in RESULT_ROWS]
    for c in range(cols):
        remaining = to_split[c]
        for r in range(len(RESULT_ROWS)):
            if remaining == 0:
                break
            take = remaining if r == len(RESULT_ROWS) - 1 else min(remaining, rng.choice([0, 0, 1, remaining, remaining // 2]))
            results[r][c] += take
            remaining -= take
        results[0][c] += remaining
    rows += [(f"三、本年度办理结果 {label}", values) for label, values in zip(RESULT_ROWS, results, strict=True)]
    rows.append(("三、本年度办理结果 （七）总计", to_split))
    rows.append(("四、结转下年度继续办理", forward))
    return [(label, *map(str, values), str(sum(values))) for label, values in rows]


def _review(rng: random.Random) -> tuple[int, ...]:
    out: list[int] = []
    for _ in range(3):
        parts = [rng.randint(0, 2), rng.randint(0, 1), 0, rng.randint(0, 1)]
        out += [*parts, sum(parts)]
    return tuple(out)


def make_report(agency: str, year: int, seed: int, county: str = "") -> Report:
    """A plausible report of `agency` on `year`, deterministic for `seed`."""
    rng = random.Random(seed)
    fmt = "2021" if year >= 2021 else ("2019" if year >= 2019 else "pre2019")
    report = Report(agency=agency, year=year, fmt=fmt)
    published = rng.randint(230, 280)
    report.sections = [
        ("一、总体情况", f"{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
                   f"全年通过门户网站主动公开政府信息{published}条，其中机构职能{rng.randint(3, 9)}条、"
                   f"政策文件{rng.randint(10, 40)}条、工作动态{rng.randint(100, 180)}条。（一）加强组织领导。调整政务公开工作领导小组，"
                   "明确专人负责。（二）规范依申请公开。严格按照法定时限答复，做到件件有回复。"),
    ]
    if fmt == "pre2019":
        report.sections += _pre2019_sections(rng, published)
        return report
    _article20(report, rng)
    report.applications = _applications(rng)
    report.review = _review(rng)
    totals = {row[0]: int(row[-1]) for row in report.applications}
    report.figures["本年新收.总计"] = totals["一、本年新收政府信息公开申请数量"]
    report.figures["办理结果总计.总计"] = totals["三、本年度办理结果 （七）总计"]
    report.figures["行政复议.总计"] = report.review[4]
    report.sections += [
        ("二、主动公开政府信息情况", "TABLE:article20"),
        ("三、收到和处理政府信息公开申请情况", "TABLE:applications"),
        ("四、政府信息公开行政复议、行政诉讼情况", "TABLE:review"),
        ("五、存在的主要问题及改进情况", "一是公开内容还不够全面；二是解读形式较为单一。下一步将加强培训，提升公开质量。"),
        ("六、其他需要报告的事项", f"本年度未收取信息处理费。{agency}{year}年度政务公开工作要点落实情况已在门户网站公开。"),
    ]
    return report


def _pre2019_sections(rng: random.Random, published: int) -> list[tuple[str, str]]:
    """Sections 二-六 of a report in the pre-2019 form: prose only."""
    return [
        ("二、主动公开政府信息情况", f"全年主动公开政府信息{published}条，其中通过政府网站公开{published - 12}条，政务微博公开12条。"),
        ("三、依申请公开情况", f"全年共收到政府信息公开申请{rng.randint(1, 9)}件，其中当面申请2件、网络申请其余，均已按时答复。"),
        ("四、因政府信息公开申请行政复议、提起行政诉讼的情况", "全年未发生因政府信息公开申请提起行政复议、行政诉讼的情况。"),
        ("五、存在的主要问题及改进措施", "信息公开的及时性还需提高。下一步将加强培训，完善制度。"),
        ("六、其他需要报告的事项", "本年度未收取信息处理费。"),
    ]


def _article20(report: Report, rng: random.Random) -> None:
    """Section 二's table (第二十条) of the 2019 or 2021 form, and the figures it carries."""
    if report.fmt == "2021":
        regs = [rng.randint(0, 3) for _ in range(3)]
        norms = [rng.randint(0, 8), rng.randint(0, 2), rng.randint(10, 40)]
        permit, punish, force = rng.randint(50, 900), rng.randint(0, 60), rng.randint(0, 10)
        fee = round(rng.uniform(0, 80), 2)
        report.article20 = [("第二十条第（一）项", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
                            ("第二十条第（一）项", "规章", *map(str, regs)),
                            ("第二十条第（一）项", "行政规范性文件", *map(str, norms)),
                            ("第二十条第（五）项", "行政许可", str(permit), "", ""),
                            ("第二十条第（六）项", "行政处罚", str(punish), "", ""),
                            ("第二十条第（六）项", "行政强制", str(force), "", ""),
                            ("第二十条第（八）项", "行政事业性收费", f"{fee:g}", "", "")]
        report.figures.update({"规章.本年制发件数": regs[0], "行政规范性文件.现行有效件数": norms[2],
                               "行政许可.本年处理决定数量": permit, "行政处罚.本年处理决定数量": punish})
    else:
        made, opened = rng.randint(0, 10), rng.randint(0, 10)
        report.article20 = [("第二十条第（一）项", "信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"),
                            ("第二十条第（一）项", "规章", "0", "0", "0"),
                            ("第二十条第（一）项", "规范性文件", str(made), str(opened), str(opened + 20)),
                            ("第二十条第（五）项", "行政许可", str(rng.randint(5, 30)), "0", "0"),
                            ("第二十条第（九）项", "政府集中采购", str(rng.randint(1, 9)), f"{rng.randint(10, 900)}", "")]
        report.figures["规范性文件.本年新制作数量"] = made


def review_header() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two header rows of the 复议/诉讼 table."""
    top = ("行政复议",) * 5 + ("行政诉讼",) * 10
    second = REVIEW_LABELS + tuple(f"未经复议直接起诉 {x}" for x in REVIEW_LABELS) + tuple(f"复议后起诉 {x}" for x in REVIEW_LABELS)
    return top, second


def as_html(report: Report) -> str:
    """The report body as a CMS editor stores it: paragraphs and real <table>s with rowspan/colspan."""
    parts: list[str] = []
    for heading, body in report.sections:
        parts.append(f"<p><strong>{heading}</strong></p>")
        if body == "TABLE:article20":
            rows = report.article20
            html = ['<table border="1">', f'<tr><td colspan="5">{rows[0][0]}</td></tr>',
                    "<tr>" + "".join(f"<td>{c}</td>" for c in rows[0][1:]) + "</tr>"]
            for row in rows[1:]:
                cells = [c for c in row[2:] if c != ""]
                span = "" if len(cells) == 3 else ' colspan="3"'
                html.append(f"<tr><td>{row[1]}</td>" + "".join(f"<td{span}>{c}</td>" for c in cells) + "</tr>")
            html.append("</table>")
            parts.append("".join(html))
        elif body == "TABLE:applications":
            head = ('<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
                    '<td colspan="7">申请人情况</td></tr><tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td>'
                    '<td rowspan="2">总计</td></tr><tr>' + "".join(f"<td>{c}</td>" for c in APPLICANT_COLUMNS[1:6]) + "</tr>")
            body_rows = "".join(f'<tr><td colspan="3">{row[0]}</td>' + "".join(f"<td>{v}</td>" for v in row[1:]) + "</tr>"
                                for row in report.applications)
            parts.append(f'<table border="1">{head}{body_rows}</table>')
        elif body == "TABLE:review":
            head = ('<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr><tr>'
                    + "".join(f'<td rowspan="2">{x}</td>' for x in REVIEW_LABELS)
                    + '<td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr><tr>'
                    + "".join(f"<td>{x}</td>" for x in REVIEW_LABELS * 2) + "</tr>")
            parts.append(f'<table border="1">{head}<tr>' + "".join(f"<td>{v}</td>" for v in report.review)
                         + "</tr></table>")
        else:
            parts.append(f"<p>{body}</p>")
    return "\n".join(parts)


def as_lines(report: Report) -> list[str]:
    """The report as text lines, tables one row per line, cells separated by tabs (PDF/DOCX source)."""
    lines = [report.title]
    for heading, body in report.sections:
        lines.append(heading)
        if body == "TABLE:article20":
            lines += ["\t".join(c for c in row if c) for row in report.article20]
        elif body == "TABLE:applications":
            lines.append("\t".join(APPLICANT_COLUMNS))
            lines += ["\t".join(row) for row in report.applications]
        elif body == "TABLE:review":
            lines.append("\t".join(review_header()[1]))
            lines.append("\t".join(map(str, report.review)))
        else:
            lines.append(body)
    lines.append(report.agency)
    lines.append(f"{report.year + 1}年1月20日")
    return lines


# --- the nightly site's own prose ---------------------------------------------------------------------------

_PLACES = ("城南片区", "七星街道", "儒岙镇", "沙溪镇", "回山镇", "大市聚镇", "羽林街道", "澄潭街道", "镜岭镇",
           "小将镇", "东茗乡", "双彩乡")
_WORKS = ("老旧小区改造", "农村饮用水提标", "义务教育招生", "医保待遇调整", "征地补偿安置", "企业纾困资金",
          "防汛防台应急", "垃圾分类收运", "农房建设审批", "殡葬改革", "耕地保护补偿", "养老服务补贴")
_MEANS = ("在门户网站开设专题专栏逐项晒出实施方案", "通过村务公开栏张贴政策原文", "组织部门负责人走进直播间在线答疑",
          "编印口袋书发放到网格员手中", "邀请人大代表和政协委员列席会议", "建立周报制度每周五更新办理进度",
          "借助“浙里办”推送个性化提醒", "召开听证会听取利害关系人陈述", "在乡镇便民服务中心设置查阅点",
          "制作短视频在县融媒体中心播出", "开展“公开日”活动请群众走进机关", "委托第三方机构开展满意度测评")
_FRAMES = ("围绕{place}{work}，{means}，收到意见建议{n}条。", "{place}推进{work}期间，我们{means}，群众来电{n}次均已答复。",
           "就{work}这一热点，{place}{means}，共有{n}人次参与。", "对{place}的{work}事项，坚持{means}，回应关切{n}件。")
_YEARS = (2020, 2022, 2023, 2024)


def county_prose(year: int, copy_of: int | None = None) -> list[str]:
    """Paragraphs of the nightly site's own work in `year`: specific to the county, in words of that year's
    own (places, matters, means and phrasing differ from year to year); with `copy_of`, that year's
    paragraphs with the year replaced and one paragraph rewritten (the copy an agency files when it
    reuses last year's report)."""
    if copy_of is not None:
        paragraphs = [p.replace(f"{copy_of}年", f"{year}年") for p in county_prose(copy_of)]
        paragraphs[-1] = f"{year}年还对{_PLACES[0]}的{_WORKS[0]}信息作了补充公开，群众反映良好。"
        return paragraphs
    k = _YEARS.index(year) if year in _YEARS else year % len(_YEARS)
    rng = random.Random(7000 + year)
    combos = [(p, w, m) for p in _PLACES[3 * k:3 * k + 3] for w in _WORKS[3 * k:3 * k + 3]
              for m in _MEANS[3 * k:3 * k + 3]]
    rng.shuffle(combos)
    return [_FRAMES[k].format(place=place, work=work, means=means, n=rng.randint(12, 260))
            for place, work, means in combos[:9]]
