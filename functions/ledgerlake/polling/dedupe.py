"""Raw may hold the same object many times (overlapping windows, reruns after a crash,
the same record on a `payout=` page and a date page). Staging keeps one row per object:
the version with the newest provider update stamp. This is the poller's own reference
implementation of that rule, used by tests and operators to check a poll is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator


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
    sortable UTC text `YYYY-MM-DDTHH:MM:SS.ffffffZ`; '' when absent."""
    from datetime import datetime, timezone

    if value is None or value == "":
        return ""
    if isinstance(value, str) and value.startswith("/Date("):
        value = xero_date_epoch(value)
    elif isinstance(value, str) and value.isdigit():
        value = int(value) / (1000.0 if len(value) >= 12 else 1.0)
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, timezone.utc)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def xero_date_epoch(text: str) -> float:
    """`/Date(1439434356790+0000)/` -> 1439434356.79 (the offset only says how it was shown)."""
    import re

    match = re.match(r"^/Date\((-?\d+)([+-]\d{4})?\)/$", text)
    if not match:
        raise ValueError(f"not a Xero JSON date: {text!r}")
    return int(match.group(1)) / 1000.0
