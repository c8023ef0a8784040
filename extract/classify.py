"""Is this title a 政府信息公开(工作)年度报告 of one agency for one year? With the year and the reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["LOOKALIKES", "Classification", "classify_title", "report_year"]

# Both scripts: Traditional mirrors publish 政府信息公開工作年度報告.
_REPORT = re.compile(r"(政府|政务|政務)?(信息|資訊|资讯)?(公开|公開)(工作)?(年度)?(报告|報告|年报|年報)")
# Also "…信息公开工作的年度报告" and "…信息公开工作2023年度报告" (the year inside the name).
_STRONG = re.compile(r"(政府)?(信息|資訊)(公开|公開)(工作)?的?((19|20)\d{2}|二[〇○零][〇○零一二三四五六七八九]{2})?"
                     r"年度(报告|報告)|(公开|公開)(年报|年報)|政务公开年报")
LOOKALIKES: tuple[tuple[str, str], ...] = (
    (r"法治政府", "法治政府建设年度报告"),
    (r"(预算|預算|决算|決算)", "部门预算/决算"),
    (r"(工作)?(总结|總結|要点|要點)", "工作总结/工作要点"),
    (
        r"(关于|關於).{0,30}(编制|編制|报送|報送|做好|发布|發佈).{0,30}(通知|函)|(通知|函)$",
        "a notice about the reports",
    ),
    (r"(解读|解讀|图解|圖解|一图读懂|一圖讀懂)", "an interpretation (解读) of a report"),
    (r"(指南|制度|目录|目錄|办法|辦法)$", "政府信息公开指南/制度"),
    (r"(统计|統計)(年报|年報|公报|公報)", "a statistical yearbook/bulletin"),
)
_YEAR = re.compile(r"(19[89]\d|20[0-4]\d)\s*(年度|年)?")
_CN_DIGITS = {"〇": "0", "○": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"二[〇○零][〇○零一二三四五六七八九]{2}年")


@dataclass(frozen=True)
class Classification:
    """Verdict on a title: report or not, a 0–1 score, the year reported on, and why."""

    is_report: bool
    score: float
    year: int | None
    reasons: tuple[str, ...]


def report_year(title: str) -> int | None:
    """The year a report title is about (2024年度 → 2024; 二〇二三年 → 2023)."""
    normalised = _CN_YEAR.sub(lambda m: "".join(_CN_DIGITS.get(ch, ch) for ch in m.group(0)), title)
    match = _YEAR.search(normalised)
    return int(match.group(1)) if match else None


@lru_cache(maxsize=65536)  # navigation titles repeat on every page of a portal
def classify_title(title: str) -> Classification:
    """Classify a title (link text, <title>, heading) as a disclosure annual report or not."""
    text = re.sub(r"\s+", "", title or "")
    reasons: list[str] = []
    year = report_year(text)
    score = 0.0
    if _STRONG.search(text):
        score += 0.7
        reasons.append("title names 信息公开年度报告/年报")
    elif _REPORT.search(text) and re.search(r"(公开|公開)", text):
        score += 0.45
        reasons.append("title names 公开 + 报告/年报")
    elif re.search(r"年度(报告|報告)|年(报|報)$", text):
        score += 0.2
        reasons.append("title names 年度报告 without 信息公开")
    if year is not None:
        score += 0.2
        reasons.append(f"year {year}")
    if re.search(r"(工作)?年度(报告|報告)$|(年报|年報)$", text):
        score += 0.1
        reasons.append("title ends with the report noun")
    for pattern, name in LOOKALIKES:
        if re.search(pattern, text):
            score -= 0.8
            reasons.append(f"look-alike: {name}")
    score = max(0.0, min(1.0, score))
    # A report is of one year: a report-like title without one names a column (政府信息公开年报).
    if year is None and score >= 0.6:
        reasons.append("no year: a column name rather than one report")
    return Classification(is_report=score >= 0.6 and year is not None, score=round(score, 2), year=year,
                          reasons=tuple(reasons))
