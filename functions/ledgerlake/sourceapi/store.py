"""The simulated company's API resources, indexed in memory and served at a movable clock.

Input: `DIR/api/{source}/{resource}.jsonl`, one version per line:
    {"at": "2025-06-01T10:00:00Z", "id": "ch_123", "deleted": false, "object": {...}}

At clock T the API shows, for every id, its latest version with `at <= T`. Versions are
parsed once into lists sorted by `at`, so "what exists at T" is a prefix (bisect) and
"what changed in (A, T]" is a slice; per-clock snapshots are cached because pollers ask
many pages at the same clock.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def parse_time(text: str) -> float:
    """ISO-8601 (with Z or offset) to epoch seconds."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def norm_name(name: str) -> str:
    """'BillPayments', 'bill_payment', 'billpayment' -> 'billpayment'."""
    text = name.lower().replace("_", "").replace("-", "")
    return text[:-1] if text.endswith("s") else text


class Version:
    """One version line. The object stays as its JSON bytes (served verbatim, spliced into
    responses) and is parsed only when a provider needs a field from it."""

    __slots__ = ("at", "deleted", "id", "ordinal", "raw", "refs", "seq")

    def __init__(self, at: float, rid: str, deleted: bool, raw: bytes, ordinal: int, seq: int, refs: dict | None):
        self.at, self.id, self.deleted, self.raw = at, rid, deleted, raw
        self.ordinal, self.seq, self.refs = ordinal, seq, refs

    @property
    def obj(self) -> Any:
        return json.loads(self.raw)

    @property
    def json(self) -> RawJSON:
        return RawJSON(self.raw)


class RawJSON:
    """JSON text to splice into a response as-is (see `dumps`)."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes):
        self.raw = raw


_TOKEN = re.compile(rb'"\\u0000RAW(\d+)\\u0000"')


def dumps(doc: Any) -> bytes:
    """json.dumps, with every RawJSON value spliced in verbatim (no parse, no re-encode)."""
    raws: list[bytes] = []

    def swap(value):
        if isinstance(value, RawJSON):
            raws.append(value.raw)
            return f"\u0000RAW{len(raws) - 1}\u0000"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(doc), separators=(",", ":"), default=_decimal).encode()
    if not raws:
        return text
    return _TOKEN.sub(lambda m: raws[int(m.group(1))], text)


def _decimal(value):
    # Money leaves as a JSON number, as the providers send it: a Decimal with at most a few
    # places becomes the float whose shortest repr is the same text (the generator's rule).
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Resource:
    def __init__(self, name: str, rows: list[tuple[float, str, bool, bytes, dict | None]]):
        self.name = name
        rows.sort(key=lambda r: r[0])  # stable: file order breaks ties
        counts: dict[str, int] = {}
        self.versions: list[Version] = []
        for seq, (at, rid, deleted, obj, refs) in enumerate(rows):
            ordinal = counts.get(rid, 0)
            counts[rid] = ordinal + 1
            self.versions.append(Version(at, rid, deleted, obj, ordinal, seq, refs))
        rows.clear()
        self.ats = [v.at for v in self.versions]
        self.by_id: dict[str, list[Version]] = {}
        for version in self.versions:
            self.by_id.setdefault(version.id, []).append(version)
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.RLock()  # derived indexes build on other cached ones

    def append(self, at: float, rid: str, deleted: bool, raw: bytes) -> None:
        """Add the newest version (`at` not before any other); derived indexes are dropped."""
        with self._lock:
            ordinal = len(self.by_id.get(rid, []))
            version = Version(at, rid, deleted, raw, ordinal, len(self.versions), None)
            self.versions.append(version)
            self.ats.append(at)
            self.by_id.setdefault(rid, []).append(version)
            self._cache.clear()

    def upto(self, clock: float) -> int:
        """Number of versions visible at `clock`."""
        return bisect.bisect_right(self.ats, clock)

    def get(self, rid: str, clock: float) -> Version | None:
        versions = self.by_id.get(rid)
        if not versions:
            return None
        i = bisect.bisect_right([v.at for v in versions], clock)
        return versions[i - 1] if i else None

    def memo(self, key: Any, build: Callable[[], Any]) -> Any:
        """Cache a derived index (keyed with the clock by the caller)."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)  # least recently used goes first
            else:
                while len(self._cache) >= 64:
                    self._cache.popitem(last=False)
                self._cache[key] = build()
            return self._cache[key]

    def latest(self, clock: float) -> list[Version]:
        """Latest version of every id visible at `clock`, ordered by (at, seq)."""

        def build() -> list[Version]:
            last: dict[str, Version] = {}
            for version in self.versions[: self.upto(clock)]:
                last[version.id] = version
            return sorted(last.values(), key=lambda v: v.seq)

        return self.memo(("latest", clock), build)

    def changed(self, since: float | None, clock: float, inclusive: bool = True) -> list[Version]:
        """Latest version (at `clock`) of every id with a version in [since, clock]."""
        rows = self.latest(clock)
        if since is None:
            return rows
        keys = self.memo(("latest-ats", clock), lambda: [v.at for v in rows])
        start = bisect.bisect_left(keys, since) if inclusive else bisect.bisect_right(keys, since)
        return rows[start:]


class SimStore:
    """All resources of a simulation directory, plus the clock they are served at."""

    def __init__(self, sim_dir: Path | str, clock: float | str | datetime | None = None):
        self.sim_dir = Path(sim_dir)
        self.resources: dict[str, dict[str, Resource]] = {}
        api = self.sim_dir / "api"
        if api.is_dir():
            for source_dir in sorted(p for p in api.iterdir() if p.is_dir()):
                for path in sorted(source_dir.glob("*.jsonl")):
                    self.resources.setdefault(source_dir.name, {})[norm_name(path.stem)] = _load(path)
        ats = [r.ats[-1] for rs in self.resources.values() for r in rs.values() if r.ats]
        firsts = [r.ats[0] for rs in self.resources.values() for r in rs.values() if r.ats]
        self.start = min(firsts) if firsts else 0.0
        self.end = max(ats) if ats else 0.0
        self.clock = self.end
        if clock is not None:
            self.set_clock(clock)

    def set_clock(self, clock: float | str | datetime) -> float:
        if isinstance(clock, str):
            clock = parse_time(clock)
        elif isinstance(clock, datetime):
            clock = clock.timestamp() if clock.tzinfo else clock.replace(tzinfo=UTC).timestamp()
        self.clock = float(clock)
        return self.clock

    def resource(self, source: str, name: str) -> Resource:
        found = self.resources.get(source, {}).get(norm_name(name))
        return found if found is not None else Resource(name, [])

    def names(self, source: str) -> list[str]:
        return sorted(r.name for r in self.resources.get(source, {}).values())

    def put(self, source: str, name: str, rid: str, obj: Any, deleted: bool = False) -> Version:
        """A provider-side write (the local server accepting a create/update): a new version of
        `rid` at the clock, visible to every later read and change query (polls bring it back)."""
        resources = self.resources.setdefault(source, {})
        key = norm_name(name)
        res = resources.get(key) or Resource(name, [])
        from ..simulate.util import dumps as wire_dumps  # Decimals as JSON numbers, like the generator

        raw = obj if isinstance(obj, bytes) else wire_dumps(obj).encode()
        if res.ats and res.ats[-1] > self.clock:  # a write "in the past" (clock moved back): rebuild
            rows = [(v.at, v.id, v.deleted, v.raw, v.refs) for v in res.versions]
            rows.append((self.clock, rid, deleted, raw, None))
            res = Resource(res.name, rows)
        else:
            res.append(self.clock, rid, deleted, raw)
        resources[key] = res
        self.end = max(self.end, self.clock)
        return res.by_id[rid][-1]

    def record_count(self) -> int:
        return sum(len(r.versions) for rs in self.resources.values() for r in rs.values())


# The generator writes `{"at":…,"id":…,"deleted":…[,"refs":{…}],"object":{…}}` lines; the
# object's bytes are taken from the line without parsing it. Other key orders fall back
# to a full parse.
_LINE = re.compile(
    rb'^\{"at":"([^"]+)","id":("(?:[^"\\]|\\.)*"),"deleted":(true|false)(?:,"refs":(\{[^{}]*\}))?,"object":'
)


def _load(path: Path) -> Resource:
    rows: list[tuple[float, str, bool, bytes, dict | None]] = []
    with path.open("rb") as handle:
        for line in handle:
            line = line.rstrip()
            if not line:
                continue
            match = _LINE.match(line)
            if match and line.endswith(b"}"):
                refs = json.loads(match.group(4)) if match.group(4) else None
                rows.append(
                    (
                        parse_time(match.group(1).decode()),
                        json.loads(match.group(2)),
                        match.group(3) == b"true",
                        line[match.end() : -1],
                        refs,
                    )
                )
            else:
                item = json.loads(line)
                rows.append(
                    (
                        parse_time(item["at"]),
                        str(item["id"]),
                        bool(item.get("deleted")),
                        json.dumps(item["object"], separators=(",", ":")).encode(),
                        item.get("refs"),
                    )
                )
    return Resource(path.stem, rows)
