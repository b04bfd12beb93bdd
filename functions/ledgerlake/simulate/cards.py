"""Card and direct-debit spend the bookkeeper codes by hand: the categoriser's history.

Each entity pays a changing set of small merchants from its main bank account (debit card).
The bookkeeper books most lines as a direct expense (QBO Purchase / Xero SPEND) on the
merchant's usual account, with some noise (a line coded to a plausible wrong account, a
merchant that sells two kinds of thing), and is behind: the last weeks' lines, and a few
forgotten ones, are not booked at all. New merchants appear month by month, so a time-split
evaluation meets vendors it has never seen. The truth (every line's right account) is
written by the engine to truth/bank_lines.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from .company import UK, US
from .util import poisson

# category -> (ledger account key, median amount in minor units, relative spread)
CATEGORIES = {
    "software": ("software", 60_00, 0.8),
    "travel": ("travel", 240_00, 0.9),
    "meals": ("meals", 55_00, 0.6),
    "advertising": ("advertising", 700_00, 0.7),
    "office": ("office", 90_00, 0.7),
}

# (display name, bank descriptor, Plaid merchant_name or None, categories with weights)
# in the order the merchants start being used; the first STARTING of each list exist from day one.
# Names stay clear of the planted vendor-name variants (Amazon / AWS): integrity_duplicate_vendors
# flags a supplier family by its first word.
MERCHANTS = {
    US: (
        ("Figma", "FIGMA MONTHLY SAN FRANCISCO CA", "Figma", (("software", 1.0),)),
        ("Notion Labs", "NOTION LABS INC NOTION.SO", "Notion", (("software", 1.0),)),
        ("Delta Air Lines", "DELTA AIR 0062341 ATLANTA GA", "Delta", (("travel", 1.0),)),
        ("Uber", "UBER *TRIP HELP.UBER.COM", "Uber", (("travel", 0.8), ("meals", 0.2))),
        ("Marriott", "MARRIOTT HOTELS BOSTON MA", "Marriott", (("travel", 1.0),)),
        ("Sweetgreen", "SWEETGREEN NYC 0231", "Sweetgreen", (("meals", 1.0),)),
        ("Google Ads", "GOOGLE *ADS3391 CC@GOOGLE.COM", "Google Ads", (("advertising", 1.0),)),
        ("LinkedIn", "LINKEDIN ADS 7731 MOUNTAIN VIEW", "LinkedIn", (("advertising", 1.0),)),
        ("Staples", "STAPLES 00112 NEW YORK NY", "Staples", (("office", 1.0),)),
        ("Costco Business Center", "COSTCO WHSE #0113 NEW YORK NY", "Costco", (("office", 0.75), ("meals", 0.25))),
        ("Zoom", "ZOOM.US 888-799-9666 CA", "Zoom", (("software", 1.0),)),
        ("United Airlines", "UNITED 0162 UNITED.COM TX", "United Airlines", (("travel", 1.0),)),
        ("Blue Bottle Coffee", "BLUE BOTTLE COFFEE OAKLAND", None, (("meals", 1.0),)),
        ("Meta Ads", "FACEBK *ADS 650-5434800 CA", "Facebook", (("advertising", 1.0),)),
        ("Calendly", "CALENDLY ATLANTA GA", "Calendly", (("software", 1.0),)),
        ("Hilton", "HILTON HOTELS CHICAGO IL", "Hilton", (("travel", 1.0),)),
        ("Chipotle", "CHIPOTLE 1123 AUSTIN TX", "Chipotle", (("meals", 1.0),)),
        ("Office Depot", "OFFICE DEPOT #1044 DENVER", "Office Depot", (("office", 1.0),)),
        ("Loom", "LOOM.COM SUBSCRIPTION", None, (("software", 1.0),)),
        ("Lyft", "LYFT *RIDE SAN FRANCISCO", "Lyft", (("travel", 1.0),)),
        ("Reddit Ads", "REDDIT ADS SAN FRANCISCO", None, (("advertising", 1.0),)),
        ("DoorDash", "DOORDASH*GRUBHUB SF", "DoorDash", (("meals", 1.0),)),
        ("Airbnb", "AIRBNB * HM4K2 SAN FRANCISCO", "Airbnb", (("travel", 1.0),)),
        ("Miro", "MIRO.COM AMSTERDAM", "Miro", (("software", 1.0),)),
    ),
    UK: (
        ("Trainline", "TRAINLINE.COM LONDON", "Trainline", (("travel", 1.0),)),
        ("Pret A Manger", "PRET A MANGER SHOREDITCH", "Pret A Manger", (("meals", 1.0),)),
        ("Google Ads", "GOOGLE ADS DUBLIN IE", "Google Ads", (("advertising", 1.0),)),
        ("Canva", "CANVA* 0415 SYDNEY", "Canva", (("software", 1.0),)),
        ("Ryman", "RYMAN LTD OLD STREET", "Ryman", (("office", 1.0),)),
        ("British Airways", "BRITISH AIRWAYS 1252 LONDON", "British Airways", (("travel", 1.0),)),
        ("Tesco", "TESCO STORES 3211 LONDON", "Tesco", (("office", 0.75), ("meals", 0.25))),
        ("Deliveroo", "DELIVEROO.CO.UK LONDON", "Deliveroo", (("meals", 1.0),)),
        ("Addison Lee", "ADDISON LEE LTD LONDON", None, (("travel", 1.0),)),
        ("Meta Ads", "FACEBK *ADS DUBLIN", "Facebook", (("advertising", 1.0),)),
        ("Mailchimp", "MAILCHIMP *MONTHLY ATLANTA", "Mailchimp", (("software", 1.0),)),
        ("Premier Inn", "PREMIER INN MANCHESTER", "Premier Inn", (("travel", 1.0),)),
        ("Dishoom", "DISHOOM KINGS CROSS", None, (("meals", 1.0),)),
        ("Viking Direct", "VIKING DIRECT LEICESTER", None, (("office", 1.0),)),
        ("TfL", "TFL TRAVEL CH TFL.GOV.UK/CP", "TfL", (("travel", 1.0),)),
        ("1Password", "1PASSWORD TORONTO", "1Password", (("software", 1.0),)),
        ("Eurostar", "EUROSTAR INTERNATIONAL LONDON", "Eurostar", (("travel", 1.0),)),
        ("Wagamama", "WAGAMAMA BRISTOL", "Wagamama", (("meals", 1.0),)),
    ),
}
# Plaid's personal_finance_category for a merchant (by its main category): the feed's own
# enrichment, which a new merchant carries from its first line.
PFC = {
    "software": ("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    "travel": ("TRAVEL", "TRAVEL_FLIGHTS"),
    "meals": ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT"),
    "advertising": ("GENERAL_SERVICES", "GENERAL_SERVICES_OTHER_GENERAL_SERVICES"),
    "office": ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_OFFICE_SUPPLIES"),
}
STARTING = 8  # merchants in use from the first day; one more joins about every five weeks
NEW_MERCHANT_EVERY_DAYS = 35
NOISE = 0.04  # share of booked lines the bookkeeper codes to a wrong (plausible) account
FORGOTTEN = 0.015  # share of lines never booked
BEHIND_DAYS = 21  # the bookkeeper books card lines up to this many days before the run's end


@dataclass(frozen=True)
class Merchant:
    entity: str
    key: str  # ledger vendor / contact key
    name: str
    descriptor: str
    merchant_name: str | None
    categories: tuple  # ((category, weight), ...)
    starts: date


def merchants(entity: str, start: date) -> list[Merchant]:
    """The entity's merchants with the day each starts being used."""
    out = []
    for n, (name, descriptor, merchant_name, categories) in enumerate(MERCHANTS[entity]):
        offset = max(0, n - STARTING + 1) * NEW_MERCHANT_EVERY_DAYS
        key = f"card_{entity.lower()}_{n:02d}"
        out.append(
            Merchant(
                entity, key, name, descriptor, merchant_name, categories, date.fromordinal(start.toordinal() + offset)
            )
        )
    return out


@dataclass
class CardLine:
    merchant: Merchant
    category: str  # the truth
    coded_category: str | None  # what the bookkeeper booked (None: not booked)
    amount: int  # minor units, money out


def draw_lines(rng, entity: str, day: date, end: date, pool: list[Merchant], per_day: float) -> list[CardLine]:
    """The day's card lines for one entity (drawn from `rng`, a stream of their own)."""
    active = [m for m in pool if m.starts <= day]
    lines = []
    for _ in range(poisson(rng, per_day)):
        m = active[rng.randrange(len(active))]
        # newer merchants are used more at first (a new tool, a new route)
        category = _weighted(rng, m.categories)
        _, median, spread = CATEGORIES[category]
        amount = max(100, int(rng.lognormvariate(math.log(median), spread * 0.5)))
        coded: str | None = category
        r = rng.random()
        if (end - day).days < BEHIND_DAYS or r < FORGOTTEN:
            coded = None
        elif r < FORGOTTEN + NOISE:
            coded = rng.choice([c for c in CATEGORIES if c != category])
        lines.append(CardLine(m, category, coded, amount))
    return lines


def _weighted(rng, choices) -> str:
    x, acc = rng.random(), 0.0
    for value, weight in choices:
        acc += weight
        if x < acc:
            return value
    return choices[-1][0]
