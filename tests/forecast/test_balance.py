"""The whole-balance backtest, the residual model, the band, the method choice, the AR
collection curve and payroll calendars, on small hand-made histories (no warehouse)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import polars as pl

from ledgerlake.forecast.balance import headline, origins_for, run_balance_backtest
from ledgerlake.forecast.collection import collection_assumptions
from ledgerlake.forecast.flows import ar_flows, monthly_days, project_series

START, LAST = date(2025, 1, 1), date(2026, 6, 30)
H = 91


def _company(missed_per_day: float, noise: float = 0.0, seed: int = 3, timing: float = 0.0):
    """A balance that grows by a payroll cycle + steady sales the model may partly miss;
    `noise` is a random walk on the daily flow, `timing` a payment that lands a few days
    early or late (the balance on a day is off by it, then catches up)."""
    rng = np.random.default_rng(seed)
    days = [START + timedelta(days=i) for i in range((LAST - START).days + 1)]
    bal, balances = 100_000.0, {}
    for d in days:
        bal += 1_000.0 + missed_per_day + rng.normal(0, noise)
        if d.day == 15:
            bal -= 20_000.0
        balances[d] = bal + rng.normal(0, timing)

    def model_paths(origin: date):
        steps = [origin + timedelta(days=k) for k in range(1, H + 1)]
        known = np.cumsum([1_000.0 - (20_000.0 if d.day == 15 else 0.0) for d in steps])
        return {"US": {"payroll_and_sales": known}}

    return balances, model_paths


def _run(balances, model_paths):
    origins = origins_for(START, LAST, 14)
    return run_balance_backtest(origins, LAST, ["US"], lambda e, d: balances.get(d), model_paths, H, LAST)


def test_residual_model_learns_the_flow_the_components_miss_and_beats_every_baseline():
    # the components miss 400 a day (invoices not raised yet): raw error grows to 36k at week 13
    balances, paths = _company(missed_per_day=400.0, noise=300.0)
    bt = _run(balances, paths)
    acc = bt.accuracy
    for weeks in (4, 8, 13):
        row = {r["method"]: r for r in acc.filter(pl.col("horizon_weeks") == weeks).iter_rows(named=True)}
        assert row["model"]["error_pct"] < min(row[m]["error_pct"] for m in ("flat", "drift", "seasonal_naive"))
        assert abs(row["model"]["bias_pct"]) < 0.01  # the missed flow is learnt, not a one-sided error
        # every method scored on the same origins
        assert len({r["n_origins"] for r in row.values()}) == 1
    live = bt.live["US"]
    assert live.method == "model" and live.beats_baselines
    assert abs(live.residual[-1] - 400.0 * H) < 0.12 * 400.0 * H  # within the noise of 6 windows
    sentence = headline(acc)["sentence"][0]
    assert "13-week forecasts have been within ±" in sentence and "flat would have been ±" in sentence


def test_no_origin_learns_from_a_window_that_had_not_ended():
    balances, paths = _company(missed_per_day=400.0, noise=300.0)
    bt = _run(balances, paths)
    points = bt.points.filter(pl.col("method") == "model")
    first = min(bt.origins)
    # week 13 is scored from the first origin with 3 earlier 13-week windows fully ended
    scored_13 = points.filter((pl.col("horizon_day") == 91) & pl.col("scored"))
    assert scored_13["origin"].min() == first + timedelta(days=126)  # 2 steps + 91 days, on the 14-day grid
    # changing what happened after an origin does not change that origin's forecast or band
    probe = sorted(bt.origins)[len(bt.origins) // 2]
    changed = {d: b + (50_000.0 if d > probe else 0.0) for d, b in balances.items()}
    again = _run(changed, paths).points.filter((pl.col("method") == "model") & (pl.col("origin") == probe))
    before = points.filter(pl.col("origin") == probe)
    assert again["p50"].to_list() == before["p50"].to_list()
    assert again["half_width"].to_list() == before["half_width"].to_list()


def test_band_covers_about_eighty_percent_out_of_sample():
    balances, paths = _company(missed_per_day=0.0, timing=20_000.0, seed=5)
    bt = _run(balances, paths)
    cov = bt.accuracy.filter(pl.col("method") == "model")["coverage"].mean()
    assert 0.7 <= cov <= 0.9


def test_a_model_worse_than_a_baseline_is_not_used_and_says_so():
    balances, _ = _company(missed_per_day=0.0)

    def wild(origin: date):  # a model that is wrong by a different large amount every origin
        sign = 1 if origin.toordinal() // 14 % 2 else -1
        return {"US": {"junk": np.cumsum(np.full(H, sign * 3_000.0))}}

    bt = _run(balances, wild)
    live = bt.live["US"]
    assert live.method != "model" and not live.beats_baselines and "did not beat" in live.note
    assert live.baseline is not None
    assert "which is used instead" in headline(bt.accuracy)["sentence"][0]


def test_overdue_invoices_spread_by_age_and_some_never_pay():
    as_of = date(2026, 6, 30)
    paid = pl.DataFrame(
        {
            "entity": ["US"] * 20,
            "customer_id": [f"c{i}" for i in range(20)],
            "due_date": [date(2026, 1, 1)] * 20,
            "paid_date": [date(2026, 1, 1) + timedelta(days=5 + i) for i in range(20)],
        }
    )
    # two invoices from last year never paid: evidence that very old invoices do not come in
    stuck = [("c90", date(2025, 6, 1), "5000.00"), ("c91", date(2025, 7, 1), "5000.00")]
    fresh = [("c1", date(2026, 6, 20), "10000.00"), ("c2", date(2026, 7, 15), "8000.00")]
    open_ar = pl.DataFrame(
        {
            "entity": "US",
            "currency": "USD",
            "customer_id": [c for c, _, _ in stuck + fresh],
            "document_id": [f"inv-{c}" for c, _, _ in stuck + fresh],
            "due_date": [d for _, d, _ in stuck + fresh],
            "open_amount": [Decimal(a) for _, _, a in stuck + fresh],
        }
    )
    flows = ar_flows(open_ar, paid, as_of, H)
    by_doc = {d: g for (d,), g in flows.group_by("source_id")}
    # 10 days overdue: not all tomorrow, spread over the days customers actually pay
    recent = by_doc["inv-c1"]
    assert recent["date"].n_unique() > 5 and recent["date"].min() == as_of + timedelta(days=1)
    assert recent["amount"].max() < Decimal("10000.00") * Decimal("0.3")
    # not yet due: lands after its due date
    assert by_doc["inv-c2"]["date"].min() > date(2026, 7, 15)
    # a year overdue, long past anything ever paid: little expected within 13 weeks
    stuck_expected = sum(by_doc[d]["amount"].sum() for d in ("inv-c90", "inv-c91") if d in by_doc)
    assert stuck_expected < Decimal("10000.00") * Decimal("0.15")
    assumption = collection_assumptions(open_ar, paid, as_of, H)
    share = dict(zip(assumption["age_bucket"], assumption["expected_share"]))
    assert share["over 90 days overdue"] < 0.15 and share["not yet due"] > 0.9


def test_a_young_history_does_not_write_off_invoices_older_than_any_paid_yet():
    """Six months of history has seen nothing paid more than 40 days late, and no invoice
    has sat unpaid long beyond that: an invoice 70 days overdue is then most likely still
    coming (Kaplan–Meier left flat past its last payment said never; on the simulated company
    such invoices were all paid within weeks)."""
    as_of, start = date(2026, 6, 30), date(2026, 1, 1)
    paid = pl.DataFrame(
        {
            "entity": ["US"] * 26,
            "customer_id": [f"c{i}" for i in range(26)],
            "due_date": [start + timedelta(days=3 * i) for i in range(26)],
            # from 10 days early to 40 days late
            "paid_date": [start + timedelta(days=5 * i - 10) for i in range(26)],
        }
    )
    open_ar = pl.DataFrame(
        {
            "entity": ["US"],
            "currency": ["USD"],
            "customer_id": ["c50"],
            "document_id": ["inv-c50"],
            "due_date": [as_of - timedelta(days=70)],
            "open_amount": [Decimal("9000.00")],
        }
    )
    share = collection_assumptions(open_ar, paid, as_of, H)["expected_share"][0]
    assert 0.5 < share < 1
    flows = ar_flows(open_ar, paid, as_of, H)
    assert Decimal("4500.00") < flows["amount"].sum() < Decimal("9000.00")


def test_payroll_moved_before_weekends_keeps_its_nominal_days_and_grows():
    def bday(d):
        while d.weekday() >= 5:
            d -= timedelta(days=1)
        return d

    runs, amounts = [], []
    for month in range(1, 10):
        for dom in (15, calendar.monthrange(2026, month)[1]):
            runs.append(bday(date(2026, month, dom)))
            amounts.append(Decimal(100_000) * Decimal(1.03) ** month)  # noqa: RUF032 - any growth factor will do
    assert monthly_days(runs) == [15, 31]
    projected = project_series(runs, amounts, date(2026, 9, 30), 91, grow=True)
    assert [d for d, _ in projected] == [
        date(2026, 10, 15),
        date(2026, 10, 30),
        date(2026, 11, 13),
        date(2026, 11, 30),
        date(2026, 12, 15),
    ]
    assert projected[-1][1] > amounts[-1] * Decimal("1.05")  # headcount growth continues


def test_last_years_bonus_run_is_expected_again_and_does_not_tilt_the_growth():
    # semi-monthly payroll at 100k with a 60 % bonus in the second December run
    runs, amounts = [], []
    for year, month in [(2025, m) for m in range(1, 13)] + [(2026, m) for m in range(1, 12)]:
        for dom in (15, calendar.monthrange(year, month)[1]):
            runs.append(date(year, month, dom))
            amounts.append(Decimal(160_000 if (month, dom) == (12, 31) else 100_000))
    projected = dict(project_series(runs, amounts, date(2026, 11, 30), 91, grow=True))
    assert projected[date(2026, 12, 31)] == Decimal(160_000)  # the bonus run, as a year ago
    assert projected[date(2026, 12, 15)] == Decimal(100_000)  # its neighbours are ordinary runs
    assert projected[date(2027, 2, 15)] == Decimal(100_000)  # and the bonus did not make a trend


def test_card_spend_at_random_moments_is_projected_at_its_run_rate():
    # a merchant charged at random moments: the median charge at the median gap would
    # overstate it (exponential gaps: the median gap is ~0.7 of the mean)
    rng = np.random.default_rng(4)
    day, runs, amounts = date(2026, 1, 1), [], []
    while day < date(2026, 9, 30):
        day += timedelta(days=int(rng.exponential(5.0)) + 1)
        runs.append(day)
        amounts.append(Decimal(int(rng.lognormal(5, 0.8))))
    as_of = runs[-1]
    projected = project_series(runs, amounts, as_of, 91)
    paid = sum(a for d, a in zip(runs, amounts) if d > as_of - timedelta(days=91))
    assert len(projected) == 91 and abs(sum(a for _, a in projected) - paid) < 1  # the last 13 weeks' pace


def test_the_predicted_change_is_shrunk_by_what_earlier_origins_showed_and_only_them():
    from ledgerlake.forecast.balance import _shrink

    origins = [START + timedelta(days=14 * k) for k in range(12)]
    h = 28
    rng = np.random.default_rng(1)
    actual = {o: np.cumsum(rng.normal(500, 50, h)) for o in origins}
    # a model that always predicts twice the change that happened: w goes from 1 towards 1/2
    # as ended windows accumulate (n windows against the prior of w = 1 worth MIN_PAST = 3)
    p50 = {o: (2 * actual[o], None, None) for o in origins}
    raw = {o: p[0].copy() for o, p in p50.items()}
    weights = _shrink(p50, actual, origins, h)
    last = origins[-1]
    n = 10  # origins whose 28 days had ended by the last one (all but the last two)
    pred, act = np.array([raw[o][-1] for o in origins[:n]]), np.array([actual[o][-1] for o in origins[:n]])
    prior = 3 * np.mean(pred**2)
    assert abs(weights[last][-1] - (pred @ act + prior) / (pred @ pred + prior)) < 1e-9
    assert 0.5 < weights[last][-1] < weights[origins[5]][-1] < 1.0
    assert np.allclose(p50[last][0], raw[last] * weights[last])
    assert weights[origins[0]][-1] == 1.0  # no earlier window had ended: left as it is
    # a model whose predicted change is unrelated to what happened leans on flat
    swing = np.linspace(1_000, 40_000, h)
    noise = {o: (swing * (1 if k % 2 else -1), None, None) for k, o in enumerate(origins)}
    assert _shrink(noise, actual, origins, h)[last][-1] < 0.3


def test_a_known_funding_wire_is_not_learnt_as_a_recurring_miss():
    # A one-off wire of 250k to the other entity, read from the ledger as an internal transfer.
    # Not told of it, the forecaster learnt it as a miss that recurs and was off for months.
    balances, paths = _company(missed_per_day=0.0, noise=300.0)
    wire_day = date(2025, 9, 10)
    wired = {d: b - (250_000.0 if d >= wire_day else 0.0) for d, b in balances.items()}
    transferred = lambda e, d: -250_000.0 if d >= wire_day else 0.0  # noqa: E731
    origins = origins_for(START, LAST, 14)

    def run(bal, known):
        return run_balance_backtest(origins, LAST, ["US"], lambda e, d: bal.get(d), paths, H, LAST, known)

    clean, told = run(balances, None), run(wired, transferred)
    model, later = pl.col("method") == "model", pl.col("origin") > wire_day

    def change(bt):  # each later origin's predicted change from its opening balance
        p = bt.points.filter(model & later)
        return p.select("origin", "horizon_day", (pl.col("p50") - pl.col("opening")).alias("c"))

    # told of the wire, every origin after it predicts what it would have without the wire
    both = change(told).join(change(clean), on=["origin", "horizon_day"])
    assert both.height > 1000 and np.allclose(both["c"], both["c_right"])
    # the band is still calibrated on the balance the bank showed (an unscheduled wire is a
    # real way to land away from the p50): wider than without any wire
    widths = [bt.points.filter(model & later)["half_width"].drop_nulls().max() for bt in (told, clean)]
    assert widths[0] > 100_000 > widths[1]


def test_a_payroll_step_the_payroll_series_has_taken_in_is_not_learnt_again_as_a_miss():
    # Semi-monthly payroll steps from 20k to 30k a run (a hiring wave) on 2025-09-15. Each
    # origin's payroll component has the runs it has seen (the new level from the first run
    # at it); sales are forecast exactly. The windows open over the step missed it, and the
    # payroll series has taken it in since: learning that miss again overshot for months.
    step = date(2025, 9, 15)
    days = [START + timedelta(days=i) for i in range((LAST - START).days + 1)]
    runs = {d: (30_000.0 if d >= step else 20_000.0) for d in days if d.day in (15, 28)}
    balances, bal, paid, cum = {}, 500_000.0, {}, 0.0
    for d in days:
        bal += 1_000.0 - runs.get(d, 0.0)
        cum += runs.get(d, 0.0)
        balances[d], paid[d] = bal, cum

    def paths(origin: date):
        level = 30_000.0 if origin >= step else 20_000.0
        steps = [origin + timedelta(days=k) for k in range(1, H + 1)]
        payroll = np.cumsum([-level if d.day in (15, 28) else 0.0 for d in steps])
        return {"US": {"payroll": payroll, "sales": np.cumsum(np.full(H, 1_000.0))}}

    origins = origins_for(START, LAST, 14)

    def week13_errors(payroll_paid):
        bt = run_balance_backtest(
            origins, LAST, ["US"], lambda e, d: balances.get(d), paths, H, LAST, None, payroll_paid
        )
        p = bt.points.filter((pl.col("method") == "model") & (pl.col("horizon_day") == H) & (pl.col("origin") >= step))
        return (p["p50"] - p["actual"]).abs(), bt

    told, bt = week13_errors(lambda e, d: paid.get(d, 0.0))
    untold, _ = week13_errors(None)
    # told what payroll the bank paid, the origins after the step learn no miss: exact
    assert told.len() > 10 and told.max() < 1.0
    assert np.allclose(bt.live["US"].residual, 0.0)
    # untold, the step's miss (up to 60k a window) was learnt as one that recurs
    assert untold.max() > 30_000


def _late_paying_company(seed: int):
    """One 60k invoice a month, due on the 10th, paid 0 to 70 days late at random. The AR
    component spreads each open invoice over the days it may still be paid on (the true
    curve, given how late it already is); the invoices not raised yet are known exactly, so
    the only misses are the open invoices' timing. Returns balances, model paths and
    `settled` (what the invoices open at an origin brought)."""
    rng = np.random.default_rng(seed)
    invoices, month = [], date(2024, 11, 1)  # (issued, due, paid)
    while month <= LAST + timedelta(days=H):
        issued = month.replace(day=10)
        due = issued + timedelta(days=30)
        invoices.append((issued, due, due + timedelta(days=int(rng.integers(0, 71)))))
        month = (month + timedelta(days=32)).replace(day=1)
    balances, bal = {}, 100_000.0
    for d in (START + timedelta(days=i) for i in range((LAST - START).days + 1)):
        bal += 60_000.0 * sum(1 for *_, paid in invoices if paid == d)
        balances[d] = bal

    def expected(origin: date, due: date) -> np.ndarray:
        first = max(0, (origin - due).days + 1)  # the lateness it can still be paid at
        daily = np.zeros(H)
        for late in range(first, 71):
            k = (due + timedelta(days=late) - origin).days
            if 1 <= k <= H:
                daily[k - 1] += 60_000.0 / (71 - first)
        return daily

    def paid_by(origin: date, raised_by_origin: bool) -> np.ndarray:
        cash = np.zeros(H)
        for issued, _, paid in invoices:
            if (issued <= origin) == raised_by_origin and origin < paid <= origin + timedelta(days=H):
                cash[(paid - origin).days - 1] += 60_000.0
        return np.cumsum(cash)

    def paths(origin: date):
        ar = sum((expected(origin, due) for issued, due, paid in invoices if issued <= origin < paid), np.zeros(H))
        return {"US": {"ar": np.cumsum(ar), "not_raised_yet": paid_by(origin, False)}}

    return balances, paths, lambda entity, origin, horizon: paid_by(origin, True)


def test_an_invoice_paid_later_than_expected_is_not_learnt_as_a_miss_as_well():
    # A late payment is a miss of the window it was expected in, but the invoice is still
    # open at the next origin and forecast again there: learning the miss as well counted it
    # twice, and the residual then took cash off the windows that received it.
    origins = origins_for(START, LAST, 14)
    errors = {"told": 0.0, "untold": 0.0}
    for seed in range(1, 7):
        balances, paths, settled = _late_paying_company(seed)
        balance = lambda e, d, known=balances: known.get(d)  # noqa: E731
        runs = {
            name: run_balance_backtest(origins, LAST, ["US"], balance, paths, H, LAST, settled=known)
            for name, known in (("told", settled), ("untold", None))
        }
        # told what the open invoices brought, the model learns no miss: its forecast is the
        # components as built; untold, its residual moved cash by over 10k
        assert np.allclose(runs["told"].live["US"].residual, 0.0)
        assert np.abs(runs["untold"].live["US"].residual).max() > 10_000
        for name, bt in runs.items():
            errors[name] += bt.accuracy.filter(pl.col("method") == "model")["mae"].sum()
    # and the balance forecast is nearer, over six companies and the three horizons
    assert errors["told"] < errors["untold"], errors


def test_internal_transfers_are_read_from_the_ledger_bank_lines_against_intercompany_accounts():
    import duckdb

    from ledgerlake.forecast.marts import MARTS, _internal_transfers, _Reader

    con = duckdb.connect()
    con.execute("create schema seeds; create schema if not exists " + MARTS)
    con.execute(
        """create table seeds.intercompany_accounts as select * from (values
           ('US', '1300', 'UK'), ('US', '4500', 'UK'), ('UK', '835', 'US'))
           t(entity_id, account_code, counterparty_entity_id)"""
    )
    con.execute(
        f"""create table {MARTS}.general_ledger as select * from (values
        -- the funding wire: due from the UK debited, the bank credited (and its fee)
        ('US', 'qbo', 'JournalEntry', '1', date '2026-01-12', '1300', 'asset', false, 250000.00),
        ('US', 'qbo', 'JournalEntry', '1', date '2026-01-12', '1000', 'asset', true, -250035.00),
        ('US', 'qbo', 'JournalEntry', '1', date '2026-01-12', '6100', 'expense', false, 35.00),
        -- its arrival in the UK, coded to due to the US
        ('UK', 'xero', 'BankTransaction', 'b', date '2026-01-13', '090', 'asset', true, 212711.18),
        ('UK', 'xero', 'BankTransaction', 'b', date '2026-01-13', '835', 'liability', false, -212711.18),
        -- the management fee is intercompany revenue, invoiced: an operating flow, not a transfer
        ('US', 'qbo', 'Invoice', '7', date '2026-02-01', '4500', 'revenue', false, -12000.00),
        ('US', 'qbo', 'Invoice', '7', date '2026-02-01', '1200', 'asset', false, 12000.00),
        ('US', 'qbo', 'Payment', '8', date '2026-02-20', '1000', 'asset', true, 12000.00),
        ('US', 'qbo', 'Payment', '8', date '2026-02-20', '1200', 'asset', false, -12000.00),
        -- month-end revaluation of the intercompany balance: no cash moved
        ('UK', 'xero', 'ManualJournal', 'r', date '2026-01-31', '835', 'liability', false, 1500.00),
        ('UK', 'xero', 'ManualJournal', 'r', date '2026-01-31', '499', 'expense', false, -1500.00)
        ) t(entity_id, source_system, document_type, document_id, posted_on, account_code, account_class,
            is_bank, functional_amount)"""
    )
    got = _internal_transfers(_Reader(con), f"{MARTS}.general_ledger").sort("entity")
    assert got.rows() == [("UK", date(2026, 1, 13), 212711.18), ("US", date(2026, 1, 12), -250000.0)]


def test_the_many_seed_bench_counts_and_names_a_lost_cell():
    """`python -m ledgerlake.bench balance` reads the product's accuracy rows: a cell is won
    only when the model is below the best of the three baselines, and a lost one is named."""
    from ledgerlake.bench.balance import cells, markdown

    rows = []
    for seed in (1, 2):
        for weeks in (4, 8, 13):
            lose = seed == 2 and weeks == 13
            errors = {"model": 0.12 if lose else 0.05, "flat": 0.10, "drift": 0.20, "seasonal_naive": 0.15}
            for method, error in errors.items():
                rows.append(
                    {
                        "seed": seed,
                        "entity_id": "UK",
                        "horizon_weeks": weeks,
                        "method": method,
                        "n_origins": 20,
                        "n_banded": 20,
                        "error_pct": error,
                        "bias_pct": 0.0,
                        "coverage": 0.8,
                    }
                )
    table = cells(pl.DataFrame(rows))
    assert table["won"].sum() == 5 and table.filter(~pl.col("won"))["best_baseline"].to_list() == ["flat"]
    text = markdown(table, [1, 2], 60.0)
    assert "| 2 | 2 of 3 |" in text and "5 of 6 cells won" in text
    assert "seed 2 UK week 13: model 12.00%, flat 10.00%" in text
    # with each cell's test against the best baseline: the cells won and lost beyond noise
    tested = table.with_columns(
        p_better=pl.when(pl.col("horizon_weeks") == 4).then(0.01).otherwise(0.30),
        p_worse=pl.when(pl.col("horizon_weeks") == 4).then(0.99).otherwise(0.70),
    )
    text = markdown(tested, [1, 2], 60.0)
    assert "better than the best baseline in 2 of the 5 cells it won (week 4: 2 of 2, week 8: 0 of 2" in text
    assert "worse in 0 of the 1 it lost" in text and "flat 10.00% (p = 0.70: within noise)" in text


def _points(errors: dict[str, np.ndarray], horizon_day: int, actual: float = 1_000_000.0, step: int = 14):
    """Backtest points of one entity at one horizon day: each method's p50 off the actual
    balance by the given amount at each origin (14 days apart)."""
    rows = []
    for method, errs in errors.items():
        for i, e in enumerate(errs):
            rows.append(
                {
                    "entity_id": "US",
                    "origin": START + timedelta(days=step * i),
                    "horizon_day": horizon_day,
                    "method": method,
                    "actual": actual,
                    "p50": actual + float(e),
                    "scored": True,
                }
            )
    return pl.DataFrame(rows)


def _overlapping(rng, n: int, lags: int, scale: float) -> np.ndarray:
    """Errors of n origins whose windows share `lags` steps: each a sum of lags + 1 shocks,
    the way a 13-week error shares its weeks with the six origins before it."""
    shocks = rng.normal(0, scale, n + lags)
    return np.convolve(shocks, np.ones(lags + 1), mode="valid")


def test_a_gap_between_equally_good_forecasts_is_called_chance_even_when_windows_overlap():
    """Two forecasts equally good, 24 origins 14 days apart, 91-day windows (each error shares
    six steps with its neighbours'). A test that took the 24 errors as independent would call
    about a fifth of such gaps real; `difference_test` allows for the overlap."""
    from ledgerlake.forecast.balance import difference_test

    rng = np.random.default_rng(17)
    called, naive_called, runs = 0, 0, 300
    for _ in range(runs):
        a = 50_000 + _overlapping(rng, 24, 6, 4_000.0)
        b = 50_000 + _overlapping(rng, 24, 6, 4_000.0)
        test = difference_test(_points({"model": a, "flat": b}, 91), "US", 91, "model", "flat")
        called += test.p_worse < 0.05 or test.p_better < 0.05
        d = (np.abs(a) - np.abs(b)) / 1_000_000.0
        naive_t = abs(d.mean()) / (d.std(ddof=1) / np.sqrt(len(d)))
        naive_called += naive_t > 2.07  # two-sided 5 % at 23 degrees of freedom
    assert called / runs <= 0.12  # nominal 10 % (two one-sided 5 % tests)
    assert naive_called / runs > 2 * called / runs


def test_a_forecast_clearly_better_at_every_origin_is_called_better_and_said_so():
    from ledgerlake.forecast.balance import difference_test

    rng = np.random.default_rng(4)
    model = 20_000 + np.abs(_overlapping(rng, 24, 6, 2_000.0))
    flat = 60_000 + np.abs(_overlapping(rng, 24, 6, 2_000.0))
    test = difference_test(_points({"model": model, "flat": flat}, 91), "US", 91, "model", "flat")
    assert test.n_origins == 24 and test.mean_difference < 0
    assert test.p_better < 0.01 and test.p_worse > 0.99
    # the same gap over only four origins is not enough to tell
    assert difference_test(_points({"model": model[:4], "flat": flat[:4]}, 91), "US", 91, "model", "flat") is None


def test_the_headline_counts_the_forecasts_closer_than_the_best_baseline():
    # a schedule of contracts the model knows (cash in for four months, out for four):
    # every baseline misses the turns, the model is closer at nearly every origin
    rng = np.random.default_rng(3)

    def flow(d: date) -> float:
        return 2_000.0 if (d - START).days // 120 % 2 == 0 else -1_500.0

    balances, bal = {}, 400_000.0
    for i in range((LAST - START).days + 1):
        d = START + timedelta(days=i)
        bal += flow(d) + rng.normal(0, 300.0)
        balances[d] = bal

    def paths(origin: date):
        return {"US": {"contracts": np.cumsum([flow(origin + timedelta(days=k)) for k in range(1, H + 1)])}}

    bt = _run(balances, paths)
    row = headline(bt.accuracy, live=bt.live, points=bt.points).row(0, named=True)
    assert row["beats_baselines"] and row["n_origins"] == 10 and row["n_closer"] >= 9
    assert f"It was closer than flat at {row['n_closer']} of those 10 forecasts." in row["sentence"]
    # without the points (an older run) the sentence stays as it was
    plain = headline(bt.accuracy, live=bt.live).row(0, named=True)
    assert plain["n_closer"] is None and "closer" not in plain["sentence"]

    # a model wrong by a large amount at every origin: closer than the baseline at under half
    def wild(origin: date):
        sign = 1 if origin.toordinal() // 14 % 2 else -1
        return {"US": {"junk": np.cumsum(np.full(H, sign * 3_000.0))}}

    bt = _run(balances, wild)
    row = headline(bt.accuracy, live=bt.live, points=bt.points).row(0, named=True)
    assert not row["beats_baselines"] and row["n_closer"] < row["n_origins"] / 2
