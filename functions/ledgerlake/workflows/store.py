"""Actions and their audit trail, in the lake (the raw bucket, beside raw/):

    writeback/actions/{action_id}.json                         the action's current state
    writeback/audit/date={day}/{action_id}/{n:04d}-{event}.json one immutable record per event

An action is one write a workflow proposes: its id is derived from what it is about (the
deal for an invoice; the record and the values for a CRM update), so proposing it again
finds the same action instead of making a second one. The audit records say who did what,
when and why, with every request sent and the provider's answer (credentials never kept);
they are written once and never rewritten.

Statuses: `dry_run` (shown, never written), `awaiting_approval` (draft mode), `pending`
(to be written: auto, or approved; a refused write stays here with `last_error`),
`applied`, `rejected` (by a person; never proposed again), `superseded` (what it was for
no longer holds: the deal got its invoice some other way, the status changed again).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

PREFIX = "writeback/actions/"
AUDIT = "writeback/audit/"
OPEN = ("dry_run", "awaiting_approval", "pending")


def _wire(value):
    from ..sources.writing import _json_default

    try:
        return _json_default(value)
    except TypeError:
        return str(value)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ActionStore:
    def __init__(self, lake):
        self.lake = lake

    def get(self, action_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return json.loads(self.lake.read_bytes(f"{PREFIX}{action_id}.json"))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def save(self, action: dict[str, Any]) -> None:
        action["updated_at"] = now_iso()
        self.lake.s3.put_object(
            Bucket=self.lake.bucket,
            Key=f"{PREFIX}{action['action_id']}.json",
            Body=json.dumps(action, indent=1, sort_keys=True, default=str).encode(),
            ContentType="application/json",
        )

    def all(self) -> list[dict[str, Any]]:
        actions = [json.loads(self.lake.read_bytes(key)) for key in self.lake.keys(PREFIX) if key.endswith(".json")]
        return sorted(actions, key=lambda a: (a.get("created_at") or "", a["action_id"]))

    def audit(self, action: dict[str, Any], event: str, by: str, detail: dict[str, Any] | None = None) -> str:
        """One immutable audit record; `action['audit_seq']` numbers them per action."""
        action["audit_seq"] = int(action.get("audit_seq", 0)) + 1
        at = now_iso()
        record = {
            "action_id": action["action_id"],
            "workflow": action["workflow"],
            "entity_id": action["entity_id"],
            "kind": action["kind"],
            "event": event,
            "by": by,
            "at": at,
            "why": action.get("why"),
            "status_after": action.get("status"),
            **(detail or {}),
        }
        key = f"{AUDIT}date={at[:10]}/{action['action_id']}/{action['audit_seq']:04d}-{event}.json"
        # money as the JSON number it was sent as (the request's own text), not a quoted string
        self.lake._put_if_absent(key, json.dumps(record, sort_keys=True, default=_wire).encode())
        action.setdefault("history", []).append(
            {
                "at": at,
                "event": event,
                "by": by,
                **({"reason": detail["reason"]} if detail and "reason" in detail else {}),
            }
        )
        return key

    def audit_records(self, action_id: str | None = None) -> list[dict[str, Any]]:
        keys = [k for k in self.lake.keys(AUDIT) if action_id is None or f"/{action_id}/" in k]
        return [json.loads(self.lake.read_bytes(k)) for k in sorted(keys)]
