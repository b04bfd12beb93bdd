"""What the local server needs to accept writes like the providers do.

* `record(api, source, resource, rid, obj)`: the write becomes a new version at the
  server's clock (moved one second on, so every write has its own, later, change stamp):
  the next poll's change query and the next hydration see it, exactly as real provider
  changes.
* `replay(api, key)` / `remember(api, key, reply)`: idempotency. QuickBooks' `requestid`
  query parameter and Xero's `Idempotency-Key` header: a request repeated with the same
  key gets the first successful answer again and writes nothing. Refusals (4xx) are not
  remembered, so a caller that fixes the cause can retry under the same key.
* `counts`: writes accepted per source (tests assert "the second run wrote nothing").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any


def body_json(req) -> Any:
    """The request body with numbers as Decimal (money never passes through a float)."""
    return json.loads(req.body or b"{}", parse_float=Decimal)


def _state(api) -> dict:
    return api.state.setdefault("writes", {"replies": {}, "counts": {}, "log": []})


def replay(api, key: str | None):
    if not key:
        return None
    return _state(api)["replies"].get(key)


def remember(api, key: str | None, reply) -> None:
    if key and 200 <= reply.status < 300:
        _state(api)["replies"][key] = reply


def once(api, key: str | None, answer: Callable[[], Any]):
    """The first successful answer for `key` again, else `answer()` (remembered if it succeeds)."""
    earlier = replay(api, key)
    if earlier is not None:
        return earlier
    reply = answer()
    remember(api, key, reply)
    return reply


def record(
    api, source: str, resource: str, rid: str, build: Callable[[float], Any], deleted: bool = False, method: str = ""
) -> Any:
    """Store one written object as its newest version; `build(at)` makes it, stamped with
    the write's time. Returns the object (the provider's answer)."""
    with api.lock:
        api.store.set_clock(api.store.clock + 1.0)
        obj = build(api.store.clock)
        api.store.put(source, resource, rid, obj, deleted)
        state = _state(api)
        state["counts"][source] = state["counts"].get(source, 0) + 1
        state["log"].append({"source": source, "resource": resource, "id": rid, "method": method})
        return obj


def counts(api) -> dict[str, int]:
    return dict(_state(api)["counts"])


def log(api) -> list[dict]:
    return list(_state(api)["log"])
