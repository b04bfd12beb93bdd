"""`python -m ledgerlake.bench <area> --write FILE` writes that area's section to FILE, not to
docs/benchmarks.md (the dispatcher used to swallow --write)."""

from __future__ import annotations

import types

from ledgerlake.bench import __main__ as dispatch


def test_write_goes_to_the_area_and_not_to_the_docs(monkeypatch, tmp_path):
    seen = {}

    def area_main(argv):
        seen["argv"] = argv
        return 0

    fake = types.SimpleNamespace(main=area_main)
    monkeypatch.setattr(dispatch.importlib, "import_module", lambda name: fake)
    target = tmp_path / "bench.md"
    assert dispatch.main(["balance", "--quick", "--write", str(target), "--seeds", "1"]) == 0
    assert seen["argv"] == ["--quick", "--write", str(target), "--seeds", "1"]
    # without --write the area keeps its own default (docs/benchmarks.md)
    seen.clear()
    assert dispatch.main(["balance", "--seeds", "1"]) == 0
    assert "--write" not in seen["argv"]
