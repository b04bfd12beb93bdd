"""How numbers read in the email: one function per unit, shared by the HTML and text parts.

Money is shown in whole reporting-currency units (a leadership email, not a ledger),
rounded half-even from the exact DECIMAL; days and months to one decimal; percentages to
one decimal. Values are Decimals throughout: never floats.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from ..money import SYMBOLS

ONE = Decimal("1")
TENTH = Decimal("0.1")


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value, currency: str) -> str:
    if value is None:
        return "–"
    amount = _dec(value).quantize(ONE, rounding=ROUND_HALF_EVEN)
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency.upper())
    digits = f"{abs(amount):,.0f}"
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


def tenths(value) -> Decimal:
    return _dec(value).quantize(TENTH, rounding=ROUND_HALF_EVEN)


def value(value, unit: str, currency: str) -> str:
    if value is None:
        return "–"
    if unit == "money":
        return money(value, currency)
    if unit == "days":
        return f"{tenths(value)} d"
    if unit == "months":
        return f"{tenths(value)} mo"
    if unit == "pct":
        return f"{tenths(value)}%"
    return str(value)


def change_pct(current, base) -> Decimal | None:
    """Percent change from base to current, None when there is no meaningful base."""
    if current is None or base is None:
        return None
    base = _dec(base)
    if base == 0:
        return None
    return tenths((_dec(current) - base) / abs(base) * 100)


def signed_pct(pct: Decimal | None) -> str:
    if pct is None:
        return "n/a"
    return f"{'+' if pct > 0 else ''}{pct}%"


def change_points(current, base) -> Decimal | None:
    """For percentage KPIs (gross margin) the change is in points, not percent of percent."""
    if current is None or base is None:
        return None
    return tenths(_dec(current) - _dec(base))


def signed_points(points: Decimal | None) -> str:
    if points is None:
        return "n/a"
    return f"{'+' if points > 0 else ''}{points} pts"


def duration(seconds) -> str:
    """42 s, 3.5 min, 2.1 h, 4.0 days: the unit a reader takes in at a glance."""
    if seconds is None:
        return "n/a"
    seconds = float(seconds)
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.0f} s" if unit == "s" else f"{seconds / size:.1f} {unit}"
    return f"{seconds / 86400:.1f} days"
