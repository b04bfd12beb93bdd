"""Raw is append-only where S3 enforces it: template.yaml's bucket policy, evaluated.

moto ignores bucket policies, so `iam_eval` evaluates the template's statements by AWS's
documented rules for the requests that matter: the pipeline's own writes (which must keep
working) and every way to replace or remove a raw object (which must be refused, for this
stack's roles and for an account admin alike). The same checks, run on weakened copies of
the policy, must find the hole: the guard cannot pass vacuously.
"""

from __future__ import annotations

import copy

import pytest
from deploy_support import template
from iam_eval import ask, role_policy

RAW_KEY = "raw/source=stripe/entity=charge/date=2025-05-02/arrival=webhook/webhook-evt_1.json"
RAW_WRITERS = ["ReceiverRole", "HydratorRole", "PollerRole"]
ADMIN = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
TLS = {"aws:SecureTransport": "true"}
CREATE = {**TLS, "s3:ObjectCreationOperation": "true"}


def _identity(tpl: dict, who: str) -> list[dict]:
    return ADMIN if who == "admin" else role_policy(tpl, who)


def _ask(tpl, who, action, key, context, bucket="RawBucket") -> str:
    return ask(tpl, who, action, bucket, key, context, identity=_identity(tpl, who))


def raw_violations(tpl: dict) -> list[str]:
    """Every way the policy lets a raw object be replaced or removed (empty: none)."""
    found = []
    refusals = {
        "unconditional PUT": ("s3:PutObject", CREATE),
        "PUT If-Match (replace by ETag)": (
            "s3:PutObject",
            {**CREATE, "s3:if-match": '"0f343b0931126a20f133d67c2b018a3b"'},
        ),
        "PUT If-Match and If-None-Match": (
            "s3:PutObject",
            {**CREATE, "s3:if-none-match": "*", "s3:if-match": '"0f34"'},
        ),
        "CopyObject onto a key": ("s3:PutObject", CREATE),
        "CompleteMultipartUpload without If-None-Match": ("s3:PutObject", CREATE),
        "PUT without s3:ObjectCreationOperation in the context": ("s3:PutObject", TLS),
        "DeleteObject": ("s3:DeleteObject", TLS),
        "DeleteObjectVersion": ("s3:DeleteObjectVersion", TLS),
    }
    for who in RAW_WRITERS + ["admin"]:
        for what, (action, context) in refusals.items():
            for key in (RAW_KEY, "raw/source=plaid/entity=item/x.json"):
                if _ask(tpl, who, action, key, context) == "Allow":
                    found.append(f"{who}: {what} on {key}")
    return found


def test_raw_objects_cannot_be_replaced_or_deleted_by_anyone():
    assert raw_violations(template()) == []


@pytest.mark.parametrize("who", RAW_WRITERS + ["admin"])
def test_the_pipeline_still_lands_new_raw_objects(who):
    """What Lake.land() sends (`If-None-Match: *` over TLS) is allowed, so the policy
    refuses overwrites without refusing the writes the lake is made of."""
    assert _ask(template(), who, "s3:PutObject", RAW_KEY, {**CREATE, "s3:if-none-match": "*"}) == "Allow"
    # Multipart parts carry no conditional header; only the completing request must.
    assert _ask(template(), who, "s3:PutObject", RAW_KEY, {**TLS, "s3:ObjectCreationOperation": "false"}) == "Allow"


def test_writes_outside_raw_are_untouched():
    tpl = template()
    assert _ask(tpl, "PollerRole", "s3:PutObject", "state/cursors/stripe/charges.json", CREATE) == "Allow"
    assert (
        _ask(tpl, "ReceiverRole", "s3:PutObject", "quarantine/source=stripe/date=2025-05-02/ab.bin", CREATE) == "Allow"
    )
    assert (
        _ask(tpl, "TransformRole", "s3:DeleteObject", "compacted/source=stripe/entity=charge/part-1-0.parquet", TLS)
        == "Allow"
    )


def test_plain_http_is_refused_even_for_a_conditional_create():
    context = {"aws:SecureTransport": "false", "s3:ObjectCreationOperation": "true", "s3:if-none-match": "*"}
    assert _ask(template(), "ReceiverRole", "s3:PutObject", RAW_KEY, context) == "Deny"


def _without(sid: str):
    def mutate(tpl):
        policy = tpl["Resources"]["RawBucketPolicy"]["Properties"]["PolicyDocument"]
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid]

    return mutate


def _statement(tpl, sid):
    return next(
        s
        for s in tpl["Resources"]["RawBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Sid") == sid
    )


def _narrowed(tpl):
    _statement(tpl, "RawCreateOnlyIfAbsent")["Resource"] = {"Fn::Sub": "${RawBucket.Arn}/raw/source=stripe/*"}


def _creation_key_required(tpl):
    condition = _statement(tpl, "RawCreateOnlyIfAbsent")["Condition"]
    condition["Bool"] = condition.pop("BoolIfExists")


def _no_policy(tpl):
    del tpl["Resources"]["RawBucketPolicy"]


@pytest.mark.parametrize(
    "weaken",
    [
        _no_policy,
        _without("RawCreateOnlyIfAbsent"),
        _without("RawNoReplaceByEtag"),
        _without("RawNoDelete"),
        _narrowed,
        _creation_key_required,
    ],
    ids=lambda f: getattr(f, "__name__", "without"),
)
def test_a_weakened_policy_is_caught(weaken):
    tpl = copy.deepcopy(template())
    weaken(tpl)
    assert raw_violations(tpl), f"{weaken} left raw/ append-only: the check would not notice"


def test_no_lifecycle_rule_expires_raw_versions():
    """Noncurrent-version expiry on raw/ would destroy an original after an overwrite;
    no rule may expire anything under raw/ (a rule without a prefix covers everything)."""
    rules = template()["Resources"]["RawBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    for rule in rules:
        prefix = rule.get("Prefix") or (rule.get("Filter") or {}).get("Prefix") or ""
        covers_raw = "raw/".startswith(prefix) or prefix.startswith("raw/")
        expires = {
            "ExpirationInDays",
            "ExpirationDate",
            "NoncurrentVersionExpiration",
            "NoncurrentVersionExpirationInDays",
        } & set(rule)
        assert not (covers_raw and expires), f"lifecycle rule {rule['Id']} expires objects or versions under raw/"


def test_the_analyst_policy_reads_marts_and_writes_nothing_but_query_results():
    tpl = template()

    def analyst(action, bucket, key):
        return ask(tpl, "AnalystPolicy", action, bucket, key, TLS)

    assert analyst("s3:GetObject", "MartsBucket", "marts/finance/fct_invoices/part-0.parquet") == "Allow"
    assert analyst("s3:PutObject", "MartsBucket", "athena-results/q1.csv") == "Allow"
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert analyst(action, "MartsBucket", "marts/finance/fct_invoices/part-0.parquet") != "Allow"
        assert analyst(action, "MartsBucket", "alerts/state.json") != "Allow"
        assert analyst(action, "RawBucket", RAW_KEY) != "Allow"
    assert analyst("s3:GetObject", "RawBucket", RAW_KEY) != "Allow"
