"""A build must not leave dbt's settings in the process environment: `ledgerlake demo`
builds, then starts the dashboard as a child process, which reads LEDGERLAKE_WAREHOUSE."""

from __future__ import annotations

import os
from pathlib import Path

from ledgerlake.config import Settings
from ledgerlake.transform import runner


def test_dbt_settings_apply_during_the_run_and_are_restored_after(monkeypatch, tmp_path):
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    monkeypatch.delenv("LEDGERLAKE_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEDGERLAKE_RAW_BUCKET", "the-callers-bucket")
    seen = {}

    def fake_invoke(args, stream):
        seen.update(os.environ)
        return True, None

    monkeypatch.setattr(runner, "_invoke_dbt", fake_invoke)
    building = tmp_path / "warehouse.building.duckdb"
    settings = Settings.from_env()
    runner.run_dbt(["build"], settings, building)

    assert seen["LEDGERLAKE_WAREHOUSE"] == str(building)
    assert seen["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert "LEDGERLAKE_WAREHOUSE" not in os.environ
    assert os.environ["LEDGERLAKE_RAW_BUCKET"] == "the-callers-bucket"
    assert Path(os.environ["LEDGERLAKE_HOME"]) == tmp_path
