"""local.env holds the local secrets: it is never readable by others, not even for the
instant between creating and chmod-ing it, and never seen half-written."""

from __future__ import annotations

import os
import stat
import threading


def test_local_env_is_private_from_its_first_byte(tmp_path, monkeypatch):
    from ledgerlake import config

    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    seen = []
    real_fsync = os.fsync

    def fsync(fd):  # called while the secrets are on disk but before the file is in place
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        seen.extend(stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    old_umask = os.umask(0)  # the worst case: a umask that would leave new files world-readable
    try:
        path = config.ensure_local_env()
    finally:
        os.umask(old_umask)
    assert seen and all(mode & 0o077 == 0 for mode in seen)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "STRIPE_WEBHOOK_SECRET=whsec_" in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["local.env"]  # no temporary left behind


def test_concurrent_creation_keeps_one_complete_file(tmp_path, monkeypatch):
    from ledgerlake import config

    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    barrier = threading.Barrier(8)

    def create():
        barrier.wait()
        config.ensure_local_env()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "local.env").read_text().splitlines()
    assert len([line for line in lines if line.startswith("STRIPE_WEBHOOK_SECRET=")]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["local.env"]
