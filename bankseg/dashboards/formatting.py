"""Numbers as an Indian reader expects them: rupees, lakh/crore digit grouping and short forms."""

from __future__ import annotations

import math

LAKH = 100_000
CRORE = 10_000_000


def indian_digits(value: float) -> str:
    """12345678 -> '1,23,45,678': the last three digits, then groups of two."""
    negative, whole = value < 0, str(int(round(abs(value))))
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ("-" if negative else "") + ",".join([*groups, tail])


def _short(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= CRORE:
        return f"{value / CRORE:,.2f} Cr"
    if magnitude >= LAKH:
        return f"{value / LAKH:.2f} L"
    return indian_digits(value)


def inr(value: float | None) -> str:
    """Rupees with Indian grouping, whole rupees: '₹1,23,45,678'."""
    return "–" if value is None or _missing(value) else f"₹{indian_digits(value)}"


def inr_short(value: float | None) -> str:
    """Rupees readable at a glance: '₹12.35 Cr', '₹4.56 L', '₹12,345'."""
    return "–" if value is None or _missing(value) else f"₹{_short(value)}"


def count(value: float | None) -> str:
    return "–" if value is None or _missing(value) else indian_digits(value)


def count_short(value: float | None) -> str:
    return "–" if value is None or _missing(value) else _short(value)


def share(value: float | None) -> str:
    return "–" if value is None or _missing(value) else f"{100 * value:.1f}%"


def decimal(value: float | None, places: int = 2) -> str:
    return "–" if value is None or _missing(value) else f"{value:.{places}f}"


def _missing(value: float) -> bool:
    return isinstance(value, float) and math.isnan(value)
