"""Streaming writer for the simulation's output directory.

Records are buffered per simulated day and flushed (sorted by time, then by the order
they were produced) when the day closes, so files are in time order and memory stays
bounded by one day's activity at any scale. A record may be dated in a future day (a
payout's paid version); it waits in that day's buffer. Writing into a day that has
already been flushed is a bug and raises.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from json.encoder import encode_basestring as _escape  # C; keeps non-ASCII as is
from pathlib import Path

from .util import dumps, iso_z


class Output:
    def __init__(self, root: Path, end: date):
        self.root = root
        self.end = end  # the last simulated day: records dated later are the future, never written
        self._files: dict[str, object] = {}
        # day -> file key -> list of (time text, sequence, line)
        self._buffers: dict[date, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self._seq = 0
        self._flushed_through: date | None = None
        self.counts: dict[str, int] = defaultdict(int)
        self._last_body: str | None = None
        self._last_escaped = ""

    # -- files -------------------------------------------------------------------------
    def _file(self, key: str):
        handle = self._files.get(key)
        if handle is None:
            path = self.root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "w", encoding="utf-8", newline="\n")
            self._files[key] = handle
        return handle

    def _add(self, key: str, moment: datetime, line: str) -> None:
        day = moment.date()
        if self._flushed_through is not None and day <= self._flushed_through:
            # Files are in time order only if nothing is written into a day already flushed.
            raise ValueError(f"{key}: record at {moment} after {self._flushed_through} was flushed")
        self._seq += 1
        self._buffers[day][key].append((moment.timestamp(), self._seq, line))

    # -- record kinds --------------------------------------------------------------------
    def api(
        self,
        source: str,
        resource: str,
        moment: datetime,
        obj_id,
        obj_json: str,
        deleted: bool = False,
        refs: dict | None = None,
    ) -> None:
        """One version of an API resource. `obj_json` is the provider JSON text."""
        extra = f',"refs":{dumps(refs)}' if refs else ""
        line = (
            f'{{"at":"{iso_z(moment)}","id":{json.dumps(str(obj_id))},'
            f'"deleted":{"true" if deleted else "false"}{extra},"object":{obj_json}}}'
        )
        self._add(f"api/{source}/{resource}.jsonl", moment, line)

    def webhook(
        self, source: str, moment: datetime, delivery_id: str, headers: dict, body: str, path: str | None = None
    ) -> None:
        # Assembled by hand (same bytes as dumps of the dict) so that a body delivered
        # twice (Shopify's orders/create + orders/paid) is JSON-escaped only once.
        if body is not self._last_body:
            self._last_body, self._last_escaped = body, _escape(body)
        line = (
            f'{{"delivery_id":{_escape(delivery_id)},"source":"{source}","sent_at":"{iso_z(moment)}",'
            f'"method":"POST","path":{_escape(path or f"/webhooks/{source}")},"headers":{dumps(headers)},'
            f'"body":{self._last_escaped}}}'
        )
        self._add(f"webhooks/{source}.jsonl", moment, line)

    # -- flushing ------------------------------------------------------------------------
    def flush_through(self, day: date) -> None:
        for buffered_day in sorted(d for d in self._buffers if d <= day):
            files = self._buffers.pop(buffered_day)
            for key in sorted(files):
                rows = files[key]
                rows.sort()
                handle = self._file(key)
                handle.write("\n".join(r[2] for r in rows))
                handle.write("\n")
                self.counts[key] += len(rows)
        self._flushed_through = day

    def close(self) -> None:
        self.flush_through(self.end)
        self._buffers.clear()
        for handle in self._files.values():
            handle.close()
        self._files.clear()

    def touch(self, key: str) -> None:
        """Make sure a file exists even if a short run produced no records for it."""
        self._file(key)
