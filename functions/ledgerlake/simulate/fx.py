"""Daily FX rates, published the way the European Central Bank publishes them.

A seeded random walk per currency against USD (integers in millionths; the walk's
randomness is the only floating point involved) moves the market every calendar day. On
each TARGET business day the simulated "ECB" publishes the euro reference rates of that
day's market (units of USD, GBP, CAD per 1 EUR, five significant digits like the ECB's),
and the company, like a company using the ECB, converts at:

* the cross rate through EUR: `sources.ecb.feed.cross_rate` (quote per EUR / base per EUR,
  rounded once half-even to 10 places) — the same rule the build's staging model applies;
* on a weekend or TARGET holiday, the latest publication before it (carried forward).

So the rates the build derives from the polled feed equal the simulator's own, exactly.

Files: `reference/ecb/eurofxref-hist.xml` (every publication, the ECB's own format, served
by the local provider API) and `reference/fx_rates.csv` (the same cross rates per
publication day as `date,base,quote,rate`: the hand-upload override format).
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from ..sources.ecb.feed import cross_rate, publication_days, render_xml

CURRENCIES = ("USD", "GBP", "EUR", "CAD")
_START = {"GBP": 790_000, "EUR": 920_000, "CAD": 1_370_000}  # units of currency per 1 USD, in millionths
QUOTED = ("USD", "GBP", "CAD")  # what the simulated ECB publishes per 1 EUR
_LEAD_DAYS = 10  # publications before the first simulated day, so day one has a rate


def ecb_round(value: Decimal) -> Decimal:
    """Five significant digits, half-even (the ECB publishes USD 1.0705, GBP 0.84638)."""
    return value.quantize(Decimal(1).scaleb(value.adjusted() - 4), rounding=ROUND_HALF_EVEN)


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
        self.published: dict[date, dict[str, Decimal]] = {}
        for day in publication_days(start - timedelta(days=_LEAD_DAYS), end):
            row = self.per_usd[min(max((day - start).days, 0), len(self.per_usd) - 1)]
            self.published[day] = {cur: ecb_round(Decimal(row[cur]) / Decimal(row["EUR"])) for cur in QUOTED}
        self.days = sorted(self.published)
        self._cache: dict[tuple[date, str, str], Decimal] = {}

    def published_on(self, day: date) -> date:
        """The publication a conversion on `day` uses: that day's, else the latest before it."""
        return self.days[max(bisect.bisect_right(self.days, day) - 1, 0)]

    def rate(self, day: date, base: str, quote: str) -> Decimal:
        """Units of `quote` per 1 `base` on `day` (through EUR, 10 places, half-even)."""
        key = (self.published_on(day), base, quote)
        value = self._cache.get(key)
        if value is None:
            table = {"EUR": Decimal(1), **self.published[key[0]]}
            value = Decimal(1) if base == quote else cross_rate(table[base], table[quote])
            self._cache[key] = value
        return value

    def write_csv(self, path) -> int:
        rows = 0
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write("date,base,quote,rate\n")
            for day in self.days:
                for base in CURRENCIES:
                    for quote in CURRENCIES:
                        if base != quote:
                            handle.write(f"{day.isoformat()},{base},{quote},{self.rate(day, base, quote)}\n")
                            rows += 1
        return rows

    def write_ecb(self, path) -> int:
        """Every publication as the ECB's eurofxref-hist.xml."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(render_xml(self.published))
        return len(self.days)
