import pytest

from catalog.models import Region
from catalog.selectors import region_resolve

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("510600", "510600"),
        ("德阳", "510600"),
        ("德阳市", "510600"),
        (" 德阳市 ", "510600"),
        ("成都市新都区", "510114"),
        ("新都区", "510114"),
        ("新都", "510114"),
        ("四川省成都市新都区", "510114"),
        ("四川省", "510000"),
        ("四川", "510000"),
        ("广汉市", "510681"),
        ("德阳广汉市", "510681"),
        ("简阳市", "510185"),  # moved from 资阳 to 成都 in 2016
        ("雅安市雨城区", "511802"),
        ("眉山市仁寿县", "511421"),
        ("资阳市雁江区", "512002"),
        ("内江市市中区", "511002"),
        ("乐山市市中区", "511102"),
        ("北京市", "110000"),
        ("５１０１００", "510100"),  # full-width digits
    ],
)
def test_it_resolves_codes_and_names(text, code):
    region = region_resolve(text=text)
    assert region is not None, text
    assert region.code == code


@pytest.mark.parametrize("text", ["", "   ", "火星市", "999999", "5101", "市中区"])
def test_it_returns_none_for_unknown_or_ambiguous_text(text):
    assert region_resolve(text=text) is None


def test_the_region_table_covers_every_province_and_sichuan_down_to_counties():
    assert Region.objects.filter(level=Region.Level.PROVINCE).count() == 34
    sichuan = Region.objects.filter(parent_id="510000", level=Region.Level.PREFECTURE)
    assert sichuan.count() == 21
    assert set(sichuan.values_list("short_name", flat=True)) >= {
        "成都",
        "德阳",
        "眉山",
        "资阳",
        "雅安",
    }
    counties = Region.objects.filter(level=Region.Level.COUNTY, code__startswith="51")
    assert counties.count() == 183
    assert all(c.parent_id == c.code[:4] + "00" for c in counties)


def test_a_county_prints_with_its_city():
    assert str(Region.objects.get(code="510114")) == "成都市新都区"
    assert Region.objects.get(code="510114").prefecture_code == "510100"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("电线电缆", "电力电缆"),
        ("电力线缆", "电力电缆"),
        ("YJV电缆", "电力电缆"),
        ("NM.CABLE.POWER", "电力电缆"),
        ("Power cables", "电力电缆"),
        ("消防器材", "灭火器材"),
        ("UPS电源", "UPS电源"),
        ("PLC", "可编程控制器"),
    ],
)
def test_the_category_resolver_maps_names_codes_and_synonyms(text, name):
    from catalog.selectors import CategoryIndex

    category = CategoryIndex.load().resolve(text)
    assert category is not None, text
    assert category.name_zh == name


def test_classification_prefers_the_longest_most_specific_term():
    from catalog.selectors import CategoryIndex

    index = CategoryIndex.load()
    assert index.classify("YJV22 8.7/15kV 3×240 交联聚乙烯绝缘电力电缆").code == "NM.CABLE.POWER"
    assert index.classify("WDZ-BYJ 2.5平方 450/750V").code == "NM.CABLE.BUILDING_WIRE"
    assert index.classify("", "HRB400 Φ25 螺纹钢").code == "NM.STEEL.REBAR"


def test_the_seed_taxonomy_has_the_five_pillar_industries():
    from catalog.models import Category

    industries = set(Category.objects.filter(level="industry").values_list("name_zh", flat=True))
    assert {"电子信息", "装备制造", "医药健康", "新型材料", "绿色食品"} <= industries
    assert Category.objects.filter(level="category").count() > 100
