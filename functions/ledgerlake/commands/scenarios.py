"""`ledgerlake scenarios`: named what-if layers on the cash forecast (list, add a layer, remove)."""

from __future__ import annotations

import argparse
import sys

LAYER_ARGS = {
    "hire": ("start", "monthly_cost", "on_cost_pct"),
    "lost_customer": ("customer",),
    "delayed_receivable": ("document", "days"),
    "recurring_cost": ("start", "monthly_amount", "day"),
    "pipeline_haircut": ("pct",),
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "scenarios",
        help="what-if scenarios on the cash forecast",
        description=(
            "Named what-if layers applied to the live cash forecast (never to its backtest) and "
            "published as forecast.cash_scenarios on the next `ledgerlake forecast`; the Cash page "
            "compares them with the base. Saved in $LEDGERLAKE_SCENARIOS (default "
            "<home>/scenarios.json). See docs/forecast.md, Scenarios."
        ),
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    p = verbs.add_parser("list", help="the saved scenarios and their layers")
    p.set_defaults(func=_list)
    p = verbs.add_parser("add", help="add a layer to a scenario (created if new)")
    p.add_argument("name", help="the scenario's name")
    p.add_argument("kind", choices=sorted(LAYER_ARGS), help="what changes")
    p.add_argument("--entity", required=True, help="US or UK")
    for flag in sorted({a for args in LAYER_ARGS.values() for a in args}):
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, default=None)
    p.set_defaults(func=_add)
    p = verbs.add_parser("remove", help="remove a scenario")
    p.add_argument("name")
    p.set_defaults(func=_remove)


def _store():
    from ..config import home
    from ..forecast.scenarios import scenarios_path

    return scenarios_path(home())


def _list(args) -> int:
    from ..forecast.scenarios import load_scenarios

    for s in load_scenarios(_store()):
        print(s.name)
        for layer in s.layers:
            print("  " + ", ".join(f"{k}={v}" for k, v in layer.items()))
    return 0


def _add(args) -> int:
    from ..forecast.scenarios import (
        Scenario,
        ScenarioError,
        load_scenarios,
        save_scenarios,
    )

    path = _store()
    layer = {"kind": args.kind, "entity": args.entity}
    layer.update({k: getattr(args, k) for k in LAYER_ARGS[args.kind] if getattr(args, k) is not None})
    scenarios = load_scenarios(path)
    target = next((s for s in scenarios if s.name == args.name), None)
    if target is None:
        target = Scenario(args.name)
        scenarios.append(target)
    target.layers.append(layer)
    try:
        save_scenarios(path, scenarios)  # checks every layer first: nothing is written on error
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.name}: {len(target.layers)} layer(s) in {path}")
    return 0


def _remove(args) -> int:
    from ..forecast.scenarios import load_scenarios, save_scenarios

    path = _store()
    scenarios = load_scenarios(path)
    kept = [s for s in scenarios if s.name != args.name]
    if len(kept) == len(scenarios):
        print(f"error: no scenario named {args.name!r}", file=sys.stderr)
        return 2
    save_scenarios(path, kept)
    return 0
