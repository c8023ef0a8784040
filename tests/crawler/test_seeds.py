"""Seeds CSV validation: bad files are refused before any fetch, naming the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.seeds import SeedsError, load_seeds, parse_seeds

GOOD = (
    "agency,province,city,county,url,kind,note\n"
    "遂溪县应急管理局,广东省,湛江市,遂溪县,http://www.suixi.gov.cn/,,县应急局\n"
    "广东省人民政府,广东省,,,https://www.gd.gov.cn/zwgk/ndbg/,aggregator,\n"
    "安顺市应急管理局,贵州省,安顺市,,http://yjj.anshun.gov.cn/zwgk/,,\n"
)


def test_good_seeds_keep_extra_columns() -> None:
    seeds = parse_seeds(GOOD.encode("utf-8"))
    assert [s.agency for s in seeds] == ["遂溪县应急管理局", "广东省人民政府", "安顺市应急管理局"]
    assert seeds[0].extra == {"note": "县应急局"}
    assert seeds[1].is_aggregator and not seeds[0].is_aggregator
    assert seeds[2].line == 4


def test_province_filter(tmp_path: Path) -> None:
    path = tmp_path / "seeds.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert {s.province for s in load_seeds(path, "广东省")} == {"广东省"}
    with pytest.raises(SeedsError, match="no seeds for province '四川省'"):
        load_seeds(path, "四川省")


def test_bom_is_accepted() -> None:
    assert len(parse_seeds(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (GOOD.replace(",county", "").encode("utf-8"), r"line 1: header lacks column\(s\) county"),
        (GOOD.encode("gbk"), r"line 2: not UTF-8"),
        (GOOD.replace("https://www.gd.gov.cn/zwgk/ndbg/", "www.gd.gov.cn").encode("utf-8"),
         r"line 3: the url 'www.gd.gov.cn' must start with http"),
        (GOOD.replace("http://yjj.anshun.gov.cn/zwgk/", "http://").encode("utf-8"), r"line 4: the url .* has no host"),
        (GOOD.replace(",aggregator,", ",portalx,").encode("utf-8"), r"line 3: kind 'portalx'"),
        (b"agency,province,city,county,url\n", r"no seed rows"),
    ],
)
def test_bad_seeds_name_the_line(data: bytes, message: str) -> None:
    with pytest.raises(SeedsError, match=message):
        parse_seeds(data, "seeds.csv")
