"""Server-rendered SVG bar charts: no JavaScript, no CDN."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from config.formatting import yuan

from .stats import Table

LABEL_WIDTH = 190
BAR_WIDTH = 420
ROW_HEIGHT = 24
MAX_BARS = 15


def bar_chart(table: Table) -> dict[str, Any] | None:
    """The geometry of a horizontal bar chart of a table's chart column (largest first)."""
    if table.chart is None or not table.rows:
        return None
    label_key, value_key = table.chart
    kind = next(c.kind for c in table.columns if c.key == value_key)
    rows = [(str(r.get(label_key) or ""), Decimal(r.get(value_key) or 0)) for r in table.rows]
    rows = rows[:MAX_BARS]
    top = max((v for _, v in rows), default=Decimal(0))
    bars = []
    for index, (label, value) in enumerate(rows):
        width = int(BAR_WIDTH * value / top) if top > 0 else 0
        bars.append(
            {
                "label": label if len(label) <= 14 else label[:13] + "…",
                "title": label,
                "value": yuan(value) if kind == "money" else f"{int(value):,}",
                "y": index * ROW_HEIGHT,
                "text_y": index * ROW_HEIGHT + 16,
                "width": max(width, 1 if value > 0 else 0),
                "value_x": LABEL_WIDTH + max(width, 0) + 6,
            }
        )
    return {
        "bars": bars,
        "height": len(bars) * ROW_HEIGHT + 4,
        "width": LABEL_WIDTH + BAR_WIDTH + 140,
        "bar_x": LABEL_WIDTH,
        "label_x": LABEL_WIDTH - 6,
    }
