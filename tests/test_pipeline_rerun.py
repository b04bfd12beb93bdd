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
