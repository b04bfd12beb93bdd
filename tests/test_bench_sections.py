"""`make bench` rewrites only its generated table in docs/benchmarks.md: the hand-written
analysis of the transforms section (where the time goes, the scale-100 estimate) survives."""

from __future__ import annotations

from ledgerlake.bench.transforms import LATEST_HEADING, write_section

DOC = """# Benchmarks

## transforms

Hand-written: where the time goes.

## Dashboard

Other area.
"""


def test_rerunning_the_transforms_bench_replaces_only_its_generated_run(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(DOC)

    write_section(f"{LATEST_HEADING}\n\n| first run |\n", doc)
    write_section(f"{LATEST_HEADING}\n\n| second run |\n", doc)

    text = doc.read_text()
    assert "Hand-written: where the time goes." in text
    assert "| second run |" in text and "| first run |" not in text
    assert text.count(LATEST_HEADING) == 1
    # the generated run sits inside the transforms section, before the next area
    assert text.index("## transforms") < text.index("| second run |") < text.index("## Dashboard")
    assert "Other area." in text
