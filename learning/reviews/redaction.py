"""The one redaction function: every text of a published review page passes through ``redact``.

It masks the parties' data exactly as entered on the cases (names, ID numbers, phones, addresses,
plates, allowing spaces, dashes or dots typed between characters), then any 18-digit ID number,
mobile number or licence plate, wherever it appears — in titles, findings and errata alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "＊＊"
"""What replaces a masked piece. Made of a character no party data may contain, so no mask can ever
join with the text around it into something that was masked."""

_SEPARATORS = r"[\s\-·•.．]*"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}[\s-]?\d{8}[\s-]?\d{3}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9](?:[\s-]?\d){9}(?!\d)")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
PLATE = re.compile(
    rf"[{_PROVINCES}]\s*[A-Za-z][\s·•.\-]*(?:[A-Za-z0-9]{{5,6}}|[A-Za-z0-9]{{4}}[挂学警港澳])(?![A-Za-z0-9])")
PATTERNS = (ID_NUMBER, MOBILE, PLATE)


def _term_pattern(term: str) -> str:
    """A term as a pattern that also matches it with separators typed between its characters."""
    characters = [ch for ch in term if not ch.isspace()]
    return _SEPARATORS.join(re.escape(ch) for ch in characters)


def compile_terms(terms: Iterable[str]) -> re.Pattern | None:
    """One pattern for all ``terms`` (longest first); None when there are none."""
    cleaned = sorted({term.strip() for term in terms if term and term.strip()}, key=len, reverse=True)
    cleaned = [term for term in cleaned if MASK[0] not in term]
    if not cleaned:
        return None
    return re.compile("|".join(_term_pattern(term) for term in cleaned), re.IGNORECASE)


def redact(text: str | None, terms: Iterable[str] | re.Pattern | None = None) -> str:
    """``text`` with the given party data and every ID number, mobile number and plate masked."""
    if not text:
        return ""
    pattern = terms if isinstance(terms, re.Pattern) or terms is None else compile_terms(terms)
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for general in PATTERNS:
        text = general.sub(MASK, text)
    return text


class Redactor:
    """``redact`` bound to one set of terms (compiled once), for a page with many texts."""

    def __init__(self, terms: Iterable[str]):
        self.pattern = compile_terms(terms)

    def __call__(self, text: str | None) -> str:
        return redact(text, self.pattern)
