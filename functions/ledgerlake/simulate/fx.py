"""Daily FX rates (reference/fx_rates.csv): a seeded random walk per currency against USD.

Rates are held as integers in millionths (6 decimals) so every cross rate is an exact
Decimal; the walk's randomness is the only floating point involved.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

CURRENCIES = ("USD", "GBP", "EUR", "CAD")
_START = {"GBP": 790_000, "EUR": 920_000, "CAD": 1_370_000}  # units of currency per 1 USD, in millionths
_Q = Decimal("0.000001")


class FxTable:
    def __init__(self, rng, start: date, end: date):
        self.start = start
        self.per_usd: list[dict[str, int]] = []
        level = dict(_START)
        day = start
        while day <= end:
            self.per_usd.append(dict(level, USD=1_000_000))
            for cur in sorted(level):
                step = int(level[cur] * rng.gauss(0.0, 0.0035))
                level[cur] = max(level[cur] + step, 1)
            day += timedelta(days=1)
        self._cache: dict[tuple[int, str, str], Decimal] = {}

    def rate(self, day: date, base: str, quote: str) -> Decimal:
        """Units of `quote` per 1 `base` on `day` (6 decimals, half-even)."""
        idx = min(max((day - self.start).days, 0), len(self.per_usd) - 1)
        key = (idx, base, quote)
        value = self._cache.get(key)
        if value is None:
            row = self.per_usd[idx]
            value = (Decimal(row[quote]) / Decimal(row[base])).quantize(_Q, rounding=ROUND_HALF_EVEN)
            self._cache[key] = value
        return value

    def write_csv(self, path) -> int:
        rows = 0
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write("date,base,quote,rate\n")
            for idx in range(len(self.per_usd)):
                day = self.start + timedelta(days=idx)
                for base in CURRENCIES:
                    for quote in CURRENCIES:
                        if base != quote:
                            handle.write(f"{day.isoformat()},{base},{quote},{self.rate(day, base, quote)}\n")
                            rows += 1
        return rows
