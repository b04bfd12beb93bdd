"""Poller cursors: one small JSON object per (source, stream) in the raw bucket.

    s3://{raw_bucket}/state/cursors/{source}/{stream}.json

Beside raw, not inside `raw/`, so lake globs never read them. S3 rather than SSM: the
poller already holds write access to the bucket, objects carry any JSON shape (Stripe's
in-progress walk, Plaid's opaque cursor), and S3 is strongly consistent for
read-after-write. A cursor is written only after the page it covers has landed, so a
crash between the two repeats a page (a duplicate raw object, resolved in staging)
and never skips one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

CURSOR_PREFIX = "state/cursors/"


def cursor_key(source: str, stream: str) -> str:
    return f"{CURSOR_PREFIX}{source}/{stream}.json"


class CursorStore:
    def __init__(self, lake):
        self.s3 = lake.s3
        self.bucket = lake.bucket

    def get(self, source: str, stream: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=cursor_key(source, stream))["Body"].read()
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return json.loads(body)["cursor"]

    def put(self, source: str, stream: str, cursor: dict[str, Any]) -> None:
        doc = {
            "source": source,
            "stream": stream,
            "saved_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "cursor": cursor,
        }
        self.s3.put_object(
            Bucket=self.bucket,
            Key=cursor_key(source, stream),
            Body=json.dumps(doc, indent=1).encode(),
            ContentType="application/json",
        )

    def delete(self, source: str, stream: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=cursor_key(source, stream))

    def all(self) -> dict[str, dict[str, Any]]:
        """Every saved cursor, keyed `source/stream` (for `ledgerlake poll --show-cursors`)."""
        out: dict[str, dict[str, Any]] = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=CURSOR_PREFIX):
            for item in page.get("Contents", []):
                key = item["Key"]
                source, stream = key[len(CURSOR_PREFIX) :].removesuffix(".json").split("/", 1)
                out[f"{source}/{stream}"] = self.get(source, stream) or {}
        return out
