"""`ledgerlake alerts`: list, score against the simulation's truth, acknowledge, resolve."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "alerts",
        help="list, score, acknowledge and resolve alerts",
        description="Work with the alerts the forecaster raised (table forecast.alerts).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    p = verbs.add_parser(
        "list",
        help="list alerts with their status",
        description="List the alerts in the warehouse, newest first, with their current status.",
    )
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--status", choices=("new", "acknowledged", "resolved"), default=None)
    p.set_defaults(func=_list)

    p = verbs.add_parser(
        "score",
        help="precision / recall per alert type against the simulation's planted problems",
        description=(
            "Compare the alerts with truth/problems.json of the simulated company: a problem is found "
            "when an alert of its type cites one of its records; precision = true alerts / alerts."
        ),
    )
    p.add_argument(
        "--sim-dir", type=Path, default=None, help="simulation directory (default $LEDGERLAKE_HOME/simulation)"
    )
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument(
        "--recompute",
        action="store_true",
        help="recompute alerts from the marts (no Prophet fits, nothing written) instead of reading forecast.alerts",
    )
    p.add_argument(
        "--sim-files",
        action="store_true",
        help="no marts needed: run the payment rules on the simulation's own API files "
        "(integrity findings need the marts and are not scored this way)",
    )
    p.set_defaults(func=_score)

    for verb, status in (("ack", "acknowledged"), ("resolve", "resolved"), ("reopen", "new")):
        p = verbs.add_parser(
            verb,
            help=f"mark an alert {status}",
            description=f"Mark alert ID {status}. The state is kept outside the rebuilt tables, "
            "so it survives every rebuild.",
        )
        p.add_argument("alert_id", metavar="ID")
        p.add_argument("--note", default="", help="why (kept in the alert's history)")
        p.add_argument("--by", default=None, help="who (default: the current user)")
        p.add_argument("--warehouse", type=Path, default=None)
        p.set_defaults(func=_set_status, status=status)


def _warehouse(path: Path | None) -> Path:
    from ..config import home

    return Path(path or home() / "warehouse.duckdb")


def _alerts_table(warehouse: Path):
    import duckdb
    import polars as pl

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        return pl.from_arrow(conn.execute("select * from forecast.alerts").arrow())
    finally:
        conn.close()


def _list(args) -> int:
    import polars as pl

    from ..alerts.state import AlertState

    table = _alerts_table(_warehouse(args.warehouse))
    state = AlertState.default()
    table = table.with_columns(status=pl.col("alert_id").map_elements(state.status, return_dtype=pl.Utf8))
    if args.status:
        table = table.filter(pl.col("status") == args.status)
    for r in table.sort("occurred_on", descending=True).iter_rows(named=True):
        print(
            f"{r['alert_id']}  {r['status']:<12} {r['severity']:<6} {r['rule']:<26} {r['entity_id']:<6} "
            f"{r['amount']:>14,} {r['currency']:<3}  {r['title']}"
        )
    print(f"{table.height} alerts", file=sys.stderr)
    return 0


def _score(args) -> int:
    from ..alerts.score import cited_ids, evidence_keys, format_scores, load_problems, score
    from ..pipeline import default_sim_dir

    sim_dir = (args.sim_dir or default_sim_dir()).resolve()
    problems = load_problems(sim_dir)
    if args.sim_files:
        from ..alerts.rules import AlertConfig, all_payment_alerts
        from ..forecast.simframes import vendor_payments

        alerts = [cited_ids(a) for a in all_payment_alerts(vendor_payments(sim_dir), AlertConfig.from_env())]
    elif args.recompute:
        from ..forecast.run import alerts_only

        alerts = [cited_ids(a) for a in alerts_only(_warehouse(args.warehouse))]
    else:
        table = _alerts_table(_warehouse(args.warehouse))
        alerts = [(r["rule"], evidence_keys(json.loads(r["evidence"]))) for r in table.iter_rows(named=True)]
    scores, unmapped = score(alerts, problems)
    print(format_scores(scores))
    if unmapped:
        print(f"\nproblem types with no alert rule: {', '.join(unmapped)}")
    return 0


def _set_status(args) -> int:
    from ..alerts.state import AlertState

    state = AlertState.default()
    try:
        entry = state.set_status(args.alert_id, args.status, by=args.by or getpass.getuser(), note=args.note)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    state.save()
    print(f"{args.alert_id}: {entry['status']} (saved to {state.backend})")
    _refresh_table(_warehouse(args.warehouse), args.alert_id, entry["status"])
    return 0


def _refresh_table(warehouse: Path, alert_id: str, status: str) -> None:
    """Mirror the new status into forecast.alerts now (the state store stays the truth)."""
    import duckdb

    if not warehouse.exists():
        return
    try:
        conn = duckdb.connect(str(warehouse))
    except duckdb.IOException:
        print("warehouse is busy; the table shows the new status after the next forecast", file=sys.stderr)
        return
    try:
        conn.execute("update forecast.alerts set status = ? where alert_id = ?", [status, alert_id])
        conn.execute("update forecast.alert_state set status = ? where alert_id = ?", [status, alert_id])
    except duckdb.CatalogException:
        pass
    finally:
        conn.close()
