"""dbt-duckdb plugin: every dbt connection reads the lake through ledgerlake's one way in.

The profile names this module under `plugins:`; dbt-duckdb calls `configure_connection`
on each new connection. `lake.configure_duckdb` installs httpfs from the pip package
(DuckDB cannot download extensions here or in Lambda) and creates the S3 secret from
the same settings boto3 uses (DuckDB ignores AWS_ENDPOINT_URL).
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

from ledgerlake.lake import configure_duckdb


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        configure_duckdb(conn)
