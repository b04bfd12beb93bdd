"""`ledgerlake demo` with its dashboard port taken says so at once (exit 2), before it
spends minutes landing and building, and starts nothing."""

from __future__ import annotations

import socket

from ledgerlake.cli import main


def test_demo_refuses_a_taken_port_before_starting_anything(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEDGERLAKE_HOME", str(tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        rc = main(["demo", "--port", str(port)])

    assert rc == 2
    assert f"port {port} is in use" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists()  # no S3 server started, nothing simulated
    assert not (tmp_path / "simulation").exists()


def test_no_prophet_plotly_error_line(capfd):
    """Importing Prophet without plotly logged `ERROR prophet.plot` on every run."""
    import logging

    import ledgerlake  # noqa: F401  (installs the filter)

    logging.basicConfig()
    logging.getLogger("prophet.plot").error("Importing plotly failed. Interactive plots will not work.")
    assert "plotly" not in capfd.readouterr().err
