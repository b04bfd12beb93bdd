"""No block of 10+ lines repeated in Python or SQL outside tests and fixtures (#22).

Copy-paste drifts: one copy gets the fix and the other does not. A block is 10
consecutive lines after dropping blank and comment-only lines and surrounding
whitespace, so re-indenting a copy does not hide it. A repeat kept on purpose is
listed in KEPT with its reason (and in docs/DECISIONS.md, "Duplicate blocks").
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOTS = (
    "functions",
    "dashboard",
    "transforms/models",
    "transforms/macros",
    "transforms/tests",
    "transforms/sqlfluff_context",
)
BLOCK = 10

# A path pair (sorted) → why the repetition stays. Keep this short.
KEPT: dict[tuple[str, str], str] = {}


def _lines(path: Path) -> list[tuple[int, str]]:
    """(line number, normalised text) of the lines that carry code."""
    comment = ("#",) if path.suffix == ".py" else ("--", "{#", "#}")
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = " ".join(raw.split())
        if text and not text.startswith(comment):
            out.append((number, text))
    return out


def find_duplicates(root: Path = REPO, block: int = BLOCK) -> list[tuple[str, int, str, int]]:
    """Every repeated block: (path, first line, other path, its first line), one per run."""
    seen: dict[str, list[tuple[str, int]]] = defaultdict(list)
    files = sorted(p for r in ROOTS for p in (root / r).rglob("*") if p.suffix in (".py", ".sql"))
    for path in files:
        rel = path.relative_to(root).as_posix()
        lines = _lines(path)
        for i in range(len(lines) - block + 1):
            digest = hashlib.blake2b("\n".join(t for _, t in lines[i : i + block]).encode(), digest_size=12).hexdigest()
            seen[digest].append((rel, lines[i][0]))
    found, reported = [], set()
    for places in seen.values():
        first = places[0]
        for other in places[1:]:
            if other[0] == first[0] and abs(other[1] - first[1]) < block:
                continue  # a run of identical lines overlapping itself
            key = (first[0], other[0])
            # one report per pair of files: the first window of each run is enough to find it
            if key in reported:
                continue
            reported.add(key)
            found.append((first[0], first[1], other[0], other[1]))
    return found


def test_finder_sees_a_copied_block(tmp_path):
    body = "\n".join(f"x{i} = {i} * 2" for i in range(BLOCK)) + "\n"
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "a.py").write_text("import os\n" + body)
    (tmp_path / "functions" / "b.py").write_text(
        "# the same, re-indented\nif True:\n" + "".join("    " + line + "\n" for line in body.splitlines())
    )
    assert [(a, b) for a, _, b, _ in find_duplicates(tmp_path)] == [("functions/a.py", "functions/b.py")]
    (tmp_path / "functions" / "b.py").write_text(body.replace("x5 = 5", "y5 = 5"))
    assert find_duplicates(tmp_path) == []


def test_no_block_of_ten_lines_is_repeated():
    found = [d for d in find_duplicates() if tuple(sorted((d[0], d[2]))) not in KEPT]
    assert not found, "repeated blocks (fold them into one home, or list in KEPT with why):\n" + "\n".join(
        f"  {a}:{la} == {b}:{lb}" for a, la, b, lb in found
    )
