"""Amounts as the programme writes them: 万元 and 亿元 (translated units in English)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

WAN = Decimal("10000")
YI = Decimal("100000000")


def yuan(value: Any) -> str:
    """1_084_000_000 → 10.84亿元, 536_000 → 53.60万元, 800 → 800元 (and the English forms)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if abs(amount) >= YI:
        number = number_format((amount / YI).quantize(Decimal("0.01")), 2, force_grouping=True)
        return _("%(amount)s hundred million yuan") % {"amount": number}
    if abs(amount) >= WAN:
        number = number_format((amount / WAN).quantize(Decimal("0.01")), 2, force_grouping=True)
        return _("%(amount)s ten thousand yuan") % {"amount": number}
    return _("%(amount)s yuan") % {"amount": number_format(amount.quantize(Decimal("1")), 0)}
