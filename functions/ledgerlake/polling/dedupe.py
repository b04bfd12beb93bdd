"""Raw may hold the same object many times (overlapping windows, reruns after a crash,
the same record on a `payout=` page and a date page). Staging keeps one row per object:
the version with the newest provider update stamp. This is the poller's own reference
implementation of that rule, used by tests and operators to check a poll is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any


@dataclass(frozen=True)
class Record:
    kind: str  # the provider's object type: "event", "Invoice", "deal", ...
    id: str
    stamp: str  # the provider's own update stamp, normalised to sortable UTC ISO text
    deleted: bool
    obj: Any


def latest(records: Iterable[Record]) -> dict[tuple[str, str], Record]:
    """One record per (kind, id): the newest stamp wins; on a tie the later arrival wins."""
    out: dict[tuple[str, str], Record] = {}
    for record in records:
        key = (record.kind, record.id)
        seen = out.get(key)
        if seen is None or record.stamp >= seen.stamp:
            out[key] = record
    return out


def raw_records(lake, source: str, entity: str | None = None) -> Iterator[Record]:
    """Every record on every polled page of a source (optionally one raw entity),
    in arrival order."""
    from ..lake import raw_prefix
    from .runner import provider_module

    module = provider_module(source)
    pages = []
    for key in lake.keys(raw_prefix(source, entity)):
        if "/poll-" not in key:
            continue
        envelope, payload = lake.read(key)
        pages.append((envelope["received_at"], key, envelope["entity"], payload))
    pages.sort()
    for _, _, page_entity, payload in pages:
        yield from module.page_records(page_entity, payload)


def latest_from_lake(lake, source: str, entity: str | None = None) -> dict[tuple[str, str], Record]:
    return latest(raw_records(lake, source, entity))


def utc_stamp(value) -> str:
    """Any provider time (epoch s, epoch ms, ISO with offset, Xero /Date(ms+0000)/) as
    sortable UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`; '' when absent or unreadable (a
    tolerant reader: a record without a usable stamp still lands, it just cannot move a
    cursor)."""
    from ..webhooks.core import parse_time

    try:
        moment = parse_time(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
    except (OverflowError, OSError, ValueError):
        moment = None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment is not None else ""


def stamp_time(stamp: str):
    """A `utc_stamp` text back to an aware datetime (None for '')."""
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def page_time(stamps, fallback=None):
    """The date a page is filed under: its earliest readable stamp, else `fallback`, else now."""
    from datetime import datetime

    known = sorted(s for s in stamps if s)
    if known:
        return stamp_time(known[0])
    return fallback or datetime.now(UTC)


def xero_date_epoch(text: str) -> float:
    """`/Date(1439434356790+0000)/` -> 1439434356.79 (the offset only says how it was shown)."""
    import re

    match = re.match(r"^/Date\((-?\d+)([+-]\d{4})?\)/$", text)
    if not match:
        raise ValueError(f"not a Xero JSON date: {text!r}")
    return int(match.group(1)) / 1000.0
