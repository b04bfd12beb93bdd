"""Write-back: the workflows that change the providers, not just read them.

* `invoice_from_won_deal`: a won HubSpot deal the integrity mart finds without an invoice
  gets a draft invoice in its entity's ledger (QuickBooks for the US, Xero for the UK),
  the customer created there when missing, the deal named on the invoice.
* `paid_to_crm`: a deal whose invoices are paid (or part paid) shows it in HubSpot, on
  the deal and its company (status, paid date, amount outstanding).

Each run reads the marts (`propose`), keeps every proposed write as an action in the lake
(`store`), and applies what its mode allows (`run`): `off`, `dry-run` (the default:
propose, write nothing), `draft` (wait for approval) or `auto` — per workflow and entity
(`modes`). Every write is idempotent, every attempt audited in the lake; see
docs/workflows.md.
"""

from .modes import MODES, WORKFLOWS, Modes
from .run import RunSummary, run_writeback
from .store import ActionStore

__all__ = ["MODES", "WORKFLOWS", "ActionStore", "Modes", "RunSummary", "run_writeback"]
