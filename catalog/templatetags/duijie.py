"""Template filters for amounts in 万元/亿元 and for pagination links."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from config.formatting import yuan

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """An amount in yuan, as people read it in China: 3550000 → 355.00万元 (one formatter)."""
    return yuan(value)


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
