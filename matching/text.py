"""Chinese-aware tokens for matching: jieba with an industry dictionary and a synonym table.

Both the dictionary (every category name and synonym of the taxonomy) and the
synonym table (``matching/data/synonyms.csv``) are data: extend them there.
Text is folded first (full-width → half-width, lower case), so ``ＹＪＶ`` and
``yjv`` are one token, and each synonym is replaced by its canonical form, so
``YJV`` and ``交联聚乙烯绝缘电力电缆`` meet.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import unicodedata
import zlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
CATEGORIES_CSV = Path(__file__).resolve().parent.parent / "catalog" / "data" / "categories.csv"

_KEEP = re.compile(r"[a-z0-9\u4e00-\u9fff]")
_ONLY_DIGITS = re.compile(r"^[\d.]+$")
STOPWORDS = frozenset(
    line.strip()
    for line in (DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """variant → canonical, folded. The canonical form maps to itself."""
    table: dict[str, str] = {}
    with (DATA / "synonyms.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            canonical = fold(row["canonical"]).replace(" ", "")
            table[canonical] = canonical
            for variant in row["variants"].split(";"):
                variant = fold(variant).replace(" ", "")
                if variant:
                    table.setdefault(variant, canonical)
    return table


def _dictionary_words() -> set[str]:
    words = set(synonyms())
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for word in [row["name_zh"], *row["synonyms"].split(";")]:
                word = fold(word).replace(" ", "")
                if len(word) >= 2:
                    words.add(word)
    return words


_lock = threading.Lock()
_tokenizer: Any = None


def tokenizer() -> Any:
    """One jieba tokenizer per process, with the industry dictionary loaded (about a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                instance = jieba.Tokenizer()
                instance.initialize()
                for word in _dictionary_words():
                    # A high frequency keeps multi-character industry terms whole.
                    instance.add_word(word, freq=200_000)
                _tokenizer = instance
    return _tokenizer


# "17寸", "200ah", "5.5kw", "dn65": a number with its unit says more than either alone.
_QUANTITY = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*(寸|mm²|mm2|mm|kv|kva|kw|kwh|ah|mpa|kg|吨|米|路|口|芯|位|w|v)(?![a-z])"
)
_DN = re.compile(r"dn\s*(\d+)")
# Model codes such as "6-gfm-100", "scb18", "kyn28-12", "yjv22": letters and digits together.
_CODE = re.compile(r"(?<![a-z0-9])(?=[a-z0-9-]*[a-z])(?=[a-z0-9-]*\d)[a-z0-9]+(?:-[a-z0-9]+)*")

_UNIT_ONLY = re.compile(r"\d+[a-z]{1,3}|dn\d+")


_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


def head_noun(name: str | None) -> str:
    """What a product is, from its name: Chinese names end with it.

    ``400万像素网络枪型摄像机`` → ``摄像机``; ``16路网络硬盘录像机`` → ``录像机``;
    ``储能双向变流器`` → ``变流器``. Synonyms are normalised like every token.
    """
    value = _BRACKETS.sub("", fold(name))
    words = [w for w in tokenizer().lcut(value) if re.fullmatch(r"[\u4e00-\u9fff]+", w)]
    if not words:
        return ""
    head = words[-1]
    if len(head) == 1 and len(words) > 1:
        # "组合式消防柜" segments as 消防 + 柜: the cabinet is the thing, not fire-fighting.
        head = words[-2] + head
    if len(head) < 2:
        return ""
    return synonyms().get(head, head)


# "硬盘录像机、立杆利旧" (reused: not wanted), "（不含电池）" (not included).
_REUSED = re.compile(r"([^，。；,;：:（）()]+?)利旧")
_NOT_INCLUDED = re.compile(r"不含([^，。；,;：:（）()]+)")


def excluded_items(text: str | None) -> list[str]:
    """Things a need names only to say it does not want them."""
    value = fold(text)
    found: list[str] = []
    for clause in _REUSED.findall(value) + _NOT_INCLUDED.findall(value):
        for part in re.split(r"[、和及与/]", clause):
            part = part.strip()
            if len(part) >= 2:
                found.append(synonyms().get(part, part))
    return found


def tokens(text: str | None) -> list[str]:
    """Folded, segmented, synonym-normalised tokens; stop words and punctuation dropped.

    Quantities with units (``17寸``) and model codes (``6-gfm-100``) are added whole.
    """
    value = fold(text)
    if not value.strip():
        return []
    table = synonyms()
    out: list[str] = [f"{float(n):g}{unit}" for n, unit in _QUANTITY.findall(value)]
    out += [f"dn{n}" for n in _DN.findall(value)]
    out += [
        table.get(code, code)
        for code in _CODE.findall(value)
        if len(code) >= 3 and not _UNIT_ONLY.fullmatch(code)
    ]
    for raw in tokenizer().lcut_for_search(value):
        token = raw.strip()
        if not token or not _KEEP.search(token) or token in STOPWORDS:
            continue
        if _ONLY_DIGITS.match(token):
            continue  # bare numbers belong to the spec parser, not to text relevance
        out.append(table.get(token, token))
    return out


def token_id(token: str) -> int:
    """A token as a positive 31-bit integer, for the GIN-indexed ``Document.token_ids``.

    A stable hash (CRC-32), so no lookup table and no round trip: the same token has the
    same id in every process. Two tokens may share an id (rarely, at hundreds of thousands
    of distinct tokens); that only adds a candidate, since the scorer reads the tokens.
    """
    return zlib.crc32(token.encode("utf-8")) & 0x7FFFFFFF


def token_ids(values: Iterable[str]) -> list[int]:
    return sorted({token_id(t) for t in values})
