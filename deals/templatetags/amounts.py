"""Amounts as the programme reports them: ``{{ value|wan_yi }}`` → 10.84亿元, 53.60万元."""

from __future__ import annotations

from typing import Any

from django import template

from config.formatting import yuan

register = template.Library()


@register.filter
def wan_yi(value: Any) -> str:
    return yuan(value)
