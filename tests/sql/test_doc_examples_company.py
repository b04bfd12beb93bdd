"""Every query an analyst is shown runs: the examples `ledgerlake sql --help` prints, every
`ledgerlake sql -c "…"` line, every ```sql block and every inline `select …;` in
docs/analysts.md and docs/marts.md, through the real command on the simulated company's
build (a block right after `<!-- not run: why -->` is skipped, and must say why)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ledgerlake.analyst.examples import HELP_EXAMPLES
from ledgerlake.cli import main

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "docs" / "analysts.md", REPO / "docs" / "marts.md", REPO / "transforms" / "models" / "overview.md"]


def doc_queries() -> list[tuple[str, str]]:
    """(where, query) for every runnable query in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for m in re.finditer(r"(<!-- not run: [^>]+-->\s*)?```sql\n(.*?)```", text, re.S):
            if not m.group(1):
                found.append((f"{doc.name} sql block at char {m.start()}", m.group(2)))
        for m in re.finditer(r'ledgerlake sql (?:-c )?"([^"]+)"', text):
            found.append((f"{doc.name} command line", m.group(1)))
        for m in re.finditer(r"`(select [^`]+;)`", text):
            found.append((f"{doc.name} inline", m.group(1)))
    return found


def help_queries() -> list[str]:
    out = []
    for example in HELP_EXAMPLES:
        args = shlex.split(example)[2:]
        if "-c" in args:
            out.append(args[args.index("-c") + 1])
    return out


def test_the_help_prints_the_tested_examples(capsys):
    with pytest.raises(SystemExit):
        main(["sql", "--help"])
    out = capsys.readouterr().out
    for example in HELP_EXAMPLES:
        assert example in out
    assert help_queries(), "the help shows at least one query"
    assert "fct_revenue_monthly" not in out


def test_the_docs_have_queries_and_every_skip_says_why():
    assert len(doc_queries()) >= 20
    for doc in DOCS:
        for reason in re.findall(r"<!-- not run: ([^>]*)-->", doc.read_text()):
            assert len(reason.strip()) > 10, f"{doc.name}: a skipped example must say why"


def test_every_help_and_doc_query_runs_on_the_company(built_company, capsys):
    warehouse = str(built_company["warehouse"])
    failures = []
    queries = [("sql --help", q) for q in help_queries()] + doc_queries()
    for where, query in queries:
        code = main(["sql", "--warehouse", warehouse, "--no-lake", "-c", query, "--format", "csv"])
        out, err = capsys.readouterr()
        if code != 0:
            failures.append(f"{where}: {query[:80]!r}: {err.strip()[:300]}")
        elif len(out.splitlines()) < 2:  # a header and at least one row
            failures.append(f"{where}: {query[:80]!r} returned no rows")
    assert not failures, "\n".join(failures)
