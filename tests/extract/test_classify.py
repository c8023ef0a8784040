"""Report titles versus the look-alikes real report columns carry."""

from __future__ import annotations

import pytest

from extract.classify import classify_title

REPORTS = [
    ("遂溪县应急管理局2024年政府信息公开工作年度报告", 2024),
    ("安顺市生态环境局2021年度政府信息公开工作年度报告", 2021),
    ("2023年政府信息公开年报", 2023),
    ("某某县人民政府办公室2019年政府信息公开工作年度报告（PDF）", 2019),
    ("遂溪縣應急管理局2024年政府信息公開工作年度報告", 2024),
    ("市发展改革委二〇二二年政府信息公开工作年度报告", 2022),
    ("2020年度政务公开年报", 2020),
    ("湛江市生态环境局关于2023年政府信息公开工作的年度报告", 2023),
    ("遂溪县统计局政府信息公开工作2022年度报告", 2022),
    ("德清县人民政府2023年度政府信息公开工作报告", 2023),
    ("吴兴区2023年政府信息公开工作年度报告（更正版）", 2023),
]
LOOKALIKES = [
    "某某县2023年法治政府建设年度报告",
    "某某县应急管理局2023年部门决算",
    "2024年部门预算公开",
    "关于做好2024年政府信息公开工作年度报告编制和发布工作的通知",
    "图解：2023年政府信息公开工作年度报告",
    "《2023年政府信息公开工作年度报告》解读",
    "某某县应急管理局2023年工作总结",
    "政府信息公开指南",
    "2024年政务公开工作要点",
    "关于报送2023年政府信息公开工作年度报告的通知",
    "某某县统计局2023年统计年报",
]


@pytest.mark.parametrize(("title", "year"), REPORTS)
def test_reports_are_recognised_with_their_year(title: str, year: int) -> None:
    verdict = classify_title(title)
    assert verdict.is_report, verdict
    assert verdict.year == year


@pytest.mark.parametrize("title", LOOKALIKES)
def test_lookalikes_are_not_reports(title: str) -> None:
    verdict = classify_title(title)
    assert not verdict.is_report, verdict
    assert any(reason.startswith("look-alike") for reason in verdict.reasons) or verdict.score < 0.6
