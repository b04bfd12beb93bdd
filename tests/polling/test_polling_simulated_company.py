"""Against the real simulated company (the shared `sim_dir`, seed 7): every poller lands
exactly the company's records for its first weeks, then only the changes of the next
weeks. (A window keeps this quick; the whole-history figures are in the benchmark.)"""

from __future__ import annotations

import polling_truth as truth
import pytest
from polling_minisim import SOURCES

from ledgerlake.polling.dedupe import latest_from_lake


@pytest.fixture(scope="module")
def company_api(sim_dir):
    from ledgerlake.sourceapi import serve_in_thread

    running = serve_in_thread(sim_dir)
    yield running
    running.stop()


@pytest.mark.parametrize("source", SOURCES)
def test_generator_company_polls_exactly(source, sim_dir, company_api, lake):
    from ledgerlake.polling import poll_source

    start = company_api.api.store.start
    first_clock, second_clock = start + 40 * 86400, start + 55 * 86400

    def run():
        return poll_source(
            source, lake=lake, base_url=company_api.base_urls[source], credentials=company_api.credentials
        )

    company_api.set_clock(first_clock)
    assert run().complete
    want = truth.expected(sim_dir, source, first_clock)
    assert want and set(latest_from_lake(lake, source)) == want

    company_api.set_clock(second_clock)
    second = run()
    assert second.complete
    assert set(latest_from_lake(lake, source)) == truth.expected(sim_dir, source, second_clock)
    changes = truth.changed(sim_dir, source, first_clock, second_clock)
    # Incremental: the second run read about the changes, not the history again.
    assert second.records <= 2 * len(changes) + 60
