"""The Statements (ledgerlake.statements, the dashboard's Statements page) on the simulated
company's real build: every statement total equals its mart, read here with independent
SQL; the balance sheet balances; comparatives are the same statement for the earlier span;
a line's GL lines add up to it; the Excel workbook has one sheet per statement."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from test_pages import q

from ledgerlake import statements as stm
from ledgerlake.dashboard_data import ALL, Filters, _add_months

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def month(dashboard_env):
    return q(dashboard_env["warehouse"], "select max(period_month) from marts.finance_kpis_monthly")[0][0]


def _line(frame, line):
    return frame.filter(frame["line"] == line).row(0, named=True)


def test_pnl_accrual_and_cash_equal_the_marts(marts, dashboard_env, month):
    wh = dashboard_env["warehouse"]
    start = _add_months(month, -2)
    f = Filters(ALL, start, month, "USD")
    for basis, mart in (("accrual", "profit_and_loss"), ("cash", "profit_and_loss_cash")):
        pnl = stm.profit_and_loss(marts, f, basis)
        expected = dict(
            q(
                wh,
                f"select pl_line, sum(reporting_amount) from marts.{mart} "
                "where period_month between ? and ? group by 1",
                [start, month],
            )
        )
        for section, _title in stm.PNL_LINES:
            total = pnl.filter((pnl["section"] == section) & (pnl["kind"] == "total")).row(0, named=True)
            assert total["current"] == Decimal(expected.get(section, 0)).quantize(CENT), (basis, section)
        net = _line(pnl, "Net income")["current"]
        assert net == (
            expected["revenue"]
            - expected["cost_of_sales"]
            - expected["operating_expense"]
            + expected.get("other_income", 0)
            + expected.get("fx_realised", 0)  # FX gains and losses: lines of their own, gain-positive
            + expected.get("fx_unrealised", 0)
        ).quantize(CENT)
        # comparatives: the same statement for the span before and a year before
        prior = stm.profit_and_loss(marts, Filters(ALL, _add_months(start, -3), _add_months(month, -3), "USD"), basis)
        assert _line(pnl, "Net income")["prior"] == _line(prior, "Net income")["current"]
        year = stm.profit_and_loss(marts, Filters(ALL, _add_months(start, -12), _add_months(month, -12), "USD"), basis)
        assert _line(pnl, "Net income")["last_year"] == _line(year, "Net income")["current"]


def test_balance_sheet_balances_and_equals_the_mart(marts, dashboard_env, month):
    """Per entity in its own currency, to the cent; all entities in USD, still balancing."""
    wh = dashboard_env["warehouse"]
    for entity, currency in q(wh, "select entity_id, functional_currency from seeds.legal_entities"):
        bs = stm.balance_sheet(marts, Filters(entity, month, month, currency))
        assets, liabilities, equity, earnings = q(
            wh,
            """select total_assets, total_liabilities, total_equity,
            earnings_to_date from marts.balance_sheet where entity_id = ? and month_end = last_day(?::date)""",
            [entity, month],
        )[0]
        assert _line(bs, "Total assets")["current"] == assets.quantize(CENT), entity
        assert _line(bs, "Total liabilities")["current"] == liabilities.quantize(CENT), entity
        assert _line(bs, "Total equity")["current"] == (equity + earnings).quantize(CENT), entity
        assert _line(bs, "Difference (assets − liabilities − equity)")["current"] == 0, entity
    consolidated = stm.balance_sheet(marts, Filters(ALL, month, month, "USD"))
    assert abs(_line(consolidated, "Difference (assets − liabilities − equity)")["current"]) <= CENT * 2


def test_trial_balance_and_cash_flow_tie_out(marts, dashboard_env, month):
    wh = dashboard_env["warehouse"]
    f = Filters("US", month, month, "USD")
    tb = stm.trial_balance(marts, f)
    total = tb.filter(tb["account_name"] == "Total").row(0, named=True)
    assert total["debit"] == total["credit"] > 0
    accounts = q(
        wh,
        "select count(*) from marts.trial_balance where entity_id = 'US' and period_month = ? "
        "and (closing_balance <> 0 or net_movement <> 0)",
        [month],
    )[0][0]
    assert tb.height - 1 == accounts
    cf = stm.cash_flow(marts, f)
    opening, closing = _line(cf, "Opening cash")["current"], _line(cf, "Closing cash")["current"]
    assert opening + _line(cf, "Net change in cash")["current"] == closing
    mart_closing = q(
        wh,
        "select amount from marts.cash_flow_statement where entity_id = 'US' and period_month = ? "
        "and section = 'cash' and cash_flow_line ilike '%closing%'",
        [month],
    )[0][0]
    assert closing == mart_closing.quantize(CENT)


def test_a_line_drills_to_its_gl_lines_and_their_source(marts, month):
    f = Filters("US", month, month, "USD")
    pnl = stm.profit_and_loss(marts, f, "accrual")
    account = pnl.filter((pnl["section"] == "operating_expense") & (pnl["kind"] == "account")).row(0, named=True)
    lines = stm.gl_lines(marts, f, account_key=account["account_key"])
    assert lines.height > 0
    assert sum(lines["amount_shown"]) == account["current"]  # expenses are debit-positive as shown
    assert lines["source_system"].null_count() == 0 and lines["raw_key"].null_count() == 0
    section = stm.gl_lines(marts, f, section="revenue")
    total = pnl.filter((pnl["section"] == "revenue") & (pnl["kind"] == "total")).row(0, named=True)
    assert -sum(section["amount_shown"]) == total["current"]


def test_pnl_by_class_and_department_equals_the_mart(marts, dashboard_env, month):
    """The class and department filters: the accrual P&L of one class, one department, and the
    lines coded with no class each equal the profit_and_loss mart's rows for them (independent
    SQL); the classes and the uncoded lines add up to the whole P&L; a line's GL lines carry the
    dimension and add up to it; the cash basis refuses a dimension it does not have."""
    wh = dashboard_env["warehouse"]
    start = _add_months(month, -5)
    f = Filters(ALL, start, month, "USD")
    values = stm.dimension_values(marts, f)
    assert values["class_name"] and values["department_name"], values  # the simulator codes both

    def net(pnl):
        return _line(pnl, "Net income")["current"]

    def mart_net(where, params):
        income = ", ".join(f"'{line}'" for line in stm.INCOME_LINES)  # credit-positive lines, FX included
        signed = f"case when pl_line in ({income}) then reporting_amount else -reporting_amount end"
        total = q(
            wh,
            f"select sum({signed}) from marts.profit_and_loss where period_month between ? and ? and {where}",
            [start, month, *params],
        )[0][0]
        return Decimal(total or 0).quantize(CENT)

    klass, department = values["class_name"][0], values["department_name"][0]
    by_class = stm.profit_and_loss(marts, f, "accrual", stm.Dims(class_name=klass))
    assert net(by_class) == mart_net("class_name = ?", [klass]) != 0
    by_department = stm.profit_and_loss(marts, f, "accrual", stm.Dims(department_name=department))
    assert net(by_department) == mart_net("department_name = ?", [department]) != 0
    both = stm.profit_and_loss(marts, f, "accrual", stm.Dims(klass, department))
    assert net(both) == mart_net("class_name = ? and department_name = ?", [klass, department])
    uncoded = stm.profit_and_loss(marts, f, "accrual", stm.Dims(class_name=stm.NOT_CODED))
    assert net(uncoded) == mart_net("class_name is null", [])
    every = [net(stm.profit_and_loss(marts, f, "accrual", stm.Dims(class_name=c))) for c in values["class_name"]]
    assert sum(every) + net(uncoded) == net(stm.profit_and_loss(marts, f, "accrual"))

    account = by_department.filter(by_department["kind"] == "account").row(0, named=True)
    lines = stm.gl_lines(marts, f, account_key=account["account_key"], dims=stm.Dims(department_name=department))
    assert set(lines["department_name"]) == {department}
    sign = -1 if account["section"] in stm.INCOME_LINES else 1
    assert sign * sum(lines["amount_shown"]) == account["current"]
    with pytest.raises(ValueError, match="cash-basis"):
        stm.profit_and_loss(marts, f, "cash", stm.Dims(class_name=klass))


def test_excel_workbook_has_one_sheet_per_statement(marts, month):
    data = stm.excel(marts, Filters(ALL, month, month, "USD"), "accrual")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        book = z.read("xl/workbook.xml").decode()
    for name in ("P&amp;L (accrual)", "Balance sheet", "Cash flow", "Trial balance"):
        assert f'name="{name}"' in book


def test_statements_page_runs(app):
    app.switch_page("pages/statements.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert any(m.label.startswith("Net income") for m in app.metric)
    app.session_state["pnl_basis"] = "Cash"
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("(cash)" in m.label for m in app.metric)
    # the class filter (accrual only: the cash basis says it shows all)
    app.session_state["pnl_basis"] = "Accrual"
    app.run()
    klass = next(b for b in app.selectbox if b.label == "Class")
    klass.select(klass.options[1]).run()
    assert not app.exception, [e.message for e in app.exception]
    assert any(f"class {klass.options[1]}" in m.label for m in app.metric)


def test_the_party_dimension_resolves_the_aws_cluster(dashboard_env):
    """One vendor for every spelling the ledgers use (the alias seed's AWS / Amazon cluster),
    one party per contact and role, and the documents mart carrying the resolved name."""
    wh = dashboard_env["warehouse"]
    names = {n for (n,) in q(wh, "select contact_name from marts.party_contacts where party_kind = 'vendor'")}
    cluster = names & {"AWS", "Amazon Web Services", "Amazon.com"}
    assert len(cluster) >= 2, names  # the simulated company pays AWS under more than one name
    [(party_name, aliases)] = q(
        wh,
        "select party_name, aliases from marts.parties where party_kind = 'vendor' "
        "and list_has_any(aliases, ['AWS', 'Amazon Web Services', 'Amazon.com'])",
    )
    assert party_name == "Amazon Web Services" and cluster <= set(aliases)
    # every document whose contact its ledger lists has the party, and bills under any AWS spelling add up to it
    assert (
        q(
            wh,
            """select count(*) from marts.ar_ap_documents d join marts.party_contacts p
                    on p.contact_key = d.contact_key where d.party_key is null""",
        )[0][0]
        == 0
    )
    spellings = q(
        wh,
        """select count(distinct contact_name), count(distinct party_name) from marts.ar_ap_documents
                         where document_kind = 'AP' and contact_name in ('AWS', 'Amazon Web Services', 'Amazon.com')""",
    )[0]
    assert spellings[1] == 1


def test_the_ledger_marts_carry_the_party(dashboard_env):
    """general_ledger, ar_ap_aging and open_ar_month_end name the resolved party: every line
    whose contact its ledger lists has one, AWS under any spelling is one party in the
    general ledger, and the aging mart's party agrees with the documents mart's."""
    wh = dashboard_env["warehouse"]
    assert (
        q(
            wh,
            """select count(*) from marts.general_ledger g
                    where g.contact_key in (select contact_key from marts.party_contacts) and g.party_key is null""",
        )[0][0]
        == 0
    )
    [(parties, spellings)] = q(
        wh,
        """select count(distinct g.party_name), count(distinct c.contact_name)
        from marts.general_ledger g join marts.party_contacts c on c.contact_key = g.contact_key
        where c.contact_name in ('AWS', 'Amazon Web Services', 'Amazon.com')""",
    )
    assert spellings >= 2 and parties == 1
    # a bill's lines and its payment's lines name the vendor the documents mart names
    assert (
        q(
            wh,
            """select count(*) from marts.general_ledger g join marts.ar_ap_documents d
                    on d.source_system = g.source_system and d.source_id = g.document_id
                   and g.document_type in ('Bill', 'Invoice') and d.contact_key = g.contact_key
                    where g.party_key is distinct from d.party_key""",
        )[0][0]
        == 0
    )
    for table in ("marts.ar_ap_aging", "marts.open_ar_month_end"):
        assert q(wh, f"select count(*) from {table} where party_name is null")[0][0] == 0, table
    assert (
        q(
            wh,
            """select count(*) from marts.ar_ap_aging a join marts.party_contacts p on p.contact_key = a.contact_key
                   and p.party_kind = case a.document_kind when 'AR' then 'customer' else 'vendor' end
                    where a.party_key <> p.party_key""",
        )[0][0]
        == 0
    )
