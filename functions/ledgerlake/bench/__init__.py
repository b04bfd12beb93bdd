"""Benchmarks (`make bench`): one module per area, each with `main(argv) -> str`.

Figures go to docs/benchmarks.md; speed and memory targets live here, not in timed tests.
"""

from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, heading: str, body: str) -> None:
    """Put `body` under `heading` (a `## ...` line) in `path`, replacing that section if present."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{heading}\n\n{body}"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.write_text(text)
