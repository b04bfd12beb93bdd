"""Which workflow may write what, per legal entity: `LEDGERLAKE_WRITEBACK_MODES`.

    LEDGERLAKE_WRITEBACK_MODES="invoice_from_won_deal.US=auto,invoice_from_won_deal.UK=draft,paid_to_crm.*=auto"

`<workflow>.<entity>=<mode>`, comma separated; `*` stands for every workflow or entity;
the most specific entry wins. Anything not named is `dry-run`: nothing is ever written
unless configuration says so.

* `off`: not even proposed.
* `dry-run`: proposed and shown (what would be sent), never written.
* `draft`: proposed and held for a person to approve (dashboard Actions page or
  `ledgerlake actions approve`); written once approved. Invoices are drafts in any mode
  (Xero DRAFT, QuickBooks unsent).
* `auto`: written on the next run, no approval.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

WORKFLOWS = ("invoice_from_won_deal", "paid_to_crm")
MODES = ("off", "dry-run", "draft", "auto")
DEFAULT_MODE = "dry-run"
ENV = "LEDGERLAKE_WRITEBACK_MODES"


@dataclass(frozen=True)
class Modes:
    rules: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str | None) -> Modes:
        rules: dict[tuple[str, str], str] = {}
        for item in (text or "").replace(";", ",").split(","):
            item = item.strip()
            if not item:
                continue
            target, sep, mode = item.partition("=")
            workflow, _, entity = target.strip().partition(".")
            mode = mode.strip()
            if not sep or mode not in MODES:
                raise ValueError(f"{ENV}: {item!r} must be <workflow>.<entity>=<mode>, mode one of {', '.join(MODES)}")
            if workflow not in WORKFLOWS + ("*",):
                raise ValueError(f"{ENV}: unknown workflow {workflow!r} in {item!r}; one of {', '.join(WORKFLOWS)}")
            rules[(workflow, (entity or "*").strip().upper() if entity != "*" else "*")] = mode
        return cls(rules)

    @classmethod
    def from_env(cls) -> Modes:
        return cls.parse(os.environ.get(ENV))

    def mode(self, workflow: str, entity: str | None) -> str:
        entity = (entity or "*").upper()
        for key in ((workflow, entity), (workflow, "*"), ("*", entity), ("*", "*")):
            if key in self.rules:
                return self.rules[key]
        return DEFAULT_MODE

    def describe(self) -> str:
        return ", ".join(f"{w}.{e}={m}" for (w, e), m in sorted(self.rules.items())) or f"everything {DEFAULT_MODE}"
