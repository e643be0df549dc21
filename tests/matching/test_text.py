import pytest

from matching.text import fold, head_noun, tokens


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("YJV", "交联聚乙烯绝缘电力电缆"),
        ("PLC", "可编程控制器"),
        ("UPS", "不间断电源"),
        ("PE管", "聚乙烯管材"),
        ("光缆", "光纤光缆"),
    ],
)
def test_synonyms_meet_their_canonical_form(variant, canonical):
    assert canonical in tokens(f"采购{variant}一批")
    assert canonical in tokens(canonical)


def test_full_width_and_case_are_folded():
    assert fold("ＹＪＶ２２　８．７／１５ｋＶ") == "yjv22 8.7/15kv"
    assert tokens("ＵＰＳ电源") == tokens("ups电源")


def test_quantities_and_model_codes_are_kept_whole():
    found = tokens("后备电源 6-GFM-100 17寸滚刀 DN65 51.2V 200Ah")
    assert {"6-gfm-100", "17寸", "dn65", "51.2v", "200ah"} <= set(found)
    assert "100" not in found  # bare numbers belong to the spec parser


def test_stop_words_are_dropped():
    assert "公司" not in tokens("本公司主营产品：电力电缆")
    assert "采购" not in tokens("采购消防水带")


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("400万像素网络枪型摄像机", "摄像机"),
        ("16路网络硬盘录像机", "录像机"),
        ("储能双向变流器", "变流器"),
        ("六轴工业机器人（负载20~50kg）", "工业机器人"),
    ],
)
def test_the_head_noun_says_what_a_product_is(name, head):
    assert head_noun(name).endswith(head)


def test_items_the_need_reuses_or_excludes_are_recognised():
    from matching.text import excluded_items

    text = "前端须400万像素及以上高清摄像机（枪机、球机均可）；硬盘录像机、立杆利旧。"
    assert excluded_items(text) == ["硬盘录像机", "立杆"]
    assert excluded_items("300kVA 在线式 后备时间30min（不含电池）") == ["电池"]
    assert head_noun("组合式消防柜") == "消防柜"  # a one-character head keeps its modifier
