from __future__ import annotations

from typing import Any

from django import template

from config.formatting import yuan as _yuan

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """An amount in yuan, written in 万元 / 亿元."""
    return _yuan(value)
