"""Template filters for amounts in 万元/亿元 and for pagination links."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _short(value: Decimal) -> str:
    """Up to two decimals, trailing zeros dropped: 35.50 → 35.5, 12.00 → 12."""
    text = number_format(value.quantize(Decimal("0.01")), decimal_pos=2, use_l10n=True)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.filter
def money(value: Any) -> str:
    """An amount in yuan, as people read it in China: 3550000 → 355 万元, 1.2e9 → 12 亿元."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if abs(amount) >= YI:
        return _("%(amount)s 亿元") % {"amount": _short(amount / YI)}
    if abs(amount) >= WAN:
        return _("%(amount)s 万元") % {"amount": _short(amount / WAN)}
    return _("%(amount)s 元") % {"amount": _short(amount)}


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], number: int) -> str:
    """``?<the current filters>&page=N``."""
    request = context["request"]
    params = request.GET.copy()
    params["page"] = number
    return "?" + params.urlencode()


@register.filter
def role_names(roles: Any) -> str:
    """``["supplier", "buyer"]`` → ``供应商、采购方`` in the current language."""
    from accounts.models import Role

    labels = dict(Role.choices)
    return _(", ").join(str(labels.get(role, role)) for role in roles or [])
