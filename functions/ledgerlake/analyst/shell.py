"""A small DuckDB shell on the Python API (the duckdb wheel ships no CLI binary).

Statements may span lines and run when a line ends with `;`. Dot commands (only at the
start of a statement): `.tables`, `.schema NAME`, `.mode table|csv|json`, `.help`,
`.quit` / `.exit`. On a terminal, readline gives line editing and a history file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from . import list_tables
from .output import FORMATS, render
from .readonly import refuse_lake_writes

HELP = """\
Statements end with ';' and may span lines. Tables: marts (current schema), forecast, ...
  .tables            list tables and views
  .schema NAME       columns and types of a table (NAME or schema.NAME)
  .mode FORMAT       output format: table (default), csv, json
  .help              this text
  .quit / .exit      leave (or Ctrl-D)
The lake is readable too, e.g.
  select count(*) from read_json('s3://ledgerlake-raw/raw/source=stripe/entity=events/*/*.json',
      columns={'envelope':'JSON','payload':'JSON'}, hive_partitioning=true);
"""

TABLE_ROW_LIMIT = 1000  # the shell shows at most this many rows; -c output is never cut


def run_sql(conn, text: str):
    """Run one or more statements; (columns, rows) of the last one if it returns rows, else None."""
    refuse_lake_writes(conn, text)  # the analyst shell never writes to the lake
    rel = conn.sql(text)
    if rel is None:
        return None
    return list(rel.columns), rel.fetchall()


def statement_complete(buffer: str) -> bool:
    """A statement is complete when its last non-comment text ends with ';'."""
    lines = [re.sub(r"--.*$", "", line).rstrip() for line in buffer.splitlines()]
    text = "\n".join(line for line in lines if line).rstrip()
    return text.endswith(";")


class Shell:
    def __init__(self, conn, out: TextIO | None = None, err: TextIO | None = None, fmt: str = "table"):
        self.conn = conn
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.fmt = fmt
        self.errors = 0

    # -- dot commands --------------------------------------------------------------------
    def dot(self, line: str) -> bool:
        """Handle a dot command; False means quit."""
        parts = line.split()
        cmd, args = parts[0].lower(), parts[1:]
        if cmd in (".quit", ".exit", ".q"):
            return False
        if cmd == ".help":
            self.out.write(HELP)
        elif cmd == ".tables":
            from .examples import START_HERE

            rows = list_tables(self.conn)
            self.out.write(render(self.fmt, ["schema", "name", "kind"], rows))
            # on stderr, so `.mode csv` output stays a clean CSV
            self.err.write(
                f"{len(rows)} relations. Start here: {', '.join(START_HERE)} (docs/analysts.md, `ledgerlake docs`).\n"
            )
        elif cmd == ".schema":
            if not args:
                self.err.write("usage: .schema NAME\n")
            else:
                self.query(f"DESCRIBE {args[0].rstrip(';')}")
        elif cmd == ".mode":
            if not args or args[0] not in FORMATS:
                self.err.write(f"usage: .mode {'|'.join(FORMATS)}\n")
            else:
                self.fmt = args[0]
        else:
            self.err.write(f"unknown command {cmd} (try .help)\n")
        return True

    # -- SQL -----------------------------------------------------------------------------
    def query(self, text: str) -> None:
        try:
            result = run_sql(self.conn, text)
        except Exception as err:  # noqa: BLE001 - any DuckDB error is shown, the shell goes on
            self.errors += 1
            self.err.write(f"Error: {err}\n")
            return
        if result is not None:
            columns, rows = result
            self.out.write(render(self.fmt, columns, rows, max_rows=TABLE_ROW_LIMIT))
        self.out.flush()

    # -- the loop ------------------------------------------------------------------------
    def run(self, read_line: Callable[[str], str] | None = None, interactive: bool = False) -> int:
        """Read lines until EOF or .quit; returns the number of failed statements."""
        read_line = read_line or input
        buffer = ""
        while True:
            prompt = ("ledgerlake> " if not buffer else "       ...> ") if interactive else ""
            try:
                line = read_line(prompt)
            except EOFError:
                if interactive:
                    self.out.write("\n")
                break
            except KeyboardInterrupt:  # Ctrl-C drops the statement being typed, as sqlite3 does
                self.out.write("\n")
                buffer = ""
                continue
            if not buffer and line.strip().startswith("."):
                if not self.dot(line.strip()):
                    break
                continue
            if not buffer and not line.strip():
                continue
            buffer += line + "\n"
            if statement_complete(buffer):
                self.query(buffer)
                buffer = ""
        if buffer.strip():  # a last statement without ';' still runs at EOF
            self.query(buffer)
        return self.errors


def interactive(conn, history: Path | None = None, banner: str = "") -> int:
    """The terminal shell, with readline editing and history when available."""
    try:
        import readline
    except ImportError:  # e.g. Windows: the shell still works, without editing keys
        readline = None
    if readline is not None and history is not None:
        try:
            readline.read_history_file(history)
        except (FileNotFoundError, OSError):
            pass
        readline.set_history_length(2000)
    if banner:
        print(banner)
    try:
        return Shell(conn).run(interactive=True)
    finally:
        if readline is not None and history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
            except OSError:
                pass
