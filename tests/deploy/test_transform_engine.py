"""template.yaml's TransformEngine: the Lambda's DuckDB (default) or EMR Serverless Spark.

cfn-lint must pass with either value (test_deploy_tools lints the default, duckdb; here the
same template with emr-serverless as the default, since cfn-lint checks a template's
defaults), the Spark resources exist only with the Spark engine, the Lambda's schedule is
off then, and the job the schedule starts is the one deploy/emr-serverless builds.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from deploy_support import REPO, TEMPLATE, as_list, resources, role_statements, template

SPARK_RESOURCES = {
    "SparkTransformLogs",
    "SparkApplication",
    "SparkJobRole",
    "SparkSchedulerRole",
    "SparkTransformSchedule",
}


def _with_defaults(tmp_path: Path, **defaults: str) -> Path:
    """template.yaml with other parameter defaults (each `Name:` block's `Default:` line)."""
    text = TEMPLATE.read_text()
    for name, value in defaults.items():
        text, n = re.subn(
            rf"(\n  {name}:\n    Type: String\n    Default: )[^\n]*",
            rf'\g<1>"{value}"',
            text,
        )
        assert n == 1, name
    out = tmp_path / "template.yaml"
    out.write_text(text)
    return out


def test_cfn_lint_passes_with_the_spark_engine(tmp_path):
    spark = _with_defaults(
        tmp_path,
        TransformEngine="emr-serverless",
        SparkImageUri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/ledgerlake-spark:1",
    )
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run(
        [str(cfn_lint), "--", str(spark)],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_duckdb_is_the_default_and_spark_resources_need_the_spark_engine():
    tpl = template()
    assert tpl["Parameters"]["TransformEngine"]["Default"] == "duckdb"
    assert tpl["Conditions"]["UsesSparkEngine"] == {"Fn::Equals": [{"Ref": "TransformEngine"}, "emr-serverless"]}
    found = {name for name, res in tpl["Resources"].items() if name.startswith("Spark")}
    assert found == SPARK_RESOURCES
    assert all(tpl["Resources"][name].get("Condition") == "UsesSparkEngine" for name in found)
    # one engine builds at a time: the Lambda's schedule is disabled with Spark
    state = tpl["Resources"]["TransformFunction"]["Properties"]["Events"]["Schedule"]["Properties"]["State"]
    assert state == {"Fn::If": ["UsesSparkEngine", "DISABLED", "ENABLED"]}


def test_the_scheduled_job_runs_the_image_entry_point_with_the_lake_settings():
    target = resources("AWS::Scheduler::Schedule")["SparkTransformSchedule"]["Properties"]["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun"
    body, values = target["Input"]["Fn::Sub"]
    request = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # valid JSON once substituted
    entry = request["JobDriver"]["SparkSubmit"]["EntryPoint"]
    dockerfile = (REPO / "deploy" / "emr-serverless" / "Dockerfile").read_text()
    assert entry == "local:///app/spark_transform.py"
    assert "COPY deploy/emr-serverless/spark_transform.py /app/spark_transform.py" in dockerfile
    assert (REPO / "deploy" / "emr-serverless" / "spark_transform.py").exists()
    submit = json.dumps(values["SubmitParameters"])
    for setting in (
        "LEDGERLAKE_RAW_BUCKET",
        "LEDGERLAKE_MARTS_BUCKET",
        "LEDGERLAKE_SPARK_WAREHOUSE",
        "AWSGlueDataCatalogHiveClientFactory",
        "spark.sql.session.timeZone=UTC",
        "spark.sql.parser.escapedStringLiterals=true",
    ):
        assert setting in submit, setting


def test_the_spark_job_role_reads_raw_and_writes_only_derived_prefixes():
    statements = role_statements("SparkJobRole")
    writes = [s for s in statements if {"s3:PutObject", "s3:DeleteObject"} & set(as_list(s["Action"]))]
    written = json.dumps([s["Resource"] for s in writes])
    assert "/raw/" not in written and "/reference/" not in written
    assert "/compacted/*" in written and "/spark-warehouse/*" in written
    assert "/marts/*" not in written  # the Lambda's published marts and the alert state are not the job's


def _spark_session_settings(env: dict[str, str]) -> dict[str, str]:
    """The spark profile's session settings as dbt renders them with `env` (env_var(name, default))."""
    import jinja2
    import yaml

    profile = yaml.safe_load((REPO / "transforms" / "profiles.yml").read_text())
    parameters = profile["ledgerlake"]["outputs"]["spark"]["server_side_parameters"]
    jinja = jinja2.Environment()
    jinja.globals["env_var"] = lambda name, default=None: env.get(name, default)
    return {key: jinja.from_string(str(value)).render() for key, value in parameters.items()}


def test_the_emr_job_keeps_sparks_defaults_and_a_local_build_is_tuned_for_small_data(monkeypatch, tmp_path):
    # A local build (the parity test) is a few MB: per-statement cost is its time. The EMR job
    # builds the real lake: generated code, adaptive execution and 200 shuffle partitions.
    from ledgerlake.config import Settings
    from ledgerlake.transform import spark

    passed = {}

    def run_dbt(args, settings, warehouse, stream=None, extra_env=None):
        passed[extra_env["LEDGERLAKE_SPARK_WAREHOUSE"]] = extra_env
        return True, None

    monkeypatch.setattr(spark, "run_dbt", run_dbt)
    monkeypatch.delenv("LEDGERLAKE_SPARK_SMALL_DATA", raising=False)
    monkeypatch.delenv("LEDGERLAKE_SPARK_SHUFFLE_PARTITIONS", raising=False)
    roots = {"compacted_root": str(tmp_path), "fx_rates_root": "", "budgets_root": "", "settings": Settings.from_env()}
    spark.build_spark("s3://marts/spark-warehouse", **roots)
    spark.build_spark(tmp_path / "warehouse", **roots)
    emr = _spark_session_settings(passed["s3://marts/spark-warehouse"])
    local = _spark_session_settings(passed[str((tmp_path / "warehouse").resolve())])
    assert (emr["spark.sql.codegen.wholeStage"], emr["spark.sql.adaptive.enabled"]) == ("true", "true")
    assert emr["spark.sql.shuffle.partitions"] == "200"
    assert (local["spark.sql.codegen.wholeStage"], local["spark.sql.adaptive.enabled"]) == ("false", "false")
    assert local["spark.sql.shuffle.partitions"] == "1"
    assert "UseSerialGC" in local["spark.driver.extraJavaOptions"]
    # settings every build needs are the same on both
    for key in ("spark.sql.session.timeZone", "spark.sql.parser.escapedStringLiterals"):
        assert emr[key] == local[key], key
