"""The group's consolidated statements (consolidated_profit_and_loss, consolidated_balance_sheet)
recomputed here from each entity's own statements and the simulator's published ECB rates
(reference/fx_rates.csv), not from the build's rate models: P&L at the month's average rate,
assets and liabilities at the month end's closing rate, intercompany accounts
(seeds/intercompany_accounts.csv) and the open receivables and payables with the group's own
entities (seeds/intercompany_contacts.csv) eliminated; and the translated balance sheet balances
with the cumulative translation adjustment in equity. (The rate helpers are the finance
benchmark's: ledgerlake.bench.finance.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from ledgerlake.bench.finance import INCOME_LINES as INCOME
from ledgerlake.bench.finance import REPORTING, average_rate, closing_rate, convert, last_day, published_rates


def _published_rates(sim_dir) -> dict[str, dict[date, Decimal]]:
    return published_rates(sim_dir)


_average, _closing, _convert, _month_end = average_rate, closing_rate, convert, last_day


def test_consolidated_pnl_is_the_entities_at_average_rates_less_intercompany(company_build, wh):
    rates = _published_rates(company_build["sim_dir"])
    currency = dict(wh("select entity_id, functional_currency from seeds.legal_entities"))
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    # summed over class and department first: the mart translates each entity's P&L line
    for entity, month, line, amount in wh(
        "select entity_id, period_month, pl_line, sum(amount) from marts.profit_and_loss group by all"
    ):
        rate = Decimal(1) if currency[entity] == REPORTING else _average(rates[currency[entity]], month)
        expected[(month, line)] += _convert(amount, rate)
    # intercompany: the accounts seeds/intercompany_accounts.csv lists, translated like their line
    eliminated: dict[tuple, Decimal] = defaultdict(Decimal)
    for entity, month, line, amount in wh(
        "select g.entity_id, g.period_month, case when g.account_class = 'revenue' then 'other_income'"
        " else 'operating_expense' end, sum(case when g.account_class = 'revenue' then -g.functional_amount"
        " else g.functional_amount end) from marts.general_ledger as g join seeds.intercompany_accounts as ic"
        " on ic.entity_id = g.entity_id and ic.account_code = g.account_code"
        " where g.account_class in ('revenue', 'expense') group by all"
    ):
        rate = Decimal(1) if currency[entity] == REPORTING else _average(rates[currency[entity]], month)
        eliminated[(month, line)] += _convert(amount, rate)
    got = {
        (m, line): (e, x, c)
        for m, line, e, x, c in wh(
            "select period_month, pl_line, entities_amount, eliminated_amount, consolidated_amount"
            " from marts.consolidated_profit_and_loss"
        )
    }
    assert set(got) == set(expected) and len(got) >= 4 * 12
    for key, (entities, elim, consolidated) in got.items():
        assert (entities, elim) == (expected[key], eliminated.get(key, Decimal(0))), key
        assert consolidated == entities - elim, key
    # the management fee US charges UK is eliminated every month, on both sides
    fees = {m for (m, line), v in eliminated.items() if line == "other_income" and v}
    costs = {m for (m, line), v in eliminated.items() if line == "operating_expense" and v}
    assert fees == costs and len(fees) >= 12


def test_consolidated_balance_sheet_balances_with_cta_and_eliminations(company_build, wh):
    rates = _published_rates(company_build["sim_dir"])
    currency = dict(wh("select entity_id, functional_currency from seeds.legal_entities"))
    rows = wh(
        "select month_end, total_assets, total_liabilities, total_equity, earnings_to_date,"
        " translation_adjustment, eliminated_assets, eliminated_liabilities, imbalance"
        " from marts.consolidated_balance_sheet order by month_end"
    )
    assert len(rows) >= 12
    entity_bs = defaultdict(list)
    for entity, month_end, assets, liabilities in wh(
        "select entity_id, month_end, total_assets, total_liabilities from marts.balance_sheet"
    ):
        entity_bs[month_end].append((entity, assets, liabilities))
    # the intercompany accounts, plus what is still open with the other entity at each month end: the control-account
    # lines of the intercompany contacts' documents (an entity's accounts and its open items
    # are translated together, as one eliminated amount per entity and side)
    open_items = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for entity, month_end, receivable, payable in wh(
        "select b.entity_id, b.month_end,"
        " sum(case when a.is_receivable then g.functional_amount else 0 end),"
        " -sum(case when a.is_payable then g.functional_amount else 0 end)"
        " from marts.balance_sheet as b"
        " join marts.general_ledger as g on g.entity_id = b.entity_id and g.posted_on <= b.month_end"
        " join marts.party_contacts as pc on pc.contact_key = g.contact_key and pc.entity_id = g.entity_id"
        " join seeds.intercompany_contacts as icc"
        "   on icc.entity_id = pc.entity_id and lower(icc.contact_name) = lower(pc.contact_name)"
        " join intermediate.int_ledger_accounts as a on a.entity_id = g.entity_id and a.account_key = g.account_key"
        " where a.is_receivable or a.is_payable group by all"
    ):
        open_items[(entity, month_end)] = [receivable, payable]
    intercompany = defaultdict(lambda: [Decimal(0), Decimal(0)])
    accounts = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for entity, month, klass, balance in wh(
        "select t.entity_id, t.period_month, t.account_class, sum(t.closing_balance) from marts.trial_balance as t"
        " join seeds.intercompany_accounts as ic on ic.entity_id = t.entity_id and ic.account_code = t.account_code"
        " where t.account_class in ('asset', 'liability') group by all"
    ):
        accounts[(entity, _month_end(month))][0 if klass == "asset" else 1] += balance if klass == "asset" else -balance
    for entity, month_end in set(accounts) | set(open_items):
        rate = Decimal(1) if currency[entity] == REPORTING else _closing(rates[currency[entity]], month_end)
        for side in (0, 1):
            intercompany[month_end][side] += _convert(
                accounts[(entity, month_end)][side] + open_items[(entity, month_end)][side], rate
            )
    assert any(r or p for r, p in open_items.values()), "no open intercompany balance at any month end"
    pnl = defaultdict(Decimal)
    for month, line, amount in wh(
        "select period_month, pl_line, consolidated_amount from marts.consolidated_profit_and_loss"
    ):
        pnl[_month_end(month)] += amount if line in INCOME else -amount
    earnings = Decimal(0)
    for month_end, assets, liabilities, equity, earned, cta, elim_a, elim_l, imbalance in rows:
        assert imbalance == 0 and assets == liabilities + equity + earned + cta, month_end
        # sum of the entities at the closing rate, less the intercompany balances
        translated = [
            (_convert(a, r), _convert(li, r))
            for e, a, li in entity_bs[month_end]
            for r in [Decimal(1) if currency[e] == REPORTING else _closing(rates[currency[e]], month_end)]
        ]
        assert (elim_a, elim_l) == tuple(intercompany[month_end]), month_end
        assert assets == sum(a for a, _ in translated) - elim_a, month_end
        assert liabilities == sum(li for _, li in translated) - elim_l, month_end
        # earnings to date are the consolidated P&L's months added up
        earnings += pnl[month_end]
        assert earned == earnings, month_end
    # the funding the US sent the UK is eliminated from both sides once it exists...
    assert any(a and li for *_, a, li, _ in rows)
    # ...and sterling moved against the dollar, so translation leaves a CTA; the US entity,
    # in the reporting currency, contributes none
    assert any(cta for *_, cta, _, _, _ in rows)
    assert not wh(
        "select 1 from intermediate.int_consolidation_lines where entity_id = 'US' and line = 'cta'"
        " and reporting_amount <> 0"
    )
