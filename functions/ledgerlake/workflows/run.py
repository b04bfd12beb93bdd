"""One write-back run: propose from the marts, keep the actions, write what modes allow.

Called after each transform (the write-back Lambda, `ledgerlake actions run`). Safe to run
any number of times: a proposal finds its existing action (same id), an applied or
rejected action is never written again, and every write carries the provider's
idempotency key (the action id), so even a write whose answer was lost is not repeated
by the retry. A refused write (validation error, 401, 429, 5xx) leaves the action
`pending` with the provider's reason; the next run tries again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from .modes import Modes
from .propose import Proposal, propose
from .store import OPEN, ActionStore, now_iso

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "ledgerlake-writeback"


@dataclass
class RunSummary:
    proposed: int = 0  # new actions this run
    applied: int = 0
    refused: int = 0
    superseded: int = 0
    open_by_status: dict[str, int] = field(default_factory=dict)
    applied_ids: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    modes: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "applied_ids"}


def target_status(mode: str, action: dict) -> str:
    if mode in ("off", "dry-run"):
        return "dry_run"
    if mode == "draft":
        return "pending" if action.get("approved_by") else "awaiting_approval"
    return "pending"


def preview(proposal_or_action) -> dict:
    """The request that would be sent (shown by dry runs and on the Actions page)."""
    kind = proposal_or_action["kind"] if isinstance(proposal_or_action, dict) else proposal_or_action.kind
    system = proposal_or_action["system"] if isinstance(proposal_or_action, dict) else proposal_or_action.system
    payload = proposal_or_action["payload"] if isinstance(proposal_or_action, dict) else proposal_or_action.payload
    if kind == "create_invoice":
        from importlib import import_module

        return import_module(f"ledgerlake.sources.{system}.write").describe(payload)
    from ..sources.hubspot import write as hubspot

    return hubspot.describe(payload["object_type"], payload["object_id"], payload["properties"], payload["mark_won"])


def _new_action(proposal: Proposal, mode: str) -> dict:
    action = {
        "action_id": proposal.action_id,
        "workflow": proposal.workflow,
        "entity_id": proposal.entity_id,
        "kind": proposal.kind,
        "system": proposal.system,
        "identity": list(proposal.identity),
        "payload": proposal.payload,
        "why": proposal.why,
        "evidence": proposal.evidence,
        "mode": mode,
        "created_at": now_iso(),
        "attempts": 0,
        "last_error": None,
        "result": None,
    }
    action["status"] = target_status(mode, action)
    action["preview"] = _json_safe(preview(proposal))
    return action


def _json_safe(value):
    import json

    from ..sources.writing import _json_default

    return json.loads(json.dumps(value, default=_json_default))


def sync_actions(
    store: ActionStore,
    proposals: dict[str, list[Proposal]],
    modes: Modes,
    summary: RunSummary,
    actor: str = SYSTEM_ACTOR,
) -> list[dict]:
    """Record this run's proposals as actions; returns every action (updated)."""
    actions = {a["action_id"]: a for a in store.all()}
    for workflow, items in proposals.items():
        seen = set()
        for proposal in items:
            mode = modes.mode(workflow, proposal.entity_id)
            if mode == "off":
                continue
            seen.add(proposal.action_id)
            action = actions.get(proposal.action_id)
            if action is None:
                action = actions[proposal.action_id] = _new_action(proposal, mode)
                store.audit(
                    action,
                    "proposed",
                    actor,
                    {"mode": mode, "payload": action["payload"], "preview": action["preview"]},
                )
                store.save(action)
                summary.proposed += 1
                continue
            if action["status"] in ("applied", "rejected", "reversed"):
                continue  # done, or a person said no: never again
            status = target_status(mode, action)
            changed = action["payload"] != proposal.payload or action["status"] != status or action["mode"] != mode
            if changed:
                action.update(
                    payload=proposal.payload,
                    why=proposal.why,
                    evidence=proposal.evidence,
                    mode=mode,
                    status=status,
                    preview=_json_safe(preview(proposal)),
                )
                store.audit(action, "updated", actor, {"mode": mode, "payload": proposal.payload})
                store.save(action)
        for action in actions.values():  # open actions whose cause is gone
            if action["workflow"] == workflow and action["status"] in OPEN and action["action_id"] not in seen:
                action["status"] = "superseded"
                store.audit(action, "superseded", actor, {"reason": "no longer proposed by the marts"})
                store.save(action)
                summary.superseded += 1
    return list(actions.values())


class Writers:
    """The write contexts per provider for one run (one HTTP client, the run's budget)."""

    def __init__(
        self,
        base_urls: dict[str, str] | None = None,
        credentials: dict[str, str] | None = None,
        http=None,
        budget_seconds: float | None = None,
    ):
        from ..polling.http import Budget, HttpClient, RetryPolicy

        attempts = int(os.environ.get("LEDGERLAKE_WRITEBACK_ATTEMPTS", "3"))
        self.http = http or HttpClient(
            budget=Budget(budget_seconds), policy=RetryPolicy(max_attempts=attempts, max_delay=10.0)
        )
        self.base_urls = base_urls or {}
        self.credentials = credentials or {}
        self.contexts: dict[str, Any] = {}

    def context(self, source: str):
        from ..polling.runner import base_url_for
        from ..sources.writing import WriteContext

        if source not in self.contexts:
            url = (self.base_urls.get(source) or base_url_for(source)).rstrip("/")
            self.contexts[source] = WriteContext(source, url, self.http, dict(self.credentials))
        return self.contexts[source]

    def apply(self, action: dict):
        payload = action["payload"]
        ctx = self.context(action["system"])
        if action["kind"] == "create_invoice":
            from importlib import import_module

            module = import_module(f"ledgerlake.sources.{action['system']}.write")
            return module.create_invoice(ctx, payload, action["action_id"])
        from ..sources.hubspot import write as hubspot

        return hubspot.update(
            ctx,
            payload["object_type"],
            payload["object_id"],
            payload["properties"],
            pipeline=payload.get("pipeline"),
            mark_won=payload.get("mark_won", False),
        )


def attempt(store: ActionStore, action: dict, writers: Writers, actor: str) -> bool:
    """Write one pending action; True when the provider accepted it."""
    outcome = writers.apply(action)
    action["attempts"] = int(action.get("attempts", 0)) + 1
    action["last_attempt_at"] = now_iso()
    if outcome.applied:
        action.update(status="applied", result=outcome.result, last_error=None, applied_at=now_iso())
    else:
        action["last_error"] = outcome.reason
    store.audit(
        action,
        "applied" if outcome.applied else "refused",
        actor,
        {
            "result": outcome.result,
            "reason": outcome.reason or None,
            "status_code": outcome.status,
            "exchanges": [e.to_json() for e in outcome.exchanges],
        },
    )
    store.save(action)
    return outcome.applied


def run_writeback(
    *,
    lake=None,
    warehouse=None,
    conn=None,
    modes: Modes | None = None,
    base_urls: dict[str, str] | None = None,
    credentials: dict[str, str] | None = None,
    settings=None,
    http=None,
    actor: str = SYSTEM_ACTOR,
    max_writes: int | None = None,
    budget_seconds: float | None = None,
    workflows=None,
) -> RunSummary:
    from ..config import Settings
    from ..lake import Lake

    settings = settings or Settings.from_env()
    lake = lake or Lake(settings)
    modes = modes or Modes.from_env()
    summary = RunSummary(modes=modes.describe())
    own = conn is None
    if own:  # the warehouse file when there is one, else the published Parquet marts (the Lambda)
        from pathlib import Path

        from ..analyst import connect

        local = warehouse is not None and Path(warehouse).exists()
        conn = connect(warehouse, source="warehouse" if local else "s3", lake=not local, settings=settings)
    try:
        proposals, summary.missing = propose(conn, workflows)
    finally:
        if own:
            conn.close()
    store = ActionStore(lake)
    actions = sync_actions(store, proposals, modes, summary, actor)
    limit = max_writes if max_writes is not None else int(os.environ.get("LEDGERLAKE_WRITEBACK_MAX_WRITES", "200"))
    writers = Writers(base_urls, credentials, http, budget_seconds)
    for action in sorted(actions, key=lambda a: (a.get("created_at") or "", a["action_id"])):
        if action["status"] != "pending":
            continue
        if summary.applied + summary.refused >= limit:
            break  # the rest waits for the next run (a bound on what one run can change)
        if attempt(store, action, writers, actor):
            summary.applied += 1
            summary.applied_ids.append(action["action_id"])
        else:
            summary.refused += 1
            summary.refusals.append(f"{action['action_id']}: {action['last_error']}")
    for action in actions:
        summary.open_by_status[action["status"]] = summary.open_by_status.get(action["status"], 0) + 1
    log.info("write-back run", extra={"summary": summary.to_json()})
    return summary


def decide(store: ActionStore, action_id: str, verdict: str, by: str, reason: str = "") -> dict:
    """A person's decision on an open action: `approve` or `reject`."""
    action = store.get(action_id)
    if action is None:
        raise KeyError(f"no action {action_id}")
    if action["status"] not in OPEN:
        raise ValueError(f"action {action_id} is {action['status']}: only open actions can be decided")
    if verdict == "approve":
        action.update(approved_by=by, approved_at=now_iso())
        action["status"] = target_status(action["mode"], action) if action["mode"] != "dry-run" else "dry_run"
    elif verdict == "reject":
        action.update(status="rejected", rejected_by=by, rejected_at=now_iso(), reject_reason=reason)
    else:
        raise ValueError("verdict must be approve or reject")
    store.audit(action, "approved" if verdict == "approve" else "rejected", by, {"reason": reason} if reason else {})
    store.save(action)
    return action


def reverse(store: ActionStore, action_id: str, by: str, writers: Writers) -> dict:
    """Take back an applied invoice where the provider allows it (void in QuickBooks,
    delete the draft in Xero)."""
    from importlib import import_module

    action = store.get(action_id)
    if action is None or action["status"] != "applied" or action["kind"] != "create_invoice":
        raise ValueError(f"action {action_id} is not an applied invoice")
    module = import_module(f"ledgerlake.sources.{action['system']}.write")
    outcome = module.void_invoice(writers.context(action["system"]), action["result"]["invoice_id"], action_id)
    if outcome.applied:
        action.update(status="reversed", reversed_by=by, reversed_at=now_iso())
    store.audit(
        action,
        "reversed" if outcome.applied else "reverse_refused",
        by,
        {
            "result": outcome.result,
            "reason": outcome.reason or None,
            "exchanges": [e.to_json() for e in outcome.exchanges],
        },
    )
    store.save(action)
    if not outcome.applied:
        raise RuntimeError(outcome.reason)
    return action
