"""Bank reconciliation and coding on the simulated company (tests/conftest.py `built_company`)
against the simulator's truth (truth/bank_lines.csv: the ledger documents that explain every
posted bank line, and the account each card line belongs on).

Must show (#19): at least 99 % of the bank lines matched correctly, none matched wrongly, the
rest queued; auto-applied codes at least 95 % precise; a correction changes the next
suggestion. The figures go to tests/artifacts/bank_reconciliation.json.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict

import duckdb
import pytest


@pytest.fixture(scope="module")
def company(built_company):
    con = duckdb.connect(str(built_company["warehouse"]), read_only=True)
    with open(
        built_company["sim_dir"] / "truth" / "bank_lines.csv",
        encoding="utf-8",
        newline="",
    ) as handle:
        truth = {r["transaction_id"]: r for r in csv.DictReader(handle)}
    yield con, truth
    con.close()


def reconciliation_verdicts(con, truth) -> Counter:
    """Per bank line of the marts: correct / wrong / queued (and why), against the truth."""
    matched = defaultdict(set)
    for line, document in con.execute("select bank_line_id, document_id from marts.bank_matches").fetchall():
        matched[line].add(document)
    queued = {r[0] for r in con.execute("select bank_line_id from marts.bank_unmatched").fetchall()}
    verdicts = Counter()
    for (line,) in con.execute("select bank_line_id from intermediate.int_bank_lines").fetchall():
        want = set(truth[line]["explained_by"].split())
        kind = truth[line]["match_kind"]
        assert (line in matched) != (line in queued), f"{line} must be either matched or queued"
        if not want:
            verdicts["unexplained_matched" if line in matched else "unexplained_queued"] += 1
        elif line not in matched:
            verdicts[f"queued:{kind}"] += 1
        else:
            verdicts[f"{'correct' if matched[line] == want else 'wrong'}:{kind}"] += 1
    return verdicts


def test_bank_lines_are_matched_as_the_simulator_explains_them(company, artifacts_dir):
    con, truth = company
    verdicts = reconciliation_verdicts(con, truth)
    explained = sum(v for k, v in verdicts.items() if not k.startswith("unexplained"))
    correct = sum(v for k, v in verdicts.items() if k.startswith("correct"))
    wrong = {k: v for k, v in verdicts.items() if k.startswith("wrong") or k == "unexplained_matched"}
    (artifacts_dir / "bank_reconciliation.json").write_text(
        json.dumps(
            {
                "verdicts": dict(sorted(verdicts.items())),
                "correct_rate": round(correct / explained, 5),
            },
            indent=2,
        )
        + "\n"
    )
    assert not wrong, verdicts
    assert correct / explained >= 0.99, verdicts
    # the fuzzy shapes the simulator plants are matched, not queued
    for kind in ("payout", "split", "transposed_reference", "fee_netted"):
        assert verdicts[f"correct:{kind}"] >= 1, (kind, verdicts)
    # every line the books never explained waits in the queue
    posted = _posted(con)
    assert verdicts["unexplained_queued"] == sum(
        1 for r in truth.values() if not r["explained_by"] and r["transaction_id"] in posted
    )


def _posted(con) -> set[str]:
    return {r[0] for r in con.execute("select bank_line_id from intermediate.int_bank_lines").fetchall()}


def test_match_rate_per_account_and_day_adds_up(company):
    con, _ = company
    lines, matched, unmatched = con.execute(
        "select sum(lines), sum(matched_lines), sum(unmatched_lines) from marts.bank_reconciliation_daily"
    ).fetchone()
    assert lines == len(_posted(con))
    assert matched == con.execute("select count(distinct bank_line_id) from marts.bank_matches").fetchone()[0]
    assert unmatched == con.execute("select count(*) from marts.bank_unmatched").fetchone()[0]
    # the consolidated KPI mart carries the same lines
    assert con.execute("select sum(bank_lines) from marts.finance_kpis_daily").fetchone()[0] == lines


def test_auto_applied_codes_are_precise_and_a_correction_changes_the_next_suggestion(
    company,
):
    from ledgerlake.categorise.run import load_lines, suggest

    con, truth = company
    history, todo = load_lines(con)
    run = suggest(history, todo, {})
    auto = [s for s in run.suggestions if s["status"] == "auto_applied"]
    right = sum(truth[s["bank_line_id"]]["true_account_code"] == s["account_code"] for s in auto)
    assert len(auto) >= len(run.suggestions) // 2, run.counts()
    assert right / len(auto) >= 0.95, (right, len(auto))

    # a person recodes one of a vendor's lines: the vendor's other lines follow it, and the
    # corrected line keeps the person's choice whatever the model thinks
    by_line = {s["bank_line_id"]: s for s in run.suggestions}
    lines = {ln.line_id: ln for ln in todo}
    from ledgerlake.categorise.model import vendor_key

    vendors = defaultdict(list)
    for ln in todo:
        vendors[(ln.entity, vendor_key(ln))].append(ln.line_id)
    (entity, _), ids = next((k, v) for k, v in sorted(vendors.items()) if len(v) >= 2)
    first, other = ids[0], ids[1]
    codes = sorted({ln.account for ln in history if ln.entity == entity})
    new_code = next(c for c in codes if c != by_line[other]["account_code"])
    again = suggest(history, todo, {first: {"account_code": new_code, "entity_id": entity}})
    after = {s["bank_line_id"]: s for s in again.suggestions}
    assert after[first]["account_code"] == new_code and after[first]["method"] == "human"
    assert after[other]["account_code"] == new_code != by_line[other]["account_code"]
    assert lines[other].entity == entity
