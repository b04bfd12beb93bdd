"""Small shared helpers for the simulated company: seeded randomness, ids, time and JSON.

Everything here is deterministic for a seed: randomness comes from `random.Random`
streams derived from the seed and a stream name (so adding draws to one domain never
shifts another), ids come from those streams, and times are simulated, never the clock.
"""

from __future__ import annotations

import json
import math
import random
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from ..money import exponent, from_minor

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LOWER = "0123456789abcdefghijklmnopqrstuvwxyz"
_B64_TO_ALNUM = bytes.maketrans(b"+/", b"Qx")


def stream(seed: int, name: str) -> random.Random:
    """An independent random stream per (seed, domain). str seeds hash via sha512: stable."""
    return random.Random(f"ledgerlake:{seed}:{name}")


class Ids:
    """Provider-looking ids drawn from one dedicated stream."""

    def __init__(self, seed: int, name: str = "ids"):
        self.rng = stream(seed, name)
        self._counters: dict[str, int] = {}

    def _chars(self, n: int, alphabet: str = _ALNUM) -> str:
        if alphabet is _ALNUM:
            # Fast path: base64 of random bytes with "+/" mapped into the alphanumerics.
            return b64encode(self.rng.randbytes((n * 3 + 3) // 4)).translate(_B64_TO_ALNUM)[:n].decode()
        bits = self.rng.getrandbits(6 * n)
        base = len(alphabet)
        out = []
        for _ in range(n):
            bits, r = divmod(bits, base)
            out.append(alphabet[r])
        return "".join(out)

    def stripe(self, prefix: str) -> str:
        # Real Stripe ids: prefix + 24 alphanumerics, e.g. ch_3PgafuB7WZ01zgkWXYmPNZs8.
        return f"{prefix}_{self._chars(24)}"

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        # Shape of a v4 UUID (version nibble 4, variant 8..b), as Xero and HubSpot emit.
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def plaid(self) -> str:
        # Plaid ids are 37 characters of [A-Za-z0-9].
        return self._chars(37)

    def hexstr(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def lower(self, n: int) -> str:
        # Lowercase tokens (request ids, fingerprints, receipt references): hex is enough.
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def seq(self, name: str, start: int = 1) -> int:
        """Sequential ids (QBO Ids, document numbers)."""
        value = self._counters.get(name, start)
        self._counters[name] = value + 1
        return value

    def shopify(self) -> int:
        # Shopify REST ids are 64-bit integers; recent ones are 13 digits.
        return 5_000_000_000_000 + self.rng.getrandbits(40)

    def hubspot(self) -> str:
        return str(10_000_000_000 + self.rng.getrandbits(35))


# --- time -------------------------------------------------------------------------------


def at(day: date, seconds: int) -> datetime:
    """A moment on a simulated day: midnight UTC plus `seconds` (may spill into the next day)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def iso_z(moment: datetime) -> str:
    # All simulated moments are UTC-aware; isoformat is much faster than strftime.
    return moment.isoformat()[:19] + "Z"


def iso_ms_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def day_epoch(day: date) -> int:
    return epoch(at(day, 0))


def xero_date(moment: datetime | date) -> str:
    """Xero's MS-JSON dates: /Date(1518652800000+0000)/ (ms since epoch, UTC)."""
    if not isinstance(moment, datetime):
        moment = at(moment, 0)
    return f"/Date({epoch_ms(moment)}+0000)/"


def _us_pacific_offset(moment: datetime) -> int:
    """Hours offset of US Pacific time (QBO stamps MetaData in the company's zone)."""
    year = moment.year
    march = date(year, 3, 8)
    dst_start = march + timedelta(days=(6 - march.weekday()) % 7)  # second Sunday of March
    nov = date(year, 11, 1)
    dst_end = nov + timedelta(days=(6 - nov.weekday()) % 7)  # first Sunday of November
    start = at(dst_start, 10 * 3600)  # 02:00 PST = 10:00 UTC
    end = at(dst_end, 9 * 3600)  # 02:00 PDT = 09:00 UTC
    return -7 if start <= moment < end else -8


def qbo_time(moment: datetime) -> str:
    """QBO MetaData times: local Pacific time with offset, e.g. 2025-06-01T03:00:00-07:00."""
    hours = _us_pacific_offset(moment)
    local = moment.astimezone(timezone(timedelta(hours=hours)))
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{hours:+03d}:00"


_BST_CACHE: dict[int, tuple[datetime, datetime]] = {}
_LONDON = {0: UTC, 1: timezone(timedelta(hours=1))}


def shopify_time(moment: datetime) -> str:
    """Shopify REST times: shop-local (London) with offset, e.g. 2025-06-01T11:00:00+01:00."""
    year = moment.year
    window = _BST_CACHE.get(year)
    if window is None:
        mar = date(year, 3, 31)
        octo = date(year, 10, 31)
        window = (
            at(mar - timedelta(days=(mar.weekday() + 1) % 7), 3600),  # last Sunday of March, 01:00 UTC
            at(octo - timedelta(days=(octo.weekday() + 1) % 7), 3600),
        )  # last Sunday of October
        _BST_CACHE[year] = window
    hours = 1 if window[0] <= moment < window[1] else 0
    return moment.astimezone(_LONDON[hours]).isoformat()[:19] + f"+0{hours}:00"


def month_end(day: date) -> date:
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    idx = day.year * 12 + day.month - 1 + months
    year, month = divmod(idx, 12)
    month += 1
    return date(year, month, min(day.day, month_end(date(year, month, 1)).day))


def business_day_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def business_day_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# --- money and JSON -----------------------------------------------------------------------


def dec(minor: int, currency: str = "USD") -> Decimal:
    return from_minor(minor, currency)


_TWO_DECIMALS = frozenset({"USD", "GBP", "EUR", "CAD"})  # the run's currencies, skip the lookup


def money_str(minor: int, currency: str = "USD") -> str:
    """Shopify / HubSpot / truth files: a decimal string with the currency's exponent."""
    if currency not in _TWO_DECIMALS and exponent(currency) != 2:
        return str(from_minor(minor, currency))
    # Hot path (hundreds of thousands of calls per run): plain integer formatting, same text
    # as str(Decimal) for two-decimal currencies.
    whole, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{whole}.{cents:02d}"


def _json_default(value):
    # Ledger and bank APIs send money as JSON numbers. Decimals become floats only here,
    # at the wire boundary: every amount has at most 2 decimals and is far below 2**53
    # cents, so the float's shortest repr is exactly the decimal text (no rounding).
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_encoder = json.JSONEncoder(separators=(",", ":"), default=_json_default, ensure_ascii=False)
dumps = _encoder.encode


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
