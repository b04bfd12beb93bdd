"""Faults: 429 bursts, 5xx, timeouts, throttling, a spent budget, a crash between landing
a page and saving its cursor, Plaid mutating mid-pagination. Each rerun completes with
nothing missing (raw may hold duplicates; dedupe resolves them)."""

from __future__ import annotations

import polling_truth as truth
import pytest
from polling_minisim import END, SOURCES

from ledgerlake.polling import RetryPolicy
from ledgerlake.polling.cursors import CursorStore
from ledgerlake.polling.dedupe import latest_from_lake, raw_records
from ledgerlake.polling.runner import SimulatedCrash

FAST = RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.05, read_timeout=0.3)


def complete_and_exact(lake, company, source):
    assert set(latest_from_lake(lake, source)) == truth.expected(company, source, END.timestamp())


@pytest.mark.parametrize("source", SOURCES)
def test_429_bursts_honour_retry_after(source, company, providers, lake, poll):
    providers.fault(f"{source}:429=3,2,0")  # every 3rd request starts a burst of two 429s
    result = poll(source, page_size=15, policy=FAST)
    assert result.complete
    assert result.http["retries_429"] >= 2
    complete_and_exact(lake, company, source)


@pytest.mark.parametrize("source", ["stripe", "xero", "qbo"])
def test_5xx_backs_off_and_completes(source, company, providers, lake, poll):
    providers.fault(f"{source}:5xx=2")
    result = poll(source, page_size=15, policy=FAST)
    assert result.complete and result.http["retries_5xx"] >= 2
    complete_and_exact(lake, company, source)


def test_timeouts_retry_and_complete(company, providers, lake, poll):
    providers.fault("hubspot:slow=3,0.6")  # every 3rd answer takes longer than the 0.3 s read timeout
    result = poll("hubspot", page_size=15, policy=FAST)
    assert result.complete and result.http["retries_timeout"] >= 1
    complete_and_exact(lake, company, "hubspot")


def test_retry_after_longer_than_budget_stops_cleanly_then_resumes(company, providers, lake, poll):
    providers.fault("xero:429=4,1,30")  # the 4th request says: come back in 30 s
    stopped = poll("xero", page_size=5, budget_seconds=5, policy=FAST)
    assert not stopped.complete and stopped.stopped == "budget"
    assert stopped.http["slept_s"] < 1  # it did not sit out a wait it could not afford
    providers.clear_faults()
    resumed = poll("xero", page_size=5)
    assert resumed.complete
    complete_and_exact(lake, company, "xero")


def test_shopify_throttled_waits_for_the_cost_bucket(company, providers, lake, poll):
    providers.fault("shopify:throttle=1")
    result = poll("shopify", page_size=20)
    assert result.complete and result.http["slept_s"] > 0
    complete_and_exact(lake, company, "shopify")


@pytest.mark.parametrize("source", SOURCES)
def test_crash_between_landing_and_cursor_then_rerun(source, company, providers, lake, poll):
    landed = []

    def crash_on_third_page(entity, result):
        landed.append(result.key)
        if len(landed) == 3:
            raise SimulatedCrash("killed after landing, before saving the cursor")

    with pytest.raises(SimulatedCrash):
        poll(source, page_size=15, after_land=crash_on_third_page)
    assert all(lake.exists(key) for key in landed)  # the page landed; its cursor was not saved
    rerun = poll(source, page_size=15)
    assert rerun.complete
    complete_and_exact(lake, company, source)


def test_plaid_mutation_during_pagination_restarts_the_loop(company, providers, lake, poll):
    providers.fault("plaid:mutation=1")
    result = poll("plaid", page_size=10)
    assert result.complete
    assert result.http["requests"] > len(truth.expected(company, "plaid", END.timestamp())) / 10
    complete_and_exact(lake, company, "plaid")


def test_plaid_cursor_saved_only_when_the_loop_finishes(company, providers, lake, poll):
    """New activity mid-loop: Plaid's error, a restart from the saved cursor, and the
    saved cursor only ever holds the end of a complete loop."""
    from polling_minisim import START

    providers.set_clock(START.timestamp() + 20 * 86400)
    store = CursorStore(lake)
    seen_cursors = []

    def advance_clock_once(entity, result):
        if entity == "transactions_sync":
            seen_cursors.append({k: v for k, v in store.all().items() if k.startswith("plaid/transactions")})
            if len(seen_cursors) == 2:
                providers.set_clock(END.timestamp())

    # Land synchronously so the hook moves the clock between two page fetches.
    result = poll("plaid", page_size=5, after_land=advance_clock_once, land_workers=0)
    assert result.complete
    assert all(not c for c in seen_cursors)  # nothing saved while has_more was true
    assert store.all()  # saved at the end
    complete_and_exact(lake, company, "plaid")


@pytest.mark.parametrize("source", ["stripe", "qbo"])
def test_raw_duplicates_resolve_to_one_record_per_object(source, company, providers, lake, poll):
    """A backfill over data already polled lands the same objects again (different
    requests), and the dedupe keeps one per object: the newest version."""
    from polling_minisim import START

    assert poll(source, page_size=20).complete
    assert poll(source, page_size=12, since=START).complete  # overlapping backfill, other page cut
    records = list(raw_records(lake, source))
    unique = latest_from_lake(lake, source)
    assert len(records) > len(unique)  # duplicates really are in raw
    assert set(unique) == truth.expected(company, source, END.timestamp())
    versions = truth.latest_versions(company, source, END.timestamp())
    for key, record in unique.items():
        assert record.deleted == bool(versions[key]["deleted"]) or source == "stripe"


def test_duckdb_over_raw_pages_gives_one_row_per_event(company, providers, lake, poll):
    """The staging rule in SQL: unnest the polled pages, keep the newest per id."""
    from polling_minisim import START

    from ledgerlake.lake import duckdb_connect, raw_glob

    poll("stripe", page_size=25)
    poll("stripe", page_size=12, since=START)
    con = duckdb_connect(settings=lake.settings)
    rows = con.execute(f"""
        with pages as (
            select payload from read_json('{raw_glob(lake.settings, "stripe", "events")}',
                 columns={{'envelope': 'JSON', 'payload': 'JSON'}}, hive_partitioning=true)
        ), events as (
            select unnest(from_json(payload->'data', '["JSON"]')) as e from pages
        ), ranked as (
            select e->>'id' as id, (e->>'created')::bigint as created,
                   row_number() over (partition by e->>'id' order by (e->>'created')::bigint desc) as rn
            from events
        )
        select count(*) filter (where rn = 1), count(*) from ranked
    """).fetchone()
    expected = {rid for kind, rid in truth.expected(company, "stripe", END.timestamp()) if kind == "event"}
    assert rows[0] == len(expected) and rows[1] > rows[0]
