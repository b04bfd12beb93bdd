"""Budgets kept in the ledgers themselves (issue #20): a QBO `Budget` per fiscal year and a
Xero OVERALL budget, each holding a monthly amount for a few P&L accounts.

Northwind's FP&A person budgets on a rolling run-rate: on the first of every month (from the
second simulated month) each budgeted account gets that month's budget, last month's actual
adjusted by a planned change (-8 % .. +12 %, drawn per account and month) and rounded to whole
currency units, as budgets are typed. Each month's entry is a new version of the budget
object (QBO: SyncToken + 1, `MetaData.LastUpdatedTime`; Xero: `UpdatedDateUTC`), so the
pollers see budgets change like any other record.

Wire shapes (docs searched: Intuit's Budget entity; developer.xero.com/documentation/api/budgets):
* QBO `Budget`: Id, Name, StartDate, EndDate, BudgetType "ProfitAndLoss", BudgetEntryType
  "Monthly", Active, BudgetDetail[] of {BudgetDate, Amount, AccountRef{value, name}},
  SyncToken, MetaData. Read with the query API (`select * from Budget`); not in CDC.
* Xero `Budgets`: BudgetID, Type OVERALL, Description, UpdatedDateUTC, Tracking [],
  BudgetLines[] of {AccountID, AccountCode, BudgetBalances[] of {Period "YYYY-MM", Amount,
  Notes}}; the list omits BudgetLines, `GET /Budgets/{id}?DateFrom&DateTo` returns them.

Its own random stream ("ledger_budgets"), so nothing else the company draws moves. The truth
(truth/ledger_budgets.csv) lists every budgeted month as the ledger holds it at the end.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from .company import QBO_ACCOUNTS, UK, US, XERO_ACCOUNTS
from .util import add_months, at, dec, dumps, money_str, qbo_time, stream, xero_date

BUDGETED = {
    US: ("rev_services", "rev_subscriptions", "cogs_hosting", "salaries", "rent", "software", "advertising"),
    UK: ("rev_services", "rev_store", "salaries", "rent", "software", "hosting", "advertising"),
}
CHANGE_BP = (-800, 1200)  # planned change on last month's actual, basis points
QBO_BUDGET_ID_BASE = 900_000  # its own id range: the books' shared Id sequence is not drawn from


class LedgerBudgets:
    def __init__(self, engine):
        self.engine = engine
        self.rng = stream(engine.seed, "ledger_budgets")
        self.qbo: dict[int, dict] = {}  # fiscal year (named by the year it ends in) -> Budget object
        self.xero: dict | None = None
        self.amounts: dict[tuple[str, str, date], int] = {}  # (entity, account key, month) -> minor

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def open(self) -> None:
        self.engine.out.touch("api/qbo/Budget.jsonl")
        self.engine.out.touch("api/xero/Budgets.jsonl")
        self.xero = {
            "BudgetID": self._uuid(),
            "Type": "OVERALL",
            "Description": "Northwind UK Budget",
            "UpdatedDateUTC": "",
            "Tracking": [],
            "BudgetLines": [],
        }

    def step(self, day: date) -> None:
        """On the first of a month after the first: budget this month from last month's actuals."""
        engine = self.engine
        if day.day != 1 or day <= engine.start:
            return
        last = add_months(day, -1).strftime("%Y-%m")
        planned = {}
        for entity in (US, UK):
            books = engine.books[entity]
            for key in BUDGETED[entity]:
                change = self.rng.randrange(CHANGE_BP[0], CHANGE_BP[1] + 1)
                movement = books.movements.get((last, key), 0)
                actual = -movement if key in books.income_keys else movement
                amount = round(actual * (10_000 + change) / 10_000 / 100) * 100  # whole units
                if amount > 0:
                    planned[(entity, key)] = amount
                    self.amounts[(entity, key, day)] = amount
        self._qbo(day, {k: v for (e, k), v in planned.items() if e == US})
        self._xero(day, {k: v for (e, k), v in planned.items() if e == UK})

    def _fiscal_year(self, day: date) -> tuple[int, date, date]:
        fy = self.engine.fy_start
        start = date(day.year if day.month >= fy else day.year - 1, fy, 1)
        end = add_months(start, 12)
        return (end.year if fy > 1 else start.year), start, date.fromordinal(end.toordinal() - 1)

    def _qbo(self, day: date, planned: dict[str, int]) -> None:
        if not planned:
            return
        books = self.engine.qbo
        moment = at(day, 7 * 3600)
        year, start, end = self._fiscal_year(day)
        budget = self.qbo.get(year)
        if budget is None:
            budget = self.qbo[year] = {
                "Name": f"FY{year} Budget",
                "StartDate": start.isoformat(),
                "EndDate": end.isoformat(),
                "BudgetType": "ProfitAndLoss",
                "BudgetEntryType": "Monthly",
                "Active": True,
                "BudgetDetail": [],
                "domain": "QBO",
                "sparse": False,
                "Id": str(QBO_BUDGET_ID_BASE + len(self.qbo)),
                "SyncToken": "-1",
                "MetaData": {"CreateTime": qbo_time(moment), "LastUpdatedTime": ""},
            }
        for key, amount in planned.items():
            budget["BudgetDetail"].append(
                {"BudgetDate": day.isoformat(), "Amount": dec(amount), "AccountRef": books.ref(key)}
            )
        budget["SyncToken"] = str(int(budget["SyncToken"]) + 1)
        budget["MetaData"]["LastUpdatedTime"] = qbo_time(moment)
        self.engine.out.api("qbo", "Budget", moment, budget["Id"], dumps(budget))

    def _xero(self, day: date, planned: dict[str, int]) -> None:
        if not planned:
            return
        books = self.engine.xero
        moment = at(day, 7 * 3600 + 600)
        budget = self.xero
        lines = {line["AccountCode"]: line for line in budget["BudgetLines"]}
        for key, amount in planned.items():
            code = books.code(key)
            if code not in lines:
                lines[code] = {"AccountID": books.account_ids[key], "AccountCode": code, "BudgetBalances": []}
                budget["BudgetLines"].append(lines[code])
            lines[code]["BudgetBalances"].append(
                {"Period": day.strftime("%Y-%m"), "Amount": dec(amount, "GBP"), "Notes": ""}
            )
        budget["UpdatedDateUTC"] = xero_date(moment)
        self.engine.out.api("xero", "Budgets", moment, budget["BudgetID"], dumps(budget))

    def write_truth(self, path: Path) -> None:
        """truth/ledger_budgets.csv: every budgeted month, as the ledgers hold it at the end."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["source", "entity", "budget_name", "account_code", "month", "currency", "amount"])
            for (entity, key, month), amount in sorted(self.amounts.items()):
                if entity == US:
                    name, code, currency = f"FY{self._fiscal_year(month)[0]} Budget", QBO_ACCOUNTS[key][1], "USD"
                    source = "qbo"
                else:
                    name, code, currency = self.xero["Description"], XERO_ACCOUNTS[key][1], "GBP"
                    source = "xero"
                writer.writerow([source, entity, name, code, month.strftime("%Y-%m"), currency, money_str(amount)])
