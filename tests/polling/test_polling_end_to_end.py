"""Per source: empty → complete lands exactly the company's records; after new activity
an incremental run picks up only the changes; a repeat run at the same clock lands nothing."""

from __future__ import annotations

import polling_truth as truth
import pytest
from polling_minisim import END, MID, SOURCES

from ledgerlake.polling.dedupe import latest_from_lake

# The stream whose every record has a provider update stamp, per source: for these the
# incremental run must land changes plus, at most, the records at the cursor's boundary
# (cursors are inclusive so nothing at the boundary second is ever skipped).
PRIMARY = {
    "stripe": "event",
    "shopify": "order",
    "hubspot": "deal",
    "qbo": None,
    "xero": "Invoice",
    "plaid": "transaction",
}


@pytest.mark.parametrize("source", SOURCES)
def test_empty_to_complete_then_incremental(source, company, providers, lake, poll):
    mid, end = MID.timestamp(), END.timestamp()
    providers.set_clock(mid)
    first = poll(source)
    assert first.complete
    landed = set(latest_from_lake(lake, source))
    assert landed == truth.expected(company, source, mid)

    again = poll(source)  # nothing changed: no new page
    assert again.complete and again.pages_landed == 0

    providers.set_clock(end)
    keys_before = set(lake.keys(f"raw/source={source}/"))
    second = poll(source)
    assert second.complete and second.pages_landed > 0
    new_keys = set(lake.keys(f"raw/source={source}/")) - keys_before
    new_ids = set()
    for key in new_keys:
        envelope, payload = lake.read(key)
        from ledgerlake.polling.runner import provider_module

        new_ids |= {(r.kind, r.id) for r in provider_module(source).page_records(envelope["entity"], payload)}
    changes = truth.changed(company, source, mid, end)
    assert changes and changes <= new_ids  # every change picked up
    versions = truth.latest_versions(company, source, end)
    for kind in [PRIMARY[source]] if PRIMARY[source] else {k for k, _ in changes}:
        unchanged = {key for key in new_ids - changes if key[0] == kind}
        boundary = max(row["_at"] for key, row in versions.items() if key[0] == kind and row["_at"] <= mid)
        assert all(versions[key]["_at"] >= int(boundary) - 1 for key in unchanged), (kind, unchanged)
        assert len(unchanged) <= 2
    assert set(latest_from_lake(lake, source)) == truth.expected(company, source, end)


@pytest.mark.parametrize("source", ["stripe", "hubspot", "qbo", "xero", "shopify"])
def test_latest_stamps_match_the_company(source, company, lake, poll):
    """Dedupe keeps, per object, exactly the version the company holds now."""
    assert poll(source, page_size=15).complete
    versions = truth.latest_versions(company, source, END.timestamp())
    for key, record in latest_from_lake(lake, source).items():
        if record.stamp:
            want = versions[key]["_at"]
            got = __import__("datetime").datetime.fromisoformat(record.stamp.replace("Z", "+00:00")).timestamp()
            assert abs(got - want) < 1.0, key


def test_poll_all_in_process_entry(company, providers, lake):
    """What `ledgerlake run` calls: serve_in_thread(...) + poll_all(base_urls, credentials, lake)."""
    from ledgerlake.polling import poll_all

    seen = []
    results = poll_all(
        base_urls=providers.base_urls,
        credentials=providers.credentials,
        lake=lake,
        sources=SOURCES,
        progress=lambda r: seen.append(r.source),
    )
    assert seen == list(SOURCES) and all(r.complete for r in results.values())
    for source in SOURCES:
        assert set(latest_from_lake(lake, source)) == truth.expected(company, source, END.timestamp())
