"""Plain-text / markdown renderings shared by the CLI, the benchmark and the docs."""

from __future__ import annotations

import polars as pl


def _f(x, pct=False) -> str:
    if x is None:
        return "—"
    return f"{x:.0%}" if pct else f"{x:.3f}"


def accuracy_markdown(metrics_by_series: dict[str, pl.DataFrame]) -> str:
    lines = ["| series | horizon | origins | MASE | seasonal-naive MASE | WAPE | bias | coverage (Prophet 80 %) "
             "| coverage (calibrated) | coverage (cumulative) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in metrics_by_series.items():
        for r in m.sort("horizon").iter_rows(named=True):
            lines.append(
                f"| {name} | {r['horizon']} | {r['n_origins']} | {_f(r['mase'])} | {_f(r['naive_mase'])} | "
                f"{_f(r['wape'], True)} | {r['bias']:+.1%} | {_f(r['coverage_raw'], True)} | "
                f"{_f(r['coverage_calibrated'], True)} | {_f(r['coverage_cumulative'], True)} |")
    return "\n".join(lines)


def cash_summary(daily: pl.DataFrame) -> str:
    if daily.is_empty():
        return "no cash forecast (no entities in the marts)"
    lines = ["| entity | currency | opening | p50 week 4 | p50 week 8 | p50 week 13 | p10 week 13 | p90 week 13 | lowest p10 |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (entity,), g in daily.sort("forecast_date").group_by("entity_id", maintain_order=True):
        at = lambda d: g.filter(pl.col("horizon_day") == min(d, g.height)).row(0, named=True)  # noqa: E731
        w4, w8, w13 = at(28), at(56), at(91)
        lines.append(f"| {entity} | {w13['currency']} | {w13['opening_balance']:,} | {w4['p50']:,} | {w8['p50']:,} | "
                     f"{w13['p50']:,} | {w13['p10']:,} | {w13['p90']:,} | {g['p10'].min():,} |")
    return "\n".join(lines)
