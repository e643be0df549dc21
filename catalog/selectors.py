"""Reads of the catalogue: regions, categories and products."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Q, QuerySet

from .models import Category, Product, Region

if TYPE_CHECKING:
    from accounts.models import User


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


class CategoryIndex:
    """Maps free text to a taxonomy node, from names, codes and synonyms.

    ``电线电缆``, ``电力线缆``, ``YJV电缆`` → the power-cable category. Built
    from one query; build one per request or import, not per row. Matching is
    one compiled regular expression shaped as a trie of every term, so a row
    costs one C-level scan of its text, whatever the size of the taxonomy.
    """

    RANK: ClassVar[dict[str, int]] = {
        Category.Level.CATEGORY: 0,
        Category.Level.CHAIN: 1,
        Category.Level.INDUSTRY: 2,
    }

    def __init__(self, categories: list[Category]) -> None:
        self.exact: dict[str, Category] = {}
        self.by_term: dict[str, Category] = {}
        for node in sorted(categories, key=lambda c: (self.RANK[c.level], c.code)):
            for name in (node.name_zh, node.name_en, node.code, *node.synonyms):
                key = _fold(name)
                if key and key not in self.exact:
                    self.exact[key] = node
            # Codes and English names are matched whole, never inside other text
            # ("GF" must not be found in "6-GFM-100").
            for name in (node.name_zh, *node.synonyms):
                key = _fold(name)
                if len(key) >= 2 and key not in self.by_term:
                    self.by_term[key] = node
        self.pattern = _trie_regex(self.by_term) if self.by_term else None
        self._cache: dict[str, tuple[Category | None, int]] = {}

    @classmethod
    def load(cls) -> CategoryIndex:
        return cls(list(Category.objects.all()))

    def resolve(self, text: str) -> Category | None:
        """A category given by name, code or synonym; falls back to classifying the text."""
        key = _fold(text)
        if not key:
            return None
        return self.exact.get(key) or self.classify(text)

    def classify(self, *texts: str) -> Category | None:
        """The best node named anywhere in the texts.

        Best: the most specific level (a product category before its chain before
        its industry), then the earliest text (a line's name before its specs),
        then the longest term. ``自动化设备（一）`` with specs naming ``示教器`` is
        an industrial robot, not the automation chain.
        """
        best: tuple[int, int, int] | None = None
        found: Category | None = None
        for position, text in enumerate(texts):
            node, length = self._best_in(text)
            if node is None:
                continue
            key = (self.RANK[node.level], position, -length)
            if best is None or key < best:
                best, found = key, node
        return found

    def categories_in(self, *texts: str) -> list[Category]:
        """Every product category named in the texts (a need may ask for several things)."""
        found: dict[int, Category] = {}
        for text in texts:
            key = _fold(text)
            if not key or self.pattern is None:
                continue
            for m in self.pattern.finditer(key):
                if _ascii_inside_word(key, m.start(), m.end()):
                    continue
                node = self.by_term[m.group(0)]
                if node.level == Category.Level.CATEGORY:
                    found.setdefault(node.pk, node)
        return list(found.values())

    def _best_in(self, text: str) -> tuple[Category | None, int]:
        key = _fold(text)
        if not key or self.pattern is None:
            return None, 0
        if key in self._cache:
            return self._cache[key]
        terms = [
            m.group(0)
            for m in self.pattern.finditer(key)
            if not _ascii_inside_word(key, m.start(), m.end())
        ]
        result: tuple[Category | None, int] = (None, 0)
        if terms:
            term = min(terms, key=lambda t: (self.RANK[self.by_term[t].level], -len(t)))
            result = (self.by_term[term], len(term))
        if len(self._cache) < 100_000:
            self._cache[key] = result
        return result


def _ascii_inside_word(text: str, start: int, end: int) -> bool:
    """An ASCII term inside a longer run of letters or digits ("BV" in "ABVX")."""
    term = text[start:end]
    if not term.isascii():
        return False
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha())


def _trie_regex(terms: Iterable[str]) -> re.Pattern[str]:
    """One regular expression matching any of the terms, longest first at each position."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = True

    def build(node: dict[str, Any]) -> str:
        branches = []
        for char in sorted(k for k in node if k):
            branches.append(re.escape(char) + build(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # An end of term here makes the rest optional; the longer branch is still tried first.
        return f"(?:{body})?" if "" in node else body

    return re.compile(build(trie))


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def product_visible_to(*, user: User) -> QuerySet[Product]:
    """Published products are public; drafts and archived ones only to the supplier's members."""
    from accounts.selectors import user_is_operator

    qs = Product.objects.select_related(
        "supplier", "supplier__region", "category"
    ).prefetch_related("service_regions", "supplier__badges")
    if user_is_operator(user=user):
        return qs
    mine = list(user.memberships.values_list("organization_id", flat=True))
    return qs.filter(Q(status=Product.Status.PUBLISHED) | Q(supplier_id__in=mine))
