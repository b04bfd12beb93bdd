"""Plain-text / markdown renderings shared by the CLI, the benchmark and the docs."""

from __future__ import annotations

import polars as pl


def _f(x, pct=False) -> str:
    if x is None:
        return "—"
    return f"{x:.0%}" if pct else f"{x:.3f}"


def accuracy_markdown(metrics_by_series: dict[str, pl.DataFrame]) -> str:
    lines = [
        (
            "| series | horizon | origins | MASE | seasonal-naive MASE | WAPE | bias | coverage (Prophet 80 %) "
            "| coverage (calibrated) | coverage (cumulative) |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, m in metrics_by_series.items():
        for r in m.sort("horizon").iter_rows(named=True):
            lines.append(
                f"| {name} | {r['horizon']} | {r['n_origins']} | {_f(r['mase'])} | {_f(r['naive_mase'])} | "
                f"{_f(r['wape'], True)} | {r['bias']:+.1%} | {_f(r['coverage_raw'], True)} | "
                f"{_f(r['coverage_calibrated'], True)} | {_f(r['coverage_cumulative'], True)} |"
            )
    return "\n".join(lines)


def cash_summary(daily: pl.DataFrame) -> str:
    if daily.is_empty():
        return "no cash forecast (no entities in the marts)"
    lines = [
        (
            "| entity | currency | opening | p50 week 4 | p50 week 8 | p50 week 13 | p10 week 13 | p90 week 13 "
            "| lowest p10 |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (entity,), g in daily.sort("forecast_date").group_by("entity_id", maintain_order=True):
        at = lambda d, g=g: g.filter(pl.col("horizon_day") == min(d, g.height)).row(0, named=True)  # noqa: E731
        w4, w8, w13 = at(28), at(56), at(91)
        lines.append(
            f"| {entity} | {w13['currency']} | {w13['opening_balance']:,} | {w4['p50']:,} | {w8['p50']:,} | "
            f"{w13['p50']:,} | {w13['p10']:,} | {w13['p90']:,} | {g['p10'].min():,} |"
        )
    return "\n".join(lines)


def balance_markdown(accuracy: pl.DataFrame, label: str = "") -> str:
    """The whole-balance backtest: the model beside the baselines, per entity and week."""
    lines = [
        (
            "| run | entity | week | origins | model error | model bias | p10–p90 coverage | flat error | flat bias "
            "| drift error | seasonal-naive error | beats best baseline |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    if accuracy.is_empty():
        return "\n".join(lines)
    for (entity, weeks), g in accuracy.group_by("entity_id", "horizon_weeks", maintain_order=True):
        by = {r["method"]: r for r in g.iter_rows(named=True)}
        m = by.get("model")
        if m is None:
            continue
        bases = {k: v["error_pct"] for k, v in by.items() if k != "model" and v["error_pct"] is not None}
        best = min(bases, key=bases.get) if bases else None
        beats = "yes" if best is None or m["error_pct"] < bases[best] else f"no ({best} {bases[best]:.1%})"
        err = lambda k, by=by: _f(by[k]["error_pct"], True) if k in by else "—"  # noqa: E731
        lines.append(
            f"| {label} | {entity} | {weeks} | {m['n_origins']} | {m['error_pct']:.1%} | {m['bias_pct']:+.1%} | "
            f"{_f(m['coverage'], True)} | {err('flat')} | {by['flat']['bias_pct']:+.1%} | {err('drift')} | "
            f"{err('seasonal_naive')} | {beats} |"
        )
    return "\n".join(lines)
