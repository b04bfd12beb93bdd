"""template.yaml, read as data: handlers, IAM scope, buckets, secrets, schedules, alarms.

These are the promises docs/deploy.md makes about the stack; each test names the one it
guards. The linters (cfn-lint, `sam validate --lint`) and `sam build` live in
test_deploy_tools.py.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys

import pytest
from deploy_support import (
    LAMBDA_RUNTIME_PROVIDES,
    REPO,
    ZIP_REQUIREMENTS,
    as_list,
    distribution_closure,
    dockerfile_of,
    env_vars,
    function_role,
    functions,
    handler_of,
    is_image,
    lock_versions,
    requirement_names,
    requirements_of,
    resources,
    role_statements,
    secret_names_used,
    static_imports,
    sub_string,
    template,
)

FUNCTIONS = sorted(functions())

# Imports a handler in a fresh interpreter (the repo's venv) and reports which top-level
# third-party modules that import pulled in.
_PROBE = r"""
import importlib, json, sys
before = set(sys.modules)
module_name, attr = sys.argv[1].rsplit(".", 1)
module = importlib.import_module(module_name)
fn = getattr(module, attr, None)
loaded = {m.split(".")[0] for m in set(sys.modules) - before}
third_party = sorted(
    m for m in loaded if m not in sys.stdlib_module_names and m != "ledgerlake" and not m.startswith("_")
)
import importlib.metadata as md
owners = md.packages_distributions()
print(json.dumps({"callable": callable(fn), "modules": {m: owners.get(m, []) for m in third_party}}))
"""


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_handler_imports_and_is_callable(name):
    """Each function's handler (Handler, or the image's CMD) imports from the repo and is
    callable, and everything third-party it imports at load time is shipped with it:
    functions/requirements.txt (+ boto3 from the Lambda runtime) for zip functions, the
    image's requirements.txt for container functions."""
    function = functions()[name]
    handler = handler_of(function)
    assert handler.startswith("ledgerlake.handlers."), handler
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, handler], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 0, f"{name}: importing {handler} failed:\n{proc.stderr[-3000:]}"
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    assert probe["callable"], f"{name}: {handler} is not a callable"

    modules = dict(probe["modules"])
    shipped = set(requirement_names(requirements_of(function)))
    if is_image(function):
        # Image handlers import lazily (dbt, polars ... on the first call): also count
        # what their code can reach, not only what loading the module pulled in.
        owners = importlib.metadata.packages_distributions()
        for module in static_imports(handler.rsplit(".", 1)[0]):
            modules.setdefault(module, owners.get(module, []))
    else:
        shipped |= set(LAMBDA_RUNTIME_PROVIDES)
    available = distribution_closure(shipped)
    missing = {
        module: owners
        for module, owners in modules.items()
        if not owners or not any(o.lower().replace("_", "-") in available for o in owners)
    }
    assert not missing, (
        f"{name}: {handler} imports modules its artifact would not contain "
        f"(add the distribution to {requirements_of(function).relative_to(REPO)}): {missing}"
    )


def test_zip_requirements_are_pinned_to_the_lock():
    """The zip artifact gets exactly the versions the tests run with."""
    lock = lock_versions()
    pins = requirement_names(ZIP_REQUIREMENTS)
    assert pins, "functions/requirements.txt is empty"
    for name, version in pins.items():
        assert version is not None, f"{name} is not pinned in functions/requirements.txt"
        assert lock.get(name) == version, f"{name}=={version} but requirements.lock has {lock.get(name)}"


def test_image_requirements_are_constrained_by_the_lock():
    """Every docker/*/requirements.txt name is pinned by requirements.lock, which each
    Dockerfile installs as constraints (one home for versions)."""
    lock = lock_versions()
    dockerfiles = sorted((REPO / "docker").glob("*/Dockerfile"))
    assert dockerfiles
    lambda_images = {dockerfile_of(f) for f in functions().values() if is_image(f)}
    for dockerfile in dockerfiles:
        text = dockerfile.read_text()
        assert "-c /tmp/constraints.txt" in text and "COPY requirements.lock /tmp/constraints.txt" in text, dockerfile
        # Functions run on Lambda's base image; the dashboard (a container service) on the
        # plain Python image of the same version.
        base = (
            "public.ecr.aws/lambda/python:3.12"
            if dockerfile in lambda_images
            else "public.ecr.aws/docker/library/python:3.12-slim"
        )
        assert f"FROM {base}" in text, f"{dockerfile}: base image must be {base}"
        names = requirement_names(dockerfile.parent / "requirements.txt")
        assert names
        unpinned = sorted(n for n in names if n not in lock)
        assert not unpinned, f"{dockerfile.parent.name}: not in requirements.lock: {unpinned}"
        # Everything the Dockerfile copies exists in the repo.
        for src in re.findall(r"^COPY\s+(\S+)\s+\S+", text, flags=re.M):
            assert (REPO / src).exists(), f"{dockerfile}: COPY source {src} does not exist"


# --- IAM -------------------------------------------------------------------------------

# Actions that support no resource-level permissions: "*" is the narrowest resource.
RESOURCE_STAR_ONLY = {
    "cloudwatch:putmetricdata",
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "ecr:getauthorizationtoken",
}


def _allow_statements():
    for name in resources("AWS::IAM::Role"):
        for statement in role_statements(name):
            if statement["Effect"] == "Allow":
                yield name, statement
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for name, res in resources(kind).items():
            for statement in as_list(res["Properties"]["PolicyDocument"]["Statement"]):
                if statement["Effect"] == "Allow":
                    yield name, statement


def test_functions_use_their_own_scoped_roles():
    """No SAM policy templates or managed policies: their grants are wider (S3CrudPolicy
    deletes raw, AWSLambdaBasicExecutionRole writes logs anywhere)."""
    assert FUNCTIONS
    roles = set()
    for name, function in functions().items():
        props = function["Properties"]
        assert "Policies" not in props, f"{name}: use its role, not SAM Policies"
        role = function_role(function)
        assert role not in roles, f"{name} shares role {role} with another function"
        roles.add(role)
        logs = {json.dumps(s["Resource"]) for s in role_statements(role) if "logs:PutLogEvents" in as_list(s["Action"])}
        own_group = props["LoggingConfig"]["LogGroup"]["Ref"]
        assert logs == {json.dumps({"Fn::GetAtt": [own_group, "Arn"]})}, f"{name} may write logs beyond {own_group}"
    for name, role in resources("AWS::IAM::Role").items():
        assert not role["Properties"].get("ManagedPolicyArns"), f"{name} attaches managed policies"


def test_no_iam_statement_uses_a_wildcard_where_a_narrower_grant_exists():
    statements = list(_allow_statements())
    assert statements
    for owner, statement in statements:
        actions = [a.lower() for a in as_list(statement["Action"])]
        for action in actions:
            assert "*" not in action, f"{owner}/{statement.get('Sid')}: wildcard action {action}"
        for resource in as_list(statement["Resource"]):
            if resource == "*":
                assert set(actions) <= RESOURCE_STAR_ONLY, f"{owner}/{statement.get('Sid')}: Resource * for {actions}"
                continue
            text = sub_string(resource)
            if text is None:  # !GetAtt / !Ref of a resource in this stack: exactly that resource
                continue
            if "*" in text:
                _assert_allowed_wildcard(owner, statement, text, actions)


# The only wildcards a grant may hold: names that do not exist until run time, inside a
# container this stack owns.
def _assert_allowed_wildcard(owner, statement, text, actions):
    where = f"{owner}/{statement.get('Sid')}: wildcard resource {text}"
    assert text.count("*") == 1 and text.endswith("*"), where
    if text.startswith("${") and ".Arn}/" in text and text.endswith("/*"):
        # Object keys under a prefix of one of this stack's buckets.
        assert all(a.startswith("s3:") and a.endswith("object") for a in actions), where
    elif text.endswith(":table/${MartsDatabase}/*"):
        # Tables the crawler creates, in this stack's database only.
        assert all(a.startswith("glue:") for a in actions), where
    elif owner == "SparkJobRole" and re.search(r":table/(lake|seeds|staging|intermediate|marts)/\*$", text):
        # Tables dbt-spark creates (TransformEngine=emr-serverless), in the project's schemas only.
        assert all(a.startswith("glue:") for a in actions), where
    elif text.endswith(":log-group:/aws-glue/crawlers:*"):
        # Glue crawlers log to this fixed group; the streams are per crawl.
        assert all(a.startswith("logs:") for a in actions), where
    else:
        pytest.fail(where)


def test_raw_is_append_only_for_everyone_but_the_transform_cache():
    """Nothing may delete or overwrite-by-delete under raw/; the transform deletes only
    in its own compacted/ cache and under marts/ (never the alert state). The bucket
    policy's enforcement is test_raw_append_only.py."""
    for owner, statement in _allow_statements():
        if "s3:deleteobject" not in [a.lower() for a in as_list(statement["Action"])]:
            continue
        for resource in as_list(statement["Resource"]):
            text = sub_string(resource) or ""
            # (spark-warehouse/: the Spark engine's tables, TransformEngine=emr-serverless)
            assert text in (
                "${RawBucket.Arn}/compacted/*",
                "${MartsBucket.Arn}/marts/*",
                "${MartsBucket.Arn}/spark-warehouse/*",
            ), f"{owner}: delete on {resource}"


# --- Buckets ---------------------------------------------------------------------------


def test_every_bucket_is_encrypted_private_versioned_and_tls_only():
    buckets = resources("AWS::S3::Bucket")
    assert {"RawBucket", "MartsBucket"} <= set(buckets)
    policies = resources("AWS::S3::BucketPolicy")
    for name, bucket in buckets.items():
        props = bucket["Properties"]
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and all(
            r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms", "aws:kms:dsse") for r in rules
        ), name
        pab = props["PublicAccessBlockConfiguration"]
        for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            assert pab.get(key) is True, f"{name}: {key} is not true"
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        assert props["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced", name
        lifecycle = props["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in r for r in lifecycle), f"{name}: noncurrent versions never expire"
        assert bucket.get("DeletionPolicy") == "Retain", f"{name}: a stack delete must not take the data"

        mine = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": name}]
        assert len(mine) == 1, f"{name}: expected one bucket policy"
        denies = [
            s
            for s in as_list(mine[0]["Properties"]["PolicyDocument"]["Statement"])
            if s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        ]
        assert denies, f"{name}: no TLS-only (aws:SecureTransport false -> Deny) statement"
        deny = denies[0]
        assert deny["Principal"] == "*" and "s3:*" in as_list(deny["Action"])
        covered = {json.dumps(r) for r in as_list(deny["Resource"])}
        assert json.dumps({"Fn::GetAtt": [name, "Arn"]}) in covered, f"{name}: TLS deny misses the bucket"
        assert json.dumps({"Fn::Sub": f"${{{name}.Arn}}/*"}) in covered, f"{name}: TLS deny misses the objects"


# --- Secrets ---------------------------------------------------------------------------

# Which source modules each function runs (docs/architecture.md, code layout).
SOURCE_MODULES = {
    "ReceiverFunction": "webhook.py",
    "HydratorFunction": "hydrate.py",
    "PollerFunction": "poll.py",
}


@pytest.mark.parametrize("name", sorted(SOURCE_MODULES))
def test_each_function_can_read_exactly_the_secrets_its_code_reads(name):
    """Every `secret("X")` in the source modules a function runs is wired as `X_PARAM`
    (an SSM name under /<SecretsPrefix>/<Environment>/) with ssm:GetParameter on exactly
    that parameter, and the function may read no other parameter."""
    if name not in functions():
        pytest.skip(f"{name} is not in template.yaml yet (its handler has not landed)")
    function = functions()[name]
    needed = secret_names_used(SOURCE_MODULES[name])
    assert needed, f"no secret() calls found in sources/*/{SOURCE_MODULES[name]}"
    env = env_vars(function)
    granted = set()
    for statement in role_statements(function_role(function)):
        if "ssm:GetParameter" in as_list(statement["Action"]):
            granted |= {sub_string(r) for r in as_list(statement["Resource"])}
    prefix = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${SecretsPrefix}/${Environment}/"
    for secret in sorted(needed):
        assert sub_string(env.get(f"{secret}_PARAM")) == f"/${{SecretsPrefix}}/${{Environment}}/{secret}", (
            f"{name}: {secret}_PARAM missing or not under the secrets path"
        )
        assert prefix + secret in granted, f"{name}: may not read the SSM parameter for {secret}"
    assert granted == {prefix + s for s in needed}, f"{name}: reads parameters its code does not use"
    for var in env:
        if var.endswith(("SECRET", "TOKEN", "KEY", "PASSWORD")):
            pytest.fail(f"{name}: {var} set in plain text; use {var}_PARAM")


# --- Event wiring ----------------------------------------------------------------------


def test_webhooks_route_to_the_receiver():
    if "ReceiverFunction" not in functions():
        pytest.skip("ReceiverFunction is not in template.yaml yet")
    events = functions()["ReceiverFunction"]["Properties"]["Events"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values() if e["Type"] == "HttpApi"}
    assert routes == {("POST", "/webhooks/{source}")}
    env = env_vars(functions()["ReceiverFunction"])
    assert env["LEDGERLAKE_HYDRATE_QUEUE_URL"] == {"Ref": "HydrateQueue"}


def test_hydration_retries_per_record_then_dead_letters():
    if "HydratorFunction" not in functions():
        pytest.skip("HydratorFunction is not in template.yaml yet")
    hydrator = functions()["HydratorFunction"]["Properties"]
    (event,) = [e for e in hydrator["Events"].values() if e["Type"] == "SQS"]
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["HydrateQueue", "Arn"]}
    assert "ReportBatchItemFailures" in event["Properties"]["FunctionResponseTypes"]
    queue = template()["Resources"]["HydrateQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["HydrateDeadLetterQueue", "Arn"]}
    assert 1 < int(queue["RedrivePolicy"]["maxReceiveCount"]) <= 10
    # AWS: visibility timeout at least six times the function timeout, or batches re-deliver mid-run.
    assert int(queue["VisibilityTimeout"]) >= 6 * int(hydrator["Timeout"])
    alarms = resources("AWS::CloudWatch::Alarm").values()
    assert any(
        a["Properties"]["Namespace"] == "AWS/SQS"
        and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["HydrateDeadLetterQueue", "QueueName"]}
        for a in alarms
    ), "no alarm on the dead-letter queue's depth"


def test_one_poller_schedule_per_source():
    if "PollerFunction" not in functions():
        pytest.skip("PollerFunction is not in template.yaml yet")
    from ledgerlake.polling.runner import SOURCES

    events = functions()["PollerFunction"]["Properties"]["Events"]
    inputs = sorted(json.loads(e["Properties"]["Input"])["source"] for e in events.values() if e["Type"] == "Schedule")
    assert inputs == sorted(SOURCES)
    for event in events.values():
        source = json.loads(event["Properties"]["Input"])["source"]
        param = event["Properties"]["Schedule"]["Fn::If"][1]["Ref"]
        assert param in template()["Parameters"], f"{source}: schedule is not a parameter"


def test_every_function_has_an_error_alarm():
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("Namespace") == "AWS/Lambda" and a["Properties"]["MetricName"] == "Errors"
    }
    assert alarmed == set(functions())


def test_every_source_has_a_stale_data_alarm_on_what_landed():
    """Per source, the alarm sums the objects the receiver (EventsLanded) and the poller
    (ObjectsCreated) created, metrics that count nothing for a 412 redelivery, so traffic
    that lands nothing cannot keep it quiet; an hour without data is an hour with nothing."""
    from ledgerlake.webhooks.registry import SOURCES

    alarms = [a["Properties"] for a in resources("AWS::CloudWatch::Alarm").values() if "Metrics" in a["Properties"]]
    for source in SOURCES:
        mine = [
            a
            for a in alarms
            if any(
                {"Name": "source", "Value": source} in m.get("MetricStat", {}).get("Metric", {}).get("Dimensions", [])
                for m in a["Metrics"]
            )
        ]
        assert len(mine) == 1, f"{source}: expected one stale-data alarm"
        alarm = mine[0]
        stats = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
        assert {(s["MetricName"], s["Dimensions"][0]["Value"]) for s in stats.values()} == {
            ("EventsLanded", "receiver"),
            ("ObjectsCreated", "poller"),
        }, source
        assert all(s["Namespace"] == "ledgerlake" for s in stats.values())
        (returned,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
        assert all(f"FILL({i}, 0)" in returned["Expression"] for i in stats)
        assert alarm["TreatMissingData"] == "breaching" and alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["Threshold"] == 1


def test_glue_crawler_catalogs_exactly_where_the_transform_publishes(lake, tmp_path):
    """Publish a mart with the transform's own export (to the S3 test server) and check
    the crawler's target and table level make that mart's folder one Glue table."""
    import duckdb

    from ledgerlake.config import Settings
    from ledgerlake.transform.runner import MART_SCHEMA, export_marts

    warehouse = tmp_path / "warehouse.duckdb"
    conn = duckdb.connect(str(warehouse))
    conn.execute(f"create schema {MART_SCHEMA}")
    conn.execute(
        f"create table {MART_SCHEMA}.revenue_by_month as select 'US' as entity_id, 10.50::decimal(18,2) as revenue"
    )
    conn.close()
    settings = Settings.from_env()
    assert export_marts(warehouse, settings) == ["revenue_by_month"]
    listed = lake.s3.list_objects_v2(Bucket=settings.marts_bucket).get("Contents", [])
    (key,) = [o["Key"] for o in listed if o["Key"].endswith(".parquet")]

    crawler = template()["Resources"]["MartsCrawler"]["Properties"]
    (target,) = crawler["Targets"]["S3Targets"]
    path = sub_string(target["Path"])
    assert path.startswith("s3://${MartsBucket}/")
    prefix = path.removeprefix("s3://${MartsBucket}/")
    assert key.startswith(prefix), f"the transform publishes {key}, the crawler reads {prefix}"
    folder_depth = len(prefix.strip("/").split("/")) + 1  # + the bucket
    level = json.loads(crawler["Configuration"])["Grouping"]["TableLevelConfiguration"]
    assert level == folder_depth + 1, "each mart's own folder must be the table level"
    assert key.removeprefix(prefix).split("/")[0] == "revenue_by_month"
    assert crawler["DatabaseName"] == {"Ref": "MartsDatabase"}


def test_forecast_schema_has_its_own_crawler_one_level_deeper():
    """The forecaster publishes marts/<FORECAST_SCHEMA>/<table>/<table>.parquet: the marts
    crawler must skip that folder (or it would become one mixed table) and a second
    crawler must make each of its tables one Glue table."""
    from ledgerlake.forecast.run import FORECAST_SCHEMA

    resources_ = template()["Resources"]
    (marts_target,) = resources_["MartsCrawler"]["Properties"]["Targets"]["S3Targets"]
    assert f"{FORECAST_SCHEMA}/**" in marts_target["Exclusions"]
    forecast = resources_["ForecastCrawler"]["Properties"]
    (target,) = forecast["Targets"]["S3Targets"]
    assert sub_string(target["Path"]) == f"s3://${{MartsBucket}}/marts/{FORECAST_SCHEMA}/"
    # bucket (1) / marts (2) / forecast (3) / <table> (4)
    assert json.loads(forecast["Configuration"])["Grouping"]["TableLevelConfiguration"] == 4
    assert forecast["DatabaseName"] == {"Ref": "MartsDatabase"}


def test_forecast_runs_after_each_successful_transform():
    if "ForecasterFunction" not in functions():
        pytest.skip("ForecasterFunction is not in template.yaml yet")
    transform = functions()["TransformFunction"]
    on_success = transform["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnSuccess"]
    assert on_success == {"Type": "Lambda", "Destination": {"Fn::GetAtt": ["ForecasterFunction", "Arn"]}}
    invoke = [s for s in role_statements(function_role(transform)) if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert [s["Resource"] for s in invoke] == [{"Fn::GetAtt": ["ForecasterFunction", "Arn"]}]
    # ledgerlake.alerts.state is a read-modify-write of one object: one run at a time.
    forecaster = functions()["ForecasterFunction"]["Properties"]
    assert forecaster["ReservedConcurrentExecutions"]["Fn::If"][1] == 1
    assert template()["Parameters"]["ReserveConcurrency"]["Default"] == "yes"


def test_kpi_email_may_send_only_as_the_configured_sender():
    if "KpiEmailFunction" not in functions():
        pytest.skip("KpiEmailFunction is not in template.yaml yet")
    function = functions()["KpiEmailFunction"]
    statements = [
        s for s in role_statements(function_role(function)) if any(a.startswith("ses:") for a in as_list(s["Action"]))
    ]
    assert len(statements) == 1
    (ses,) = statements
    assert as_list(ses["Action"]) == ["ses:SendRawEmail"]  # what report.send calls
    assert sub_string(ses["Resource"]).endswith(":identity/${SesIdentity}")
    assert ses["Condition"]["StringEquals"]["ses:FromAddress"] == {"Ref": "ReportSender"}
    assert env_vars(function)["LEDGERLAKE_EMAIL_SENDER"] == {"Ref": "ReportSender"}
    (weekly,) = function["Properties"]["Events"].values()
    assert weekly["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "ReportTimezone"}


def test_deploy_guide_lists_every_secret_the_code_reads():
    """docs/deploy.md tells the operator which SSM parameters to create: all of them."""
    guide = (REPO / "docs" / "deploy.md").read_text()
    names = set().union(*(secret_names_used(f) for f in ("webhook.py", "hydrate.py", "poll.py")))
    missing = sorted(n for n in names if f"`{n}`" not in guide)
    assert not missing, f"docs/deploy.md does not list {missing}"
