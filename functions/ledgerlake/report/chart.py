"""The cash chart embedded in the email: 13 weeks of actual cash, then the forecast band.

A PNG (every mail client shows one; SVG and JS charts are stripped), drawn with
matplotlib's Agg backend (no display in Lambda). Values become floats only here, to be
plotted: nothing computed from a pixel goes back into a number.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

WIDTH_PX, HEIGHT_PX, DPI = 640, 260, 100  # drawn at 2x for sharp text on retina screens


def _units(values: list[Decimal]) -> tuple[Decimal, str]:
    peak = max((abs(v) for v in values), default=Decimal(0))
    if peak >= 10_000_000:
        return Decimal(1_000_000), "m"
    if peak >= 10_000:
        return Decimal(1_000), "k"
    return Decimal(1), ""


def cash_chart_png(
    actuals: list[tuple[date, Decimal]],
    forecast: list[dict],
    currency: str,
    symbol: str = "",
) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    values = [v for _, v in actuals] + [p["cash"] for p in forecast]
    values += [p[k] for p in forecast for k in ("cash_lower", "cash_upper") if p.get(k) is not None]
    scale, suffix = _units(values)

    def f(v: Decimal | None) -> float:
        return float(v / scale) if v is not None else float("nan")

    fig, ax = plt.subplots(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI * 2)
    try:
        if actuals:
            ax.plot([d for d, _ in actuals], [f(v) for _, v in actuals], color="#1f4e79", linewidth=2, label="Actual")
        if forecast:
            days = [p["date"] for p in forecast]
            if any(p.get("cash_lower") is not None for p in forecast):
                ax.fill_between(
                    days,
                    [f(p.get("cash_lower")) for p in forecast],
                    [f(p.get("cash_upper")) for p in forecast],
                    color="#f0a030",
                    alpha=0.25,
                    linewidth=0,
                    label="Forecast range",
                )
            ax.plot(
                days, [f(p["cash"]) for p in forecast], color="#d07000", linewidth=2, linestyle="--", label="Forecast"
            )
        if not actuals and not forecast:
            ax.text(0.5, 0.5, "No cash data", ha="center", va="center", transform=ax.transAxes, color="#666")
        if values and min(values) < 0 < max(values):  # a zero line only when cash crosses it
            ax.axhline(0, color="#c62828", linewidth=0.8)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{symbol}{v:,.0f}{suffix}"))
        ax.xaxis.set_major_locator(mdates.MonthLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
        ax.set_ylabel(f"Cash ({currency})", fontsize=8, color="#444")
        ax.tick_params(labelsize=8, colors="#444")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
        if actuals or forecast:
            ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()
    finally:
        plt.close(fig)
