"""Same seed, same bytes; another seed, another company. The CLI drives the same generator."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from ledgerlake.cli import main
from ledgerlake.simulate import generate
from ledgerlake.simulate.engine import Simulation


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("det") / "a", seed=11, months=3, scale=0.5)


def test_same_seed_gives_byte_identical_files(small_run, tmp_path):
    again = generate(tmp_path / "b", seed=11, months=3, scale=0.5)
    first, second = digests(small_run), digests(again)
    assert len(first) > 40 and first == second


def test_other_seed_gives_a_different_company(small_run, tmp_path):
    other = digests(generate(tmp_path / "c", seed=12, months=3, scale=0.5))
    first = digests(small_run)
    assert first.keys() == other.keys()
    changed = [k for k in first if first[k] != other[k]]
    assert "api/stripe/charges.jsonl" in changed and "truth/revenue_by_month.csv" in changed


def test_shopify_in_a_child_process_writes_the_same_bytes(small_run, tmp_path):
    out = tmp_path / "parallel"
    out.mkdir()
    Simulation(out, 11, 3, 0.5, date(2025, 5, 1), 4, parallel=True).run()
    assert digests(out) == digests(small_run)


def test_rerun_into_the_same_directory_replaces_the_old_run(tmp_path):
    generate(tmp_path, seed=5, months=2, scale=0.3)
    generate(tmp_path, seed=5, months=1, scale=0.3)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["months"] == 1
    last_day = max(json.loads(line)["at"] for line in open(tmp_path / "api" / "plaid" / "accounts.jsonl"))
    assert last_day.startswith("2025-05-31")


def test_cli_simulate_writes_a_company_and_reports_counts(tmp_path, capsys):
    assert (
        main(
            [
                "simulate",
                "--seed",
                "3",
                "--months",
                "2",
                "--scale",
                "0.3",
                "--start",
                "2026-01-01",
                "--fiscal-year-start-month",
                "1",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["start"] == "2026-01-01" and manifest["end"] == "2026-02-28"
    assert manifest["fiscal_year_start_month"] == 1
    printed = capsys.readouterr()
    assert "api/stripe/charges.jsonl" in printed.out and "simulated days" in printed.err


def test_cli_help_documents_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    for option in ("--seed", "--months", "--scale", "--out", "--start"):
        assert option in text
