"""The Reconciliation page on the simulated company's warehouse: the queue is bank_unmatched's
lines waiting for a person, and a correction made on the page lands in the lake with who and why."""

from __future__ import annotations

import uuid

import duckdb


def test_reconciliation_page_shows_the_queue_and_saves_a_correction(app, dashboard_env, monkeypatch):
    from ledgerlake.lake import Lake

    with duckdb.connect(str(dashboard_env["warehouse"]), read_only=True) as con:
        waiting = con.execute("select count(*) from marts.bank_unmatched where needs_review").fetchone()[0]
    app.switch_page("pages/reconciliation.py").run()
    assert not app.exception, [e.message for e in app.exception]
    shown = next(m for m in app.metric if m.label == "Waiting for review")
    assert shown.value == f"{waiting:,}"
    queue = app.dataframe[-1].value
    assert len(queue) == waiting and waiting > 0

    # the correction goes to a lake of its own here (the company's is shared by the session)
    bucket = f"raw-recon-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", bucket)
    Lake().ensure_buckets()
    line = queue.iloc[0]["bank_line_id"]
    app.selectbox(key="recon_line").set_value(line).run()
    app.text_input(key=f"recon_note_{line}").input("receipt checked").run()
    app.button(key=f"recon_save_{line}").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("Saved" in s.value for s in app.success)
    keys = list(Lake().keys("raw/source=ledgerlake/entity=coding_corrections/"))
    assert len(keys) == 1
    _, payload = Lake().read(keys[0])
    assert payload["bank_line_id"] == line and payload["note"] == "receipt checked" and payload["by"]
