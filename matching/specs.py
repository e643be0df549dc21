"""Specification attributes that decide fit, parsed from free text.

Each attribute is a set of values or a numeric range; comparing a need with an
offer says, per attribute present on both sides, whether they fit. A need for
``YJV22 8.7/15kV 3×240`` fits an offer of ``8.7/15kV 3×35~3×400``; it does not
fit ``0.6/1kV``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import fold

Range = tuple[float, float]


@dataclass
class Specs:
    voltages: set[str] = field(default_factory=set)  # "8.7/15kv", "450/750v", "10kv"
    sections: list[Range] = field(default_factory=list)  # mm² (per core)
    dn: list[Range] = field(default_factory=list)
    grades: set[str] = field(default_factory=set)  # q235b, hrb400e, p.o42.5
    capacities: dict[str, list[Range]] = field(default_factory=dict)  # unit → ranges
    ip: int | None = None
    energy_class: int | None = None  # 一级能效 = 1, the best

    def is_empty(self) -> bool:
        return not (
            self.voltages
            or self.sections
            or self.dn
            or self.grades
            or self.capacities
            or self.ip
            or self.energy_class
        )


_NUM = r"(\d+(?:\.\d+)?)"
_VOLT_PAIR = re.compile(_NUM + r"\s*/\s*" + _NUM + r"\s*(kv|v)\b")
_VOLT = re.compile(r"(?<![\d./])" + _NUM + r"\s*kv\b")
_SECTION_RANGE = re.compile(
    r"(\d+)\s*[×x*]\s*" + _NUM + r"\s*[~～\-—至]\s*(?:\d+\s*[×x*]\s*)?" + _NUM
)
_SECTION = re.compile(r"(?<![\d.])(\d+)\s*[×x*]\s*" + _NUM + r"(?!\s*(?:mm|m\b|米|cm))")
_SECTION_MM2 = re.compile(_NUM + r"\s*(?:[~～\-—至]\s*" + _NUM + r"\s*)?(?:mm²|mm2|平方|㎡)")
_DN = re.compile(r"dn\s*" + _NUM + r"(?:\s*[~～\-—至]\s*(?:dn)?\s*" + _NUM + r")?")
_GRADE = re.compile(r"\b(q\d{3}[a-e]?|hrb\d{3}e?|hpb\d{3}|hrbf\d{3}e?|p\.?\s*[oc]\s*\d{2}\.5r?)\b")
_CAPACITY = re.compile(_NUM + r"(?:\s*[~～\-—至]\s*" + _NUM + r")?\s*(kva|kw|kwh|mwh|ah|w)\b(?!h)")
_IP = re.compile(r"\bip\s*(\d{2})\b")
_ENERGY = re.compile(r"([一二三四五12345])\s*级能效")
_CLASS_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
# Transformer series (SCB13, SCB18, S20): the number is the efficiency generation.
_SERIES = re.compile(r"\b(scb|sc|s)(\d{2})(?=-|\b|型)")


_UNIT_LABELS = {"kva": "kVA", "kw": "kW", "kwh": "kWh", "mwh": "MWh", "ah": "Ah", "w": "W"}


def _span(low: str, high: str | None) -> Range:
    a = float(low)
    b = float(high) if high else a
    return (min(a, b), max(a, b))


def parse(text: str | None) -> Specs:
    value = fold(text).replace("，", ",")
    specs = Specs()
    for a, b, unit in _VOLT_PAIR.findall(value):
        specs.voltages.add(f"{float(a):g}/{float(b):g}{unit}")
    stripped = _VOLT_PAIR.sub(" ", value)
    for a in _VOLT.findall(stripped):
        specs.voltages.add(f"{float(a):g}kv")
    for _cores, low, high in _SECTION_RANGE.findall(value):
        specs.sections.append(_span(low, high))
    if not specs.sections:
        for _cores, size in _SECTION.findall(value):
            if float(size) >= 0.5:
                specs.sections.append(_span(size, None))
    for low, high in _SECTION_MM2.findall(value):
        specs.sections.append(_span(low, high or None))
    for low, high in _DN.findall(value):
        specs.dn.append(_span(low, high or None))
    for grade in _GRADE.findall(value):
        specs.grades.add(re.sub(r"\s+", "", grade))
    for low, high, unit in _CAPACITY.findall(value):
        specs.capacities.setdefault(unit, []).append(_span(low, high or None))
    ip = _IP.findall(value)
    if ip:
        specs.ip = max(int(v) for v in ip)
    classes = [_CLASS_DIGITS.get(c, int(c) if c.isdigit() else 0) for c in _ENERGY.findall(value)]
    if classes:
        specs.energy_class = min(classes)
    for prefix, number in _SERIES.findall(value):
        specs.grades.add(f"{prefix}{number}")
    return specs


@dataclass
class Fit:
    matched: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        """1 when every shared attribute fits, 0.5 when nothing is comparable.

        A contradiction counts twice: a 0.6/1kV cable for a 26/35kV need is worse than
        a cable whose voltage is not given, whatever else fits.
        """
        total = len(self.matched) + 2 * len(self.mismatched)
        return 0.5 if total == 0 else len(self.matched) / total


def _inside(ranges_need: list[Range], ranges_offer: list[Range], slack: float = 0.0) -> bool:
    for low, high in ranges_need:
        for o_low, o_high in ranges_offer:
            if o_low * (1 - slack) <= low and high <= o_high * (1 + slack):
                return True
    return False


def _grade_fits(need: str, offer: set[str]) -> bool:
    # HRB400E satisfies a need for HRB400; not the other way round.
    return need in offer or any(o.rstrip("e") == need for o in offer if o.endswith("e"))


def compare(need: Specs, offer: Specs) -> Fit:
    fit = Fit()
    if need.voltages and offer.voltages:
        shared = need.voltages & offer.voltages
        (fit.matched if shared else fit.mismatched).append(
            "、".join(sorted(shared or need.voltages))
        )
    if need.sections and offer.sections:
        label = "截面"
        (fit.matched if _inside(need.sections, offer.sections) else fit.mismatched).append(label)
    if need.dn and offer.dn:
        (fit.matched if _inside(need.dn, offer.dn) else fit.mismatched).append("DN")
    if need.grades and offer.grades:
        ok = all(_grade_fits(g, offer.grades) for g in need.grades)
        (fit.matched if ok else fit.mismatched).append("、".join(sorted(need.grades)).upper())
    for unit, ranges in need.capacities.items():
        if unit in offer.capacities:
            ok = _inside(ranges, offer.capacities[unit], slack=0.1)
            (fit.matched if ok else fit.mismatched).append(_UNIT_LABELS.get(unit, unit))
    if need.ip and offer.ip:
        (fit.matched if offer.ip >= need.ip else fit.mismatched).append(f"IP{need.ip}")
    if need.energy_class and offer.energy_class:
        ok = offer.energy_class <= need.energy_class
        (fit.matched if ok else fit.mismatched).append(f"{need.energy_class}级能效")
    return fit
