"""template.yaml's smaller hardening promises (issue #15 item 11): the transform cannot
touch people's alert acknowledgements, reserved concurrency where races or floods would
hurt, no asynchronous failure dropped on the floor, S3 access logs for both buckets."""

from __future__ import annotations

from deploy_support import (
    as_list,
    function_role,
    functions,
    resources,
    role_statements,
    template,
)
from iam_eval import (
    ACCOUNT,
    Request,
    ask,
    bucket_policy,
    decide,
    object_arn,
    principal_arn,
)

TLS = {"aws:SecureTransport": "true", "s3:ObjectCreationOperation": "true"}


def _transform(action: str, key: str) -> str:
    return ask(template(), "TransformRole", action, "MartsBucket", key, TLS)


def test_the_transform_publishes_marts_but_cannot_touch_alert_acknowledgements():
    assert _transform("s3:PutObject", "marts/fct_revenue_monthly/fct_revenue_monthly.parquet") == "Allow"
    assert _transform("s3:DeleteObject", "marts/fct_revenue_monthly/fct_revenue_monthly.parquet") == "Allow"
    for action in ("s3:DeleteObject", "s3:PutObject", "s3:DeleteObjectVersion"):
        assert _transform(action, "state/alerts/alert_state.json") != "Allow", action


def test_reserved_concurrency_on_receiver_transform_and_forecaster():
    fns = functions()
    reserved = {name: fn["Properties"].get("ReservedConcurrentExecutions") for name, fn in fns.items()}
    for name, expected in (("ReceiverFunction", 50), ("TransformFunction", 1), ("ForecasterFunction", 1)):
        value = reserved[name]
        assert value == {"Fn::If": ["ReservesConcurrency", expected, {"Ref": "AWS::NoValue"}]}, name
    assert template()["Parameters"]["ReserveConcurrency"]["Default"] == "yes"


def _invoked_asynchronously(name: str, fn: dict) -> bool:
    events = fn["Properties"].get("Events") or {}
    if any(
        e["Type"] in ("Schedule", "ScheduleV2", "S3", "SNS", "EventBridgeRule", "CloudWatchEvent")
        for e in events.values()
    ):
        return True
    # the target of another function's destination is invoked asynchronously too
    for other in functions().values():
        config = (other["Properties"].get("EventInvokeConfig") or {}).get("DestinationConfig") or {}
        if any(d.get("Destination") == {"Fn::GetAtt": [name, "Arn"]} for d in config.values()):
            return True
    return False


def test_every_asynchronous_function_keeps_its_failures():
    asynchronous = {n: f for n, f in functions().items() if _invoked_asynchronously(n, f)}
    assert set(asynchronous) == {
        "PollerFunction",
        "TransformFunction",
        "ForecasterFunction",
        "KpiEmailFunction",
        "RefresherFunction",
        "WritebackFunction",
        "CategoriserFunction",
    }
    queue = {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}
    for name, fn in asynchronous.items():
        on_failure = fn["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert on_failure == {"Type": "SQS", "Destination": queue}, name
        sends = [s for s in role_statements(function_role(fn)) if "sqs:SendMessage" in as_list(s["Action"])]
        assert [s["Resource"] for s in sends] == [queue], f"{name}: its role cannot deliver the failure record"
    queue_props = template()["Resources"]["AsyncFailureQueue"]["Properties"]
    assert queue_props["SqsManagedSseEnabled"] is True
    watching = [
        a
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Dimensions")
        == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["AsyncFailureQueue", "QueueName"]}}]
    ]
    assert len(watching) == 1 and watching[0]["Properties"]["Threshold"] == 1


def test_both_data_buckets_keep_s3_access_logs_that_only_s3_can_write():
    tpl = template()
    for bucket in ("RawBucket", "MartsBucket"):
        logging = tpl["Resources"][bucket]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
        assert logging["LogFilePrefix"]
    policy = bucket_policy(tpl, "AccessLogsBucket")
    key = "raw-bucket/2026-12-06-10-00-00-ABCDEF"

    def put(principal: str, source_arn: str, account: str = ACCOUNT) -> str:
        context = {"aws:SecureTransport": "true", "aws:SourceArn": source_arn, "aws:SourceAccount": account}
        return decide(Request("s3:PutObject", object_arn("AccessLogsBucket", key), principal, context), [], policy)

    raw_arn = object_arn("RawBucket", "")[:-1]
    assert put("logging.s3.amazonaws.com", raw_arn) == "Allow"
    assert put("logging.s3.amazonaws.com", "arn:aws:s3:::someone-elses-bucket") != "Allow"
    assert put("logging.s3.amazonaws.com", raw_arn, account="999999999999") != "Allow"
    assert put(principal_arn("ReceiverRole"), raw_arn) != "Allow"


def test_the_categoriser_reads_the_bank_marts_and_corrections_and_lands_only_suggestions():
    """After each write-back run; it reads two marts and the corrections, creates suggestion
    objects once, and can touch nothing else (no other mart, no correction, no write-back)."""
    tpl = template()
    on_success = functions()["WritebackFunction"]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnSuccess"]
    assert on_success == {"Type": "Lambda", "Destination": {"Fn::GetAtt": ["CategoriserFunction", "Arn"]}}
    suggestions = "raw/source=ledgerlake/entity=coding_suggestions/date=2026-12-06/poll-abc.json"
    corrections = "raw/source=ledgerlake/entity=coding_corrections/date=2026-12-06/webhook-abc.json"

    def may(action, bucket, key, context=TLS):
        return ask(tpl, "CategoriserRole", action, bucket, key, context) == "Allow"

    assert may("s3:GetObject", "MartsBucket", "marts/bank_coded_history/part-0.parquet")
    assert may("s3:GetObject", "MartsBucket", "marts/bank_unmatched/part-0.parquet")
    assert not may("s3:GetObject", "MartsBucket", "marts/general_ledger/part-0.parquet")
    assert may("s3:GetObject", "RawBucket", corrections)
    assert may("s3:PutObject", "RawBucket", suggestions, dict(TLS, **{"s3:if-none-match": "*"}))
    assert not may("s3:PutObject", "RawBucket", corrections, dict(TLS, **{"s3:if-none-match": "*"}))
    assert not may("s3:PutObject", "RawBucket", "writeback/actions/x.json")
    assert not may("s3:DeleteObject", "RawBucket", suggestions)
    assert not may("s3:PutObject", "MartsBucket", "marts/bank_unmatched/part-0.parquet")
