"""Amounts as the programme writes them: 万元 and 亿元."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def _trim(value: Decimal) -> str:
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(value: Any) -> str:
    """1,084,000,000 → '10.84亿元'; 350,000 → '35万元'; 980 → '980元'; None → ''."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= Decimal(100_000_000):
        return f"{sign}{_trim(amount / Decimal(100_000_000))}亿元"
    if amount >= Decimal(10_000):
        return f"{sign}{_trim(amount / Decimal(10_000))}万元"
    return f"{sign}{_trim(amount)}元"
