"""Seed data shipped in ``catalog/data/``: GB/T 2260 regions and the category taxonomy."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "regions.csv"


def load_regions(region_model: Any) -> int:
    """Insert or update every region; parents first (the file lists them first). Idempotent."""
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = {"province": 0, "prefecture": 1, "county": 2}
    rows.sort(key=lambda row: (order[row["level"]], row["code"]))
    for row in rows:
        region_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row["short_name"],
                "level": row["level"],
                "parent_id": row["parent_code"] or None,
            },
        )
    return len(rows)


CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"


def load_categories(category_model: Any) -> int:
    """Insert or update the seed taxonomy by code, parents first. Idempotent; keeps other nodes."""
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    order = {"industry": 0, "chain": 1, "category": 2}
    rows.sort(key=lambda row: (order[row["level"]], row["code"]))
    ids: dict[str, int] = {}
    for row in rows:
        node, _created = category_model.objects.update_or_create(
            code=row["code"],
            defaults={
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "level": row["level"],
                "parent_id": ids.get(row["parent_code"]) if row["parent_code"] else None,
                "synonyms": [s.strip() for s in row["synonyms"].split(";") if s.strip()],
            },
        )
        ids[row["code"]] = node.pk
    return len(rows)
