"""A second `ledgerlake run` over the same simulation skips what the first landed: no
webhook is re-sent, no hydration or poll re-run, and the raw lake holds exactly the same
objects; a regenerated simulation (another fingerprint) lands again."""

from __future__ import annotations

import json

from ledgerlake.landing import simulation_fingerprint
from ledgerlake.pipeline import RunOptions, run


def _objects(lake) -> dict[str, str]:
    """The raw lake's objects (key → ETag); poller cursors under state/ record each poll's time."""
    out = {}
    for page in lake.s3.get_paginator("list_objects_v2").paginate(Bucket=lake.bucket, Prefix="raw/"):
        out.update({o["Key"]: o["ETag"] for o in page.get("Contents", [])})
    return out


def test_a_rerun_skips_what_already_landed(lake, tmp_path, capsys):
    sim = tmp_path / "sim"
    options = RunOptions(sim_dir=sim, seed=11, months=1, scale=0.05, steps=["simulate", "lake", "reference", "land"])
    first = {r.name: r for r in run(options)}
    assert "already landed" not in first["land"].detail and " 0 deliveries" not in first["land"].detail
    before = _objects(lake)
    marker = f"state/landing/{simulation_fingerprint(sim)}.json"
    assert json.loads(lake.s3.get_object(Bucket=lake.bucket, Key=marker)["Body"].read())["deliveries"] > 0

    second = {r.name: r for r in run(options)}
    assert second["land"].detail.startswith("already landed")
    assert second["land"].seconds < 5
    assert "already landed" in second["land"].detail
    # nothing re-sent, re-hydrated or re-polled (a re-poll would add today's balance snapshot
    # and make the build run again)
    assert _objects(lake) == before
    err = capsys.readouterr().err
    assert "webhook deliveries" in err  # the first landing's progress lines (output is not a terminal)

    # another simulation, another fingerprint: it lands
    (sim / "manifest.json").write_text((sim / "manifest.json").read_text().replace("}", ', "note": "regenerated"}', 1))
    third = {r.name: r for r in run(options)}
    assert "already landed" not in third["land"].detail


def test_build_and_forecast_are_kept_when_nothing_landed_since(tmp_path, monkeypatch):
    """After a skipped landing, a build newer than that landing and a forecast of the same
    build (and the same forecaster code) are kept; a newer landing or a changed build runs them."""
    from ledgerlake import pipeline

    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    monkeypatch.delenv("LEDGERLAKE_WAREHOUSE", raising=False)
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    state = tmp_path / "build-state.json"
    state.write_text(json.dumps({"fingerprint": "abc"}))
    ctx = pipeline.PipelineContext(options=RunOptions(sim_dir=tmp_path / "sim"))
    ctx.landed_at = "2020-01-01T00:00:00+00:00"
    assert pipeline.step_build(ctx).startswith("nothing landed since the last build")

    fingerprint = pipeline._forecast_inputs_fingerprint()
    (tmp_path / "forecast-state.json").write_text(fingerprint)
    assert pipeline.step_forecast(ctx).startswith("nothing changed since the last forecast")
    state.write_text(json.dumps({"fingerprint": "def"}))  # a new build: the forecast must run again
    assert pipeline._forecast_inputs_fingerprint() != fingerprint
    fingerprint = pipeline._forecast_inputs_fingerprint()
    (tmp_path / "scenarios.json").write_text('{"scenarios": []}')  # a saved what-if: runs again too
    assert pipeline._forecast_inputs_fingerprint() != fingerprint

    # a landing newer than the build: the build runs (here it would: patch it to see the call)
    ctx.landed_at = "2999-01-01T00:00:00+00:00"
    called = []
    monkeypatch.setattr("ledgerlake.transform.build", lambda **kw: called.append(kw) or _Built())
    pipeline.step_build(ctx)
    assert called


class _Built:
    success, seconds, failures = True, 0.0, []
