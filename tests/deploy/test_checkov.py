"""checkov on template.yaml: no finding beyond the ones judged noise in docs/security.md
("checkov findings judged noise"), resource by resource, so a new bucket without access
logs or a new function without a failure destination fails here instead of joining a
blanket skip list.

checkov lives in its own venv (.venv-checkov, `make checkov`; `make test` builds it) from
its own hashed lock, requirements-checkov.lock: its boto3/pydantic pins are not the app's.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from deploy_support import REPO, TEMPLATE

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
FUNCTIONS = {
    "ReceiverFunction",
    "HydratorFunction",
    "PollerFunction",
    "TransformFunction",
    "ForecasterFunction",
    "KpiEmailFunction",
    "RefresherFunction",
    "WritebackFunction",
    "CategoriserFunction",
}
LOG_GROUPS = {
    "WebhookApiAccessLogs",
    "ReceiverLogs",
    "HydratorLogs",
    "PollerLogs",
    "TransformLogs",
    "ForecasterLogs",
    "KpiEmailLogs",
    "RefresherLogs",
    "WritebackLogs",
    "CategoriserLogs",
    "DashboardLogs",
    "DashboardFlowLogs",
}
# check id -> the resources where docs/security.md explains why the finding is noise.
ACCEPTED = {
    "CKV_AWS_115": {"HydratorFunction", "PollerFunction", "KpiEmailFunction", "RefresherFunction"},  # bounded otherwise
    "CKV_AWS_116": FUNCTIONS,  # on-failure destinations / SQS redrive instead of a Lambda DLQ
    "CKV_AWS_117": FUNCTIONS,  # no VPC: nothing private to reach
    "CKV_AWS_173": FUNCTIONS,  # no secret in environment variables
    "CKV_AWS_158": LOG_GROUPS,  # CloudWatch Logs' default encryption; no secrets or bodies logged
    "CKV_AWS_18": {"AccessLogsBucket"},  # the access-log bucket itself
    "CKV_AWS_195": {"MartsCrawler", "ForecastCrawler"},  # crawlers write catalog entries, not data
    "CKV_AWS_26": {"AlarmTopic"},  # a KMS-encrypted topic stops CloudWatch alarm delivery
    "CKV_AWS_27": {"HydrateQueue", "HydrateDeadLetterQueue", "AsyncFailureQueue"},  # SSE-SQS is on
    "CKV_AWS_260": {"DashboardAlbSecurityGroup"},  # port 80 only redirects to HTTPS
    "CKV_AWS_91": {"DashboardLoadBalancer"},  # sign-ins logged with identity by the app
}


@pytest.fixture(scope="module")
def findings() -> dict[str, set[str]]:
    if not CHECKOV.exists():
        pytest.skip("the checkov venv is missing: run `make checkov` (make test does)")
    proc = subprocess.run(
        [
            str(CHECKOV),
            "-f",
            str(TEMPLATE),
            "--framework",
            "cloudformation",
            "--quiet",
            "--compact",
            "-o",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1: there are failed checks
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["parsing_errors"] == 0 and report["summary"]["resource_count"] > 40
    failed: dict[str, set[str]] = {}
    for check in report["results"]["failed_checks"]:
        failed.setdefault(check["check_id"], set()).add(check["resource"].rsplit(".", 1)[-1])
    return failed


def test_checkov_finds_nothing_but_the_documented_noise(findings):
    unexpected = {
        cid: sorted(res - ACCEPTED.get(cid, set())) for cid, res in findings.items() if res - ACCEPTED.get(cid, set())
    }
    assert not unexpected, f"checkov findings not judged in docs/security.md: {unexpected}"


def test_every_accepted_finding_is_explained_in_the_security_doc():
    doc = (REPO / "docs" / "security.md").read_text()
    section = doc[doc.index("## checkov findings judged noise") :]
    for check_id in ACCEPTED:
        assert re.search(rf"\b{check_id}\b", section), f"docs/security.md does not explain {check_id}"
