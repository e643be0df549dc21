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
