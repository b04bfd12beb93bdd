"""Progress for long steps: a redrawn line on a terminal, periodic lines otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, label: str, total: int | None = None, stream=None, every_seconds: float = 5.0):
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every_seconds
        self.started = time.monotonic()
        self._last = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last >= (0.2 if self.tty else self.every):
            self._last = now
            self._draw()

    def _text(self) -> str:
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total}" if self.total else ""
        return f"{self.label}: {self.done}{of} ({rate:,.0f}/s, {elapsed:,.1f}s)"

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._text() + "\033[K")
        else:
            self.stream.write(self._text() + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write(("\r" if self.tty else "") + self._text() + " done\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def step(message: str) -> None:
    """Announce a pipeline step."""
    print(f"==> {message}", file=sys.stderr, flush=True)
