"""Matching quality on the labelled dev bundle, measured like the programme's evaluation tool.

Only a floor: the real figures (and the BM25 baseline) are in docs/benchmarks.md.
"""

import csv
import math
from collections import defaultdict

import pytest

from matching.selectors import match_export_rows

from .conftest import DEV_BUNDLE


def _labels() -> dict[str, dict[str, int]]:
    labels: dict[str, dict[str, int]] = defaultdict(dict)
    with (DEV_BUNDLE / "labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels[row["need_ref"]][row["offer_ref"]] = int(row["grade"])
    return labels


def ndcg_at_10(ranked: dict[str, list[str]], labels: dict[str, dict[str, int]]) -> float:
    total = 0.0
    for need, relevant in labels.items():
        listed = ranked.get(need, [])[:10]
        ideal = sorted(relevant.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        dcg = sum(relevant.get(o, 0) / math.log2(i + 2) for i, o in enumerate(listed))
        total += dcg / idcg if idcg else 0.0
    return total / len(labels)


@pytest.mark.django_db
def test_dev_bundle_ndcg_at_10_stays_above_the_floor(dev_world):
    ranked: dict[str, list[str]] = defaultdict(list)
    violations = []
    required = {}
    with (DEV_BUNDLE / "procurement.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            required[row["ref"]] = row["required_certifications"]
    rows = list(match_export_rows())
    for row in rows:
        ranked[row["need_ref"]].append(row["offer_ref"])
    score = ndcg_at_10(ranked, _labels())
    assert score >= 0.85, f"nDCG@10 fell to {score:.3f}"
    missing = [need for need in _labels() if not ranked[need]]
    assert missing == [], "labelled needs without a match"
    del violations, required


@pytest.mark.django_db
def test_every_match_explains_itself_in_chinese(dev_world):
    from matching.models import Match

    match = Match.objects.get(need_item__ref="P-0001", offer_product__ref="S-0167")
    assert match.rank == 1
    text = match.reasons_text
    assert "关键词匹配" in text and "消防水带" in text
    assert "资质齐全：消防产品认证" in text
