"""Money: never a float. Minor units convert by the currency's ISO-4217 exponent."""

from __future__ import annotations

from decimal import Decimal

# ISO-4217 minor-unit exponents that differ from 2. Everything else has 2.
_EXPONENTS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "CLF": 4,
    "UYW": 4,
}


# The symbol a reader expects before an amount, for the currencies the company deals in;
# any other currency is written after the amount as its code ("1,000.00 CHF"). The one
# home for the dashboard, the weekly email and the alert titles.
SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def from_minor(amount: int, currency: str) -> Decimal:
    """1234 USD cents -> Decimal('12.34'); 1234 JPY -> Decimal('1234')."""
    return Decimal(int(amount)).scaleb(-exponent(currency))


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Decimal('12.34') USD -> 1234. Refuses amounts finer than the currency allows."""
    value = Decimal(str(amount)).scaleb(exponent(currency))
    if value != value.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than {currency} allows")
    return int(value)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-even to the currency's exponent (used after FX conversion)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)))
