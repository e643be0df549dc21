from matching.specs import compare, parse


def test_voltages_sections_and_ranges():
    need = parse("YJV22 8.7/15kV 3×240")
    offer = parse("YJV22 8.7/15kV 3×35~3×400mm²")
    assert need.voltages == {"8.7/15kv"}
    assert need.sections == [(240.0, 240.0)]
    assert offer.sections[0] == (35.0, 400.0)
    fit = compare(need, offer)
    assert fit.mismatched == [] and len(fit.matched) == 2
    assert fit.score == 1.0


def test_a_wrong_voltage_is_a_mismatch():
    fit = compare(parse("YJV 26/35kV 1×400"), parse("0.6/1kV，YJV、YJV22，规格1×1.5~4×400"))
    assert fit.mismatched and fit.score < 1.0


def test_pipe_sizes_grades_capacity_and_protection():
    assert compare(parse("DN400 PN10"), parse("DN50~DN800")).score == 1.0
    assert compare(parse("DN1000"), parse("DN50~DN800")).score == 0.0
    assert compare(parse("HRB400 Φ12"), parse("HRB400E Φ12~Φ32")).score == 1.0  # E satisfies
    assert compare(parse("HRB400E"), parse("HRB400")).score == 0.0
    assert compare(parse("P.O 42.5 散装"), parse("P.O 42.5 袋装")).score == 1.0
    assert compare(parse("300kVA 在线式"), parse("200~400kVA")).score == 1.0
    assert compare(parse("51.2V 200Ah"), parse("48V/200Ah")).matched == ["Ah"]
    assert compare(parse("IP67"), parse("IP66")).score == 0.0
    assert compare(parse("IP65"), parse("IP67")).score == 1.0


def test_nothing_comparable_is_neutral():
    assert compare(parse("红色"), parse("蓝色")).score == 0.5


def test_energy_classes_and_transformer_series():
    assert compare(parse("能效不低于一级能效"), parse("SCB13 三级能效")).mismatched == ["1级能效"]
    assert compare(parse("二级能效"), parse("一级能效")).score == 1.0
    assert compare(parse("SCB18-800/10"), parse("SCB13-30~2500kVA/10kV")).mismatched == ["SCB18"]


def test_a_contradiction_weighs_more_than_a_match():
    fit = compare(parse("YJV 26/35kV 1×400"), parse("0.6/1kV 1×1.5~4×400"))
    assert fit.matched == ["截面"] and fit.mismatched == ["26/35kv"]
    assert fit.score < 0.5
