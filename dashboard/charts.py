"""The dashboard's charts: one home for how a monthly bar chart looks (axis, money labels,
tooltip), so every page draws them alike. Pages pass a frame and say which columns mean
what; `shared.for_chart` has already turned Decimals into floats for Vega-Lite.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import polars as pl

import shared


def monthly_bars(
    frame: pl.DataFrame,
    *,
    month: str,
    value: str,
    color: str,
    currency: str,
    value_title: str,
    color_title: str,
    month_title: str = "Month",
    tooltip: Sequence[Any] = (),
    height: int = 240,
) -> alt.Chart:
    """Stacked bars: one bar per month (`month`, a date), split by `color`, money on the y axis.

    The tooltip names the month, the split and the amount (in `currency`), plus `tooltip`'s
    extra fields before the amount."""
    return (
        alt.Chart(shared.for_chart(frame))
        .mark_bar()
        .encode(
            x=alt.X(f"{month}:O", timeUnit="yearmonth", title=month_title, axis=alt.Axis(format="%b %Y")),
            y=alt.Y(f"{value}:Q", axis=shared.money_axis(currency, f"{value_title} ({currency})")),
            color=alt.Color(f"{color}:N", title=color_title),
            tooltip=[
                alt.Tooltip(f"{month}:T", title=month_title, format="%b %Y"),
                f"{color}:N",
                *tooltip,
                alt.Tooltip(f"{value}:Q", title=currency, format=",.0f"),
            ],
        )
        .properties(height=height)
    )
