"""Alert titles and notes reach st.markdown / st.caption escaped: CommonMark reads every
markdown-active character as a literal (no link, image, emphasis, math, :color[...]), and
the reader sees exactly the text that was stored."""

from __future__ import annotations

import string
import sys
from pathlib import Path

from hypothesis import given, seed, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dashboard"))
import shared

PUNCTUATION = set(string.punctuation)  # CommonMark's escapable set: all ASCII punctuation


def commonmark_reads(text: str) -> tuple[str, bool]:
    """(the literal text CommonMark shows, whether any character stayed markdown-active)."""
    out, active, i = [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in PUNCTUATION:
            out.append(text[i + 1])
            i += 2
            continue
        active |= ch in PUNCTUATION or ch == "\n"
        out.append(ch)
        i += 1
    return "".join(out), active


HOSTILE = [
    "![pixel](https://evil.example/p.png?c=acme)",
    "[Pay now](javascript:alert(1))",
    ":red[URGENT] wire $9,000",
    "**bold** _it_ ~~gone~~ `code`",
    "# heading\n- item",
    "https://evil.example",
    "<img src=x onerror=alert(1)>",
    "$x^2$ and \\$ escaped",
    "Acme [Ltd] (UK) *",
]


def test_hostile_titles_and_notes_read_literally():
    for text in HOSTILE:
        shown, active = commonmark_reads(shared.md(text))
        assert not active, text
        assert shown == " ".join(text.splitlines())


@seed(15)
@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text())
def test_any_text_reads_literally(text):
    shown, active = commonmark_reads(shared.md(text))
    assert not active
    assert shown == " ".join(text.splitlines())
