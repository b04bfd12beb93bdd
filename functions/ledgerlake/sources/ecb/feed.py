"""The ECB reference-rate formats, the TARGET publication calendar and the cross-rate rule.

The XML the ECB publishes (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml):

    <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                     xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
      <gesmes:subject>Reference rates</gesmes:subject>
      <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
      <Cube>
        <Cube time='2024-06-28'>
          <Cube currency='USD' rate='1.0705'/> ...

One `<Cube time=…>` per publication day (the daily feed has one, the 90-day and full
history feeds one per TARGET business day, newest first); each rate is units of the
currency per 1 EUR. The zipped CSV (eurofxref-hist.zip) holds the same numbers as
`Date,USD,JPY,…,` rows with `N/A` where a currency was not quoted.

Cross rates go through EUR: 1 base = (quote per EUR) / (base per EUR) quote, rounded once,
half-even, to CROSS_PLACES decimal places (docs/DECISIONS.md, "FX from the ECB feed"). The
staging model (transforms/macros/fx.sql) does the same integer arithmetic in SQL, and the
simulator derives its own rates with `cross_rate`, so the two agree exactly.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

GESMES_NS = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
CROSS_PLACES = 10  # the scale of stg_reference__fx_rates.rate (decimal(38, 10))
_CROSS_Q = Decimal(1).scaleb(-CROSS_PLACES)

# The documented feeds, relative to https://www.ecb.europa.eu/stats/eurofxref
DAILY = "eurofxref-daily.xml"
HIST_90D = "eurofxref-hist-90d.xml"
HIST = "eurofxref-hist.xml"
HIST_ZIP = "eurofxref-hist.zip"
FEEDS = (DAILY, HIST_90D, HIST)

Rates = dict[date, dict[str, Decimal]]  # day -> {currency: units per 1 EUR}


class FeedError(ValueError):
    """A document that is not an ECB reference-rate feed (or holds a malformed rate)."""


def parse_xml(body: bytes) -> Rates:
    """Every (day, currency, rate) of an ECB gesmes document, exactly as published."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise FeedError(f"not XML: {err}") from None
    if root.tag != f"{{{GESMES_NS}}}Envelope":
        raise FeedError(f"not an ECB reference-rate document (root element {root.tag!r})")
    out: Rates = {}
    for day_cube in root.iter(f"{{{EUROFXREF_NS}}}Cube"):
        time = day_cube.get("time")
        if time is None:
            continue
        try:
            day = date.fromisoformat(time)
        except ValueError:
            raise FeedError(f"bad Cube time {time!r}") from None
        rates = out.setdefault(day, {})
        for cube in day_cube.findall(f"{{{EUROFXREF_NS}}}Cube"):
            rates[_currency(cube.get("currency"))] = _rate(cube.get("rate"), time)
    if not out:
        raise FeedError("an ECB document with no <Cube time=…> day")
    return out


def parse_csv_zip(body: bytes) -> Rates:
    """The zipped CSV (eurofxref-hist.zip, eurofxref.zip): `Date,USD,…,` rows, `N/A` for gaps."""
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            text = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, IndexError) as err:
        raise FeedError(f"not an ECB zip: {err}") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    out: Rates = {}
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        day = _day(row[0])
        out[day] = {
            _currency(cur): _rate(value, row[0])
            for cur, value in zip(header[1:], row[1:])
            if cur and value.strip() not in ("", "N/A")
        }
    return out


def _day(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:  # the daily eurofxref.zip spells dates "28 June 2024"
        from datetime import datetime

        try:
            return datetime.strptime(text, "%d %B %Y").date()
        except ValueError:
            raise FeedError(f"bad date {text!r}") from None


def _currency(code: str | None) -> str:
    code = (code or "").strip()
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise FeedError(f"bad currency code {code!r}")
    return code


def _rate(text: str | None, day: str) -> Decimal:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        raise FeedError(f"bad rate {text!r} on {day}") from None
    if not value.is_finite() or value <= 0:
        raise FeedError(f"bad rate {text!r} on {day}")
    return value


def render_xml(rates: Mapping[date, Mapping[str, Decimal]]) -> bytes:
    """A gesmes document in the ECB's own layout (newest day first, single-quoted attributes)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<gesmes:Envelope xmlns:gesmes="{GESMES_NS}" xmlns="{EUROFXREF_NS}">',
        "\t<gesmes:subject>Reference rates</gesmes:subject>",
        "\t<gesmes:Sender>",
        "\t\t<gesmes:name>European Central Bank</gesmes:name>",
        "\t</gesmes:Sender>",
        "\t<Cube>",
    ]
    for day in sorted(rates, reverse=True):
        lines.append(f"\t\t<Cube time='{day.isoformat()}'>")
        lines += [f"\t\t\t<Cube currency='{cur}' rate='{rate}'/>" for cur, rate in rates[day].items()]
        lines.append("\t\t</Cube>")
    lines += ["\t</Cube>", "</gesmes:Envelope>", ""]
    return "\n".join(lines).encode()


def render_csv_zip(rates: Mapping[date, Mapping[str, Decimal]], name: str = "eurofxref-hist.csv") -> bytes:
    currencies = sorted({c for day in rates.values() for c in day})
    text = io.StringIO()
    text.write("Date," + ",".join(currencies) + ",\n")
    for day in sorted(rates, reverse=True):
        text.write(day.isoformat() + "," + ",".join(str(rates[day].get(c, "N/A")) for c in currencies) + ",\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.getvalue())
    return buffer.getvalue()


def cross_rate(base_per_eur: Decimal, quote_per_eur: Decimal) -> Decimal:
    """Units of quote per 1 base, through EUR, rounded once half-even to CROSS_PLACES."""
    with localcontext() as ctx:
        ctx.prec = 60  # exact enough that the one rounding below is the only one
        return (Decimal(quote_per_eur) / Decimal(base_per_eur)).quantize(_CROSS_Q, rounding=ROUND_HALF_EVEN)


def cross_rates(per_eur: Mapping[str, Decimal]) -> dict[tuple[str, str], Decimal]:
    """Every ordered pair of distinct currencies of one day's publication, EUR included."""
    table = {"EUR": Decimal(1), **per_eur}
    return {(b, q): cross_rate(table[b], table[q]) for b in table for q in table if b != q}


# -- the TARGET calendar: the days the ECB publishes ----------------------------------------


def _easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday) // 433
    month = (h + weekday - 7 * m + 90) // 25
    return date(year, month, (h + weekday - 7 * m + 33 * month + 19) % 32)


def is_publication_day(day: date) -> bool:
    """A TARGET business day: Monday to Friday except New Year's Day, Good Friday, Easter
    Monday, 1 May, 25 and 26 December (the days the ECB publishes reference rates)."""
    if day.weekday() >= 5 or (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    easter = _easter(day.year)
    return day not in (easter - timedelta(days=2), easter + timedelta(days=1))


def publication_days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        if is_publication_day(day):
            yield day
        day += timedelta(days=1)


def business_days_between(earlier: date, later: date) -> int:
    """Publication days after `earlier` up to and including `later` (0 when not later)."""
    return sum(1 for _ in publication_days(earlier + timedelta(days=1), later))
