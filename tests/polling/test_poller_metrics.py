"""The poller Lambda reports what it created: ObjectsCreated (EMF, per source) counts new
raw objects only, so a re-poll that finds everything already landed reports 0 and cannot
keep the source's stale-data alarm quiet."""

from __future__ import annotations

import json


class Context:
    def get_remaining_time_in_millis(self):
        return 60_000


def _emitted(text: str, source: str) -> list[dict]:
    """The EMF documents for `source` in captured stdout."""
    out = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            doc = json.loads(line)
            if doc.get("source") == source and doc.get("service") == "poller":
                directive = doc["_aws"]["CloudWatchMetrics"][0]
                assert directive["Namespace"] == "ledgerlake" and ["source", "service"] in directive["Dimensions"]
                out.append(doc)
    return out


def test_objects_created_counts_new_objects_only(company, providers, lake, monkeypatch, capsys):
    from ledgerlake.handlers import poller

    monkeypatch.setenv("XERO_API_BASE_URL", providers.base_urls["xero"])
    for name in ("XERO_ACCESS_TOKEN", "XERO_TENANT_ID"):
        monkeypatch.setenv(name, providers.credentials[name])
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    first = poller.handler({"source": "xero"}, Context())
    (emf,) = _emitted(capsys.readouterr().out, "xero")
    created = len(list(lake.keys("raw/source=xero/")))
    assert first["pages_landed"] == created > 0
    assert emf["ObjectsCreated"] == [float(created)]

    # Forget the cursors: the same requests get the same answers, every page is already there.
    for key in list(lake.keys("state/cursors/xero/")):
        lake.s3.delete_object(Bucket=lake.bucket, Key=key)
    again = poller.handler({"source": "xero"}, Context())
    (emf,) = _emitted(capsys.readouterr().out, "xero")
    assert again["records"] > 0 and again["pages_landed"] == 0
    assert emf["ObjectsCreated"] == [0.0]
    assert len(list(lake.keys("raw/source=xero/"))) == created
