"""Reads of the catalogue: regions (and, later, categories)."""

from __future__ import annotations

import re
import unicodedata

from .models import Region


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def region_resolve(*, text: str) -> Region | None:
    """Map a GB/T 2260 code or a name to a region.

    ``510600``, ``德阳``, ``德阳市`` → 德阳市; ``成都市新都区``, ``新都区`` → 新都区.
    Ambiguous bare names (市中区 exists in 内江 and 乐山) resolve only with
    their prefecture in front. Returns ``None`` when nothing fits.
    """
    value = _normalise(text)
    if not value:
        return None
    if value.isdigit():
        return Region.objects.filter(code=value).first() if len(value) == 6 else None

    candidates = list(
        Region.objects.select_related("parent").filter(name=value)
        or Region.objects.select_related("parent").filter(short_name=value)
    )
    if len(candidates) > 1:
        # Prefer the higher level: 阿坝 is the prefecture before the county.
        top = min(candidates, key=lambda r: _LEVEL_ORDER[r.level])
        same_level = [r for r in candidates if r.level == top.level]
        return top if len(same_level) == 1 else None
    if candidates:
        return candidates[0]

    # "成都市新都区", "四川省成都市", "德阳旌阳区": a parent's name, then a child's.
    for parent in Region.objects.exclude(level=Region.Level.COUNTY):
        code_prefix = parent.code[:2] if parent.level == Region.Level.PROVINCE else parent.code[:4]
        for prefix in (parent.name, parent.short_name):
            if value.startswith(prefix) and len(value) > len(prefix):
                rest = value[len(prefix) :]
                children = Region.objects.filter(code__startswith=code_prefix).exclude(
                    code=parent.code
                )
                match = (
                    children.filter(name=rest).first() or children.filter(short_name=rest).first()
                )
                if match is None and parent.level == Region.Level.PROVINCE:
                    # 四川省成都市新都区: strip the province, resolve the rest.
                    match = region_resolve(text=rest)
                    if match is not None and not match.code.startswith(code_prefix):
                        match = None
                if match is not None:
                    return match
    return None


_LEVEL_ORDER: dict[str, int] = {
    Region.Level.PROVINCE: 0,
    Region.Level.PREFECTURE: 1,
    Region.Level.COUNTY: 2,
}
