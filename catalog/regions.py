"""Load the GB/T 2260 region table shipped in ``catalog/data/regions.csv``."""

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
