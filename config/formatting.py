"""Amounts as the programme writes them: 万元 and 亿元 (translated units in English).

The one formatter behind every page, email, chart and export label: the ``money`` template
filter (``catalog/templatetags/duijie.py``) calls it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

WAN = Decimal("10000")
YI = Decimal("100000000")


def _short(value: Decimal) -> str:
    """Up to two decimals, trailing zeros dropped: 35.50 → 35.5, 12.00 → 12."""
    text = number_format(value.quantize(Decimal("0.01")), decimal_pos=2, force_grouping=True)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def yuan(value: Any) -> str:
    """1_084_000_000 → 10.84亿元, 536_000 → 53.6万元, 800 → 800元; None → —."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if abs(amount) >= YI:
        return _("%(amount)s hundred million yuan") % {"amount": _short(amount / YI)}
    if abs(amount) >= WAN:
        return _("%(amount)s ten thousand yuan") % {"amount": _short(amount / WAN)}
    return _("%(amount)s yuan") % {"amount": _short(amount)}
