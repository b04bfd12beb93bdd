"""Pages land concurrently, but a cursor is written only once every page submitted
before it has landed, and never after a page that failed to land."""

from __future__ import annotations

import threading

import pytest

from ledgerlake.polling.runner import PageWriter


class Cursors:
    def __init__(self):
        self.written: list[tuple[str, dict]] = []

    def put(self, source, stream, cursor):
        self.written.append((stream, cursor))


def test_cursor_waits_for_every_earlier_page():
    cursors = Cursors()
    writer = PageWriter(cursors, "x", workers=3)
    gates = [threading.Event() for _ in range(3)]
    for gate in gates:
        writer.submit(gate.wait)
    writer.save_cursor("s", {"after": 3})
    gates[2].set()  # the last page lands first
    gates[1].set()
    writer.save_cursor("s", {"after": 3, "again": True})
    assert cursors.written == []  # page 1 is still in the air
    gates[0].set()
    writer.drain()
    assert cursors.written == [("s", {"after": 3, "again": True})]  # coalesced, written once


def test_failed_landing_blocks_later_cursors_and_surfaces():
    cursors = Cursors()
    writer = PageWriter(cursors, "x", workers=2)

    def boom():
        raise OSError("S3 said no")

    with pytest.raises(OSError):  # surfaces at the poller's next call, or at the latest in drain()
        writer.submit(lambda: None)
        writer.save_cursor("s", {"page": 1})
        writer.submit(boom)
        writer.save_cursor("s", {"page": 2})
        writer.submit(lambda: None)
        writer.save_cursor("s", {"page": 3})
        writer.drain()
    writer.pool.shutdown(wait=True)
    assert ("s", {"page": 2}) not in cursors.written and ("s", {"page": 3}) not in cursors.written
    assert cursors.written in ([], [("s", {"page": 1})])
