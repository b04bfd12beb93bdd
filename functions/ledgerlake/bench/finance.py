"""Finance ground truth (issue #20): the ledger marts against the simulator's own books.

    python -m ledgerlake.bench finance                        # seeds 7 and 11, scale 1, 18 months
    python -m ledgerlake.bench finance --seeds 7 --scale 0.1 --months 6
    python -m ledgerlake.bench finance --quick                # seed 7, scale 0.1, 6 months; not written

Per seed: generate the company, land it through the real paths (receiver, hydrator and the
pollers against the local provider API) into a moto S3 server in its own process, build, and
compare (`compare`) the marts with the truth the simulator wrote while it kept the books:

* `fx_documents`: foreign-currency invoices and bills per entity and currency (general_ledger)
  = the documents the simulator issued (manifest stats);
* `fx_gain_loss`: realised and unrealised FX per entity and month = truth/fx_gain_loss_by_month.csv;
* `ledger_by_account_month`: every account's movement per month (general_ledger, functional
  currency) = truth/ledger_by_account_month.csv;
* `consolidated_pnl`: per month and P&L line, the entities translated at the month's average
  published rate, the intercompany accounts eliminated = consolidated_profit_and_loss;
* `consolidated_balance_sheet`: per month end, assets and liabilities at the closing rate, the
  intercompany accounts and the open intercompany receivables and payables
  (truth/intercompany_open_month_end.csv) eliminated, earnings to date = the consolidated P&L
  added up, and no imbalance = consolidated_balance_sheet;
* `budget_variance`: every budget line the ledgers hold (truth/ledger_budgets.csv): budget,
  actual and variance = budget_vs_actual.

The truth side never reads a mart: its rates are the simulator's published ECB rates
(reference/fx_rates.csv) and its P&L lines follow the ledgers' own account types. Writes the
table under `## Finance ground truth` in docs/benchmarks.md (not with --quick / --no-write).
The scale-0.1 company of `make test` runs the same `compare` (tests/transforms/test_ground_truth.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

from ..simulate.company import QBO_ACCOUNTS, UK, US, XERO_ACCOUNTS
from . import write_section

CENT = Decimal("0.01")
REPORTING = "USD"
CURRENCY = {US: "USD", UK: "GBP"}
SECTION = "## Finance ground truth"
REPO = Path(__file__).resolve().parents[3]

# The truth's own reading of the charts (the simulator's, not the marts'):
FX_ACCOUNTS = {
    US: {QBO_ACCOUNTS["fx_gain_loss"][1]},
    UK: {XERO_ACCOUNTS["fx_realised"][1], XERO_ACCOUNTS["fx_unrealised"][1]},
}
INTERCOMPANY_ACCOUNTS = {  # seeds/intercompany_accounts.csv
    US: {QBO_ACCOUNTS["ic_receivable"][1], QBO_ACCOUNTS["ic_revenue"][1]},
    UK: {XERO_ACCOUNTS["ic_payable"][1], XERO_ACCOUNTS["ic_charges"][1]},
}
OPERATING_REVENUE_TYPES = {"Income", "REVENUE", "SALES"}
COST_OF_SALES_TYPES = {"Cost of Goods Sold", "DIRECTCOSTS"}
INCOME_LINES = ("revenue", "other_income", "fx_realised", "fx_unrealised")


# -- rates: the simulator's published ECB rates --------------------------------------------------


def published_rates(sim_dir: Path) -> dict[str, dict[date, Decimal]]:
    """currency -> {publication day: reporting units per 1 unit}."""
    rates: dict[str, dict[date, Decimal]] = defaultdict(dict)
    with open(Path(sim_dir) / "reference" / "fx_rates.csv", encoding="utf-8", newline="") as handle:
        for r in csv.DictReader(handle):
            if r["quote"] == REPORTING:
                rates[r["base"]][date.fromisoformat(r["date"])] = Decimal(r["rate"])
    return rates


def average_rate(rates: dict[date, Decimal], month: date) -> Decimal:
    days = [v for d, v in rates.items() if (d.year, d.month) == (month.year, month.month)]
    return (sum(days, Decimal(0)) / len(days)).quantize(Decimal("1e-10"), rounding=ROUND_HALF_EVEN)


def closing_rate(rates: dict[date, Decimal], month_end: date) -> Decimal:
    return rates[max(d for d in rates if d <= month_end)]


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# -- the truth -----------------------------------------------------------------------------------


def _rows(sim_dir: Path, name: str) -> list[dict[str, str]]:
    with open(Path(sim_dir) / "truth" / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _month(text: str) -> date:
    return date.fromisoformat(text[:7] + "-01")


def pl_line(entity: str, code: str, account_type: str, account_class: str) -> str | None:
    """The P&L line of an account (None: a balance-sheet account, or an FX account, whose lines
    come from the FX truth)."""
    if account_class not in ("revenue", "expense") or code in FX_ACCOUNTS[entity]:
        return None
    if account_class == "revenue":
        return "revenue" if account_type in OPERATING_REVENUE_TYPES else "other_income"
    return "cost_of_sales" if account_type in COST_OF_SALES_TYPES else "operating_expense"


class Truth:
    def __init__(self, sim_dir: Path):
        self.sim_dir = Path(sim_dir)
        self.ledger = _rows(sim_dir, "ledger_by_account_month.csv")
        self.fx = _rows(sim_dir, "fx_gain_loss_by_month.csv")
        self.budgets = _rows(sim_dir, "ledger_budgets.csv")
        self.open_ic = _rows(sim_dir, "intercompany_open_month_end.csv")
        self.manifest = json.loads((self.sim_dir / "manifest.json").read_text())
        self.rates = published_rates(sim_dir)

    def rate(self, entity: str, kind: str, month: date) -> Decimal:
        if CURRENCY[entity] == REPORTING:
            return Decimal(1)
        rates = self.rates[CURRENCY[entity]]
        return average_rate(rates, month) if kind == "average" else closing_rate(rates, last_day(month))

    def pnl(self) -> tuple[dict, dict]:
        """(entity, month, line) -> natural amount, and its intercompany part (functional)."""
        lines: dict[tuple, Decimal] = defaultdict(Decimal)
        intercompany: dict[tuple, Decimal] = defaultdict(Decimal)
        for r in self.ledger:
            line = pl_line(r["entity"], r["account_code"], r["account_type"], r["account_class"])
            if line is None:
                continue
            amount = Decimal(r["movement"]) * (-1 if line in INCOME_LINES else 1)
            key = (r["entity"], _month(r["month"]), line)
            lines[key] += amount
            if r["account_code"] in INTERCOMPANY_ACCOUNTS[r["entity"]]:
                intercompany[key] += amount
        for r in self.fx:
            for kind in ("realised", "unrealised"):
                if Decimal(r[kind]):
                    lines[(r["entity"], _month(r["month"]), f"fx_{kind}")] += Decimal(r[kind])
        return lines, intercompany

    def months(self) -> list[date]:
        return sorted({_month(r["month"]) for r in self.ledger})


# -- comparisons -------------------------------------------------------------------------------


def _result(expected: dict, got: dict, strict_keys: bool = True) -> dict:
    keys = set(expected) | set(got) if strict_keys else set(expected)
    bad = sorted(k for k in keys if expected.get(k) != got.get(k))
    return {
        "compared": len(keys),
        "matching": len(keys) - len(bad),
        "mismatching": len(bad),
        "examples": [[str(k), str(expected.get(k)), str(got.get(k))] for k in bad[:5]],
    }


def _zero_free(values: dict) -> dict:
    return {k: v for k, v in values.items() if any(x != 0 for x in (v if isinstance(v, tuple) else (v,)))}


def compare(sim_dir: Path, warehouse: Path) -> dict[str, dict]:
    """Every check's {'compared', 'matching', 'mismatching', 'examples'}."""
    import duckdb

    truth = Truth(sim_dir)
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def q(sql: str):
            return con.execute(sql).fetchall()

        out = {
            "fx_documents": _fx_documents(truth, q),
            "fx_gain_loss": _fx_gain_loss(truth, q),
            "ledger_by_account_month": _ledger(truth, q),
        }
        pnl, pnl_result = _consolidated_pnl(truth, q)
        out["consolidated_pnl"] = pnl_result
        out["consolidated_balance_sheet"] = _consolidated_bs(truth, q, pnl)
        out["budget_variance"] = _budget_variance(truth, q)
    return out


def _fx_documents(truth: Truth, q) -> dict:
    stats = truth.manifest.get("stats", {})
    expected = {
        (UK, "EUR"): stats.get("foreign_invoices", 0),
        (US, "GBP"): stats.get("foreign_bills", 0),
        (UK, "USD"): stats.get("intercompany_charges", 0),  # the UK's dollar bills from Northwind US
    }
    got = {
        (e, c): n
        for e, c, n in q(
            "select entity_id, transaction_currency, count(distinct document_id) from marts.general_ledger"
            " where transaction_currency <> functional_currency and document_type in ('Invoice', 'Bill')"
            " group by all"
        )
    }
    return _result(_zero_free(expected), got)


def _fx_gain_loss(truth: Truth, q) -> dict:
    expected = {
        (_month(r["month"]), r["entity"], kind): Decimal(r[kind])
        for r in truth.fx
        for kind in ("realised", "unrealised")
    }
    got = {
        (m, e, k): a
        for m, e, k, a in q(
            "select period_month, entity_id,"
            " case when document_type = 'FxRealised' then 'realised' else 'unrealised' end,"
            " -sum(functional_amount) from marts.general_ledger"
            " where document_type like 'Fx%' and journal_line_id like '%:fx' group by all"
        )
    }
    return _result(_zero_free(expected), _zero_free(got))


def _ledger(truth: Truth, q) -> dict:
    expected = {(_month(r["month"]), r["entity"], r["account_code"]): Decimal(r["movement"]) for r in truth.ledger}
    got = {
        (m, e, c): a
        for m, e, c, a in q(
            "select period_month, entity_id, account_code, sum(functional_amount)"
            " from marts.general_ledger group by all"
        )
    }
    return _result(_zero_free(expected), _zero_free(got))


def _consolidated_pnl(truth: Truth, q) -> tuple[dict, dict]:
    lines, intercompany = truth.pnl()
    expected: dict[tuple, tuple] = {}
    translated: dict[tuple, Decimal] = defaultdict(Decimal)
    eliminated: dict[tuple, Decimal] = defaultdict(Decimal)
    for (entity, month, line), amount in lines.items():
        rate = truth.rate(entity, "average", month)
        translated[(month, line)] += convert(amount, rate)
        eliminated[(month, line)] += convert(intercompany.get((entity, month, line), Decimal(0)), rate)
    for key, amount in translated.items():
        expected[key] = (amount, eliminated[key], amount - eliminated[key])
    got = {
        (m, line): (e, x, c)
        for m, line, e, x, c in q(
            "select period_month, pl_line, entities_amount, eliminated_amount, consolidated_amount"
            " from marts.consolidated_profit_and_loss"
        )
    }
    consolidated = {k: v[2] for k, v in expected.items()}
    return consolidated, _result(_zero_free(expected), _zero_free(got))


def _consolidated_bs(truth: Truth, q, pnl: dict) -> dict:
    movements: dict[tuple, Decimal] = defaultdict(Decimal)  # (entity, month, class or 'ic_asset'...) -> movement
    for r in truth.ledger:
        key = (r["entity"], _month(r["month"]))
        amount = Decimal(r["movement"])
        movements[(*key, r["account_class"])] += amount
        if r["account_code"] in INTERCOMPANY_ACCOUNTS[r["entity"]] and r["account_class"] in ("asset", "liability"):
            movements[(*key, "ic_" + r["account_class"])] += amount
    open_ic: dict[tuple, Decimal] = defaultdict(Decimal)  # (entity, month, kind) -> carried, functional
    for r in truth.open_ic:
        open_ic[(r["entity"], _month(r["month_end"]), r["kind"])] += Decimal(r["carried_amount"])
    got = {
        m: (a, li, ea, el, e, i)
        for m, a, li, ea, el, e, i in q(
            "select month_end, total_assets, total_liabilities, eliminated_assets, eliminated_liabilities,"
            " earnings_to_date, imbalance from marts.consolidated_balance_sheet"
        )
    }
    expected = {}
    running = defaultdict(lambda: defaultdict(Decimal))  # entity -> class -> balance to date
    earnings = Decimal(0)
    for month in truth.months():
        assets = liabilities = elim_assets = elim_liabilities = Decimal(0)
        for entity in (US, UK):
            for klass in ("asset", "liability", "ic_asset", "ic_liability"):
                running[entity][klass] += movements.get((entity, month, klass), Decimal(0))
            rate = truth.rate(entity, "closing", month)
            bal = running[entity]
            assets += convert(bal["asset"], rate)
            liabilities += convert(-bal["liability"], rate)
            elim_assets += convert(bal["ic_asset"] + open_ic.get((entity, month, "receivable"), Decimal(0)), rate)
            elim_liabilities += convert(
                -bal["ic_liability"] + open_ic.get((entity, month, "payable"), Decimal(0)), rate
            )
        earnings += sum((v if line in INCOME_LINES else -v for (m, line), v in pnl.items() if m == month), Decimal(0))
        # the group: the entities' sum less the eliminations; the balance sheet balances (no imbalance)
        expected[last_day(month)] = (
            assets - elim_assets,
            liabilities - elim_liabilities,
            elim_assets,
            elim_liabilities,
            earnings,
            Decimal(0),
        )
    result = _result(expected, got, strict_keys=False)
    result["months_with_open_intercompany"] = len({(m, e) for e, m, _ in open_ic})
    return result


def _budget_variance(truth: Truth, q) -> dict:
    actual: dict[tuple, Decimal] = defaultdict(Decimal)
    for r in truth.ledger:
        if r["account_class"] in ("revenue", "expense"):
            sign = -1 if r["account_class"] == "revenue" else 1
            actual[(r["entity"], r["account_code"], _month(r["month"]))] += sign * Decimal(r["movement"])
    expected = {}
    for r in truth.budgets:
        month = _month(r["month"])
        budget = Decimal(r["amount"])
        spent = actual.get((r["entity"], r["account_code"], month), Decimal(0))
        expected[(r["source"], r["budget_name"], r["entity"], r["account_code"], month)] = (
            budget,
            spent,
            spent - budget,
        )
    got = {
        (s, n, e, c, m): (b, a, v)
        for s, n, e, c, m, b, a, v in q(
            "select budget_source, budget_name, entity_id, account_code, period_month, budget_amount, actual_amount,"
            " variance from marts.budget_vs_actual where is_budgeted and budget_source in ('qbo', 'xero')"
        )
    }
    return _result(expected, got)


# -- the benchmark run ---------------------------------------------------------------------------

_ENV = {  # the local run's made-up webhook secrets (as tests/conftest.py sets them)
    "STRIPE_WEBHOOK_SECRET": "whsec_test_stripe_secret",
    "SHOPIFY_WEBHOOK_SECRET": "shpss_test_shopify_secret",
    "HUBSPOT_CLIENT_SECRET": "test-hubspot-client-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "test-qbo-verifier-token",
    "XERO_WEBHOOK_KEY": "test-xero-webhook-key",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


def run_seed(seed: int, scale: float, months: int, work: Path) -> dict:
    from ..simulate import generate
    from .transforms import _free_port, _moto

    sim = work / f"seed{seed}"
    timings = {}
    t0 = time.monotonic()
    generate(sim, seed=seed, months=months, scale=scale)
    timings["generate_s"] = round(time.monotonic() - t0)
    for attempt in range(3):  # a loaded machine can take longer than _moto waits to import moto
        port = _free_port()
        try:
            proc = _moto(port)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        env = {
            "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing-secret"),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LEDGERLAKE_S3_ENDPOINT": f"http://127.0.0.1:{port}",
            "LEDGERLAKE_RAW_BUCKET": f"raw-finance-{seed}",
            "LEDGERLAKE_MARTS_BUCKET": f"marts-finance-{seed}",
            "LEDGERLAKE_HOME": str(work / f"home{seed}"),
            **{k: os.environ.get(k, v) for k, v in _ENV.items()},
        }
        os.environ.update(env)
        from ..lake import Lake
        from ..landing import land_simulation
        from ..transform import build

        lake = Lake()
        lake.ensure_buckets()
        t0 = time.monotonic()
        landing = land_simulation(sim, lake, workers=8)
        timings["land_s"] = round(time.monotonic() - t0)
        if landing.failures:
            raise RuntimeError(f"landing failed: {landing.failures[:3]}")
        built = build(stream=None)
        timings["build_s"] = round(built.seconds)
        if not built.success:
            raise RuntimeError(f"build failed: {built.failures[:3]}")
        t0 = time.monotonic()
        checks = compare(sim, built.warehouse)
        timings["compare_s"] = round(time.monotonic() - t0, 1)
    finally:
        proc.kill()
        proc.wait()
    return {"seed": seed, "scale": scale, "months": months, "timings": timings, "checks": checks}


def markdown(runs: list[dict], command: str) -> str:
    checks = list(runs[0]["checks"])
    head = "| check | " + " | ".join(f"seed {r['seed']}: matching / compared" for r in runs) + " |"
    lines = [
        (
            f"`{command}` (scale {runs[0]['scale']}, {runs[0]['months']} months; generated, landed through "
            "the receiver, hydrator and pollers, built, compared with the simulator's truth; ledgerlake.bench.finance):"
        ),
        "",
        head,
        "|---|" + "---|" * len(runs),
    ]
    for check in checks:
        cells = []
        for r in runs:
            c = r["checks"][check]
            cells.append(f"{c['matching']} / {c['compared']}" + ("" if not c["mismatching"] else " **MISMATCH**"))
        lines.append(f"| {check} | " + " | ".join(cells) + " |")
    lines.append("")
    for r in runs:
        t = r["timings"]
        lines.append(
            f"Seed {r['seed']}: generate {t['generate_s']} s, land {t['land_s']} s, build {t['build_s']} s, "
            f"compare {t['compare_s']} s; month ends with open intercompany balances: "
            f"{r['checks']['consolidated_balance_sheet'].get('months_with_open_intercompany', 0)}."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledgerlake.bench finance",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", default="7,11")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--work", type=Path, default=None, help="keep the companies and warehouses here")
    parser.add_argument("--quick", action="store_true", help="seed 7, scale 0.1, 6 months (not written)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--doc", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.scale, args.months, args.no_write = "7", 0.1, 6, True
    work = args.work or Path(tempfile.mkdtemp(prefix="ledgerlake-finance-"))
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        run = run_seed(seed, args.scale, args.months, work)
        print(json.dumps(run, indent=1, default=str), flush=True)
        runs.append(run)
    command = f"python -m ledgerlake.bench finance --seeds {args.seeds} --scale {args.scale:g} --months {args.months}"
    body = markdown(runs, command)
    print(body)
    if not args.no_write:
        write_section(args.doc, SECTION, body)
    return 1 if any(c["mismatching"] for r in runs for c in r["checks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
