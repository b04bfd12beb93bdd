"""The dashboard's service in template.yaml, read as data (issue #23): nothing reaches a task
without the load balancer's sign-in, HTTPS only, WebSockets kept, health checked on
Streamlit's own endpoint, logs, autoscaling bounds, an alarm on unhealthy targets, and a
task role that can read the marts and write only alert state and approvals.

Its image (docker/dashboard) is checked statically with the functions' images in
test_deploy_template.py and run as a plain process in test_dashboard_image.py.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from deploy_support import REPO, as_list, resources, template
from iam_eval import ask

DOCKERFILE = REPO / "docker" / "dashboard" / "Dockerfile"
STREAMLIT_TOML = REPO / "docker" / "dashboard" / "streamlit.toml"
TLS = {"aws:SecureTransport": "true", "s3:ObjectCreationOperation": "true"}


def _res(name: str) -> dict:
    return template()["Resources"][name]


def _branches(value) -> list:
    """Both outcomes of an Fn::If (or the value itself)."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        return _branches(yes) + _branches(no)
    return [value]


def _action_lists(actions: list) -> list[list[dict]]:
    """Every concrete action list a listener or rule can have (each Fn::If resolved both ways)."""
    lists: list[list[dict]] = [[]]
    for action in actions:
        lists = [prefix + [choice] for prefix in lists for choice in _branches(action)]
    return lists


def test_every_path_to_the_tasks_signs_in_first_and_never_lets_an_anonymous_request_through():
    """The deployed configuration cannot serve a page without a signed-in user: every
    listener or rule that forwards to the dashboard is preceded by an authenticate action
    (Cognito, or the external OIDC provider) whose answer to an unauthenticated request is
    to authenticate (not `allow`); the plain-HTTP listener only redirects to HTTPS; the
    tasks admit connections from the load balancer alone."""
    listeners = resources("AWS::ElasticLoadBalancingV2::Listener")
    rules = resources("AWS::ElasticLoadBalancingV2::ListenerRule")
    assert set(listeners) == {"DashboardHttpsListener", "DashboardHttpListener"}
    forwarding = 0
    for name, res in {**listeners, **rules}.items():
        actions = res["Properties"].get("DefaultActions") or res["Properties"].get("Actions")
        for chosen in _action_lists(actions):
            ordered = sorted(chosen, key=lambda a: a.get("Order", 0))
            kinds = [a["Type"] for a in ordered]
            if "forward" not in kinds:
                assert kinds == ["redirect"] and ordered[0]["RedirectConfig"]["Protocol"] == "HTTPS", (name, kinds)
                continue
            forwarding += 1
            assert res["Properties"].get("Protocol", "HTTPS") == "HTTPS", name
            assert kinds in (
                ["authenticate-cognito", "forward"],
                ["authenticate-oidc", "forward"],
            ), (name, kinds)
            auth = ordered[0].get("AuthenticateCognitoConfig") or ordered[0].get("AuthenticateOidcConfig")
            assert auth["OnUnauthenticatedRequest"] == "authenticate", name
            assert "openid" in auth["Scope"].split() and "email" in auth["Scope"].split()
    assert forwarding == 2, "the HTTPS listener forwards after Cognito or after the OIDC provider"
    https = listeners["DashboardHttpsListener"]["Properties"]
    assert https["Port"] == 443 and https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert https["Certificates"] == [{"CertificateArn": {"Ref": "DashboardCertificateArn"}}]

    # the only way into a task is from the load balancer's security group
    task_sg = _res("DashboardTaskSecurityGroup")["Properties"]
    assert task_sg["SecurityGroupIngress"] == [
        {
            "Description": task_sg["SecurityGroupIngress"][0]["Description"],
            "IpProtocol": "tcp",
            "FromPort": 8501,
            "ToPort": 8501,
            "SourceSecurityGroupId": {"Ref": "DashboardAlbSecurityGroup"},
        }
    ]
    ingress = [
        r
        for r in resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"].get("GroupId") == {"Ref": "DashboardTaskSecurityGroup"}
    ]
    assert not ingress
    service = _res("DashboardService")["Properties"]
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"] == [
        {"Ref": "DashboardTaskSecurityGroup"}
    ]
    assert service["LoadBalancers"][0]["TargetGroupArn"] == {"Ref": "DashboardTargetGroup"}


def test_the_tasks_check_the_load_balancers_signature_themselves():
    """Behind the network rule, the app's own check (ledgerlake.dashboard_auth.alb_identity):
    the task definition turns it on and names the one load balancer whose claims count."""
    (container,) = _res("DashboardTaskDefinition")["Properties"]["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["LEDGERLAKE_DASHBOARD_AUTH"] == "alb"
    assert env["LEDGERLAKE_ALB_ARN"] == {"Ref": "DashboardLoadBalancer"}  # Ref of an ALB is its ARN
    assert "LEDGERLAKE_DASHBOARD_AUTH=alb" in DOCKERFILE.read_text()  # the image fails closed on its own too
    assert not any(re.search(r"(SECRET|TOKEN|PASSWORD|KEY)$", name) for name in env)


def test_cognito_by_default_external_oidc_by_parameter_secret_never_a_parameter_value():
    params = template()["Parameters"]
    conditions = template()["Conditions"]
    assert params["DashboardOidcIssuer"]["Default"] == ""  # Cognito unless told otherwise
    assert conditions["DashboardUsesCognito"]["Fn::And"][1] == {"Fn::Equals": [{"Ref": "DashboardOidcIssuer"}, ""]}
    pool = _res("DashboardUserPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # nobody signs themselves up
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = _res("DashboardUserPoolClient")["Properties"]
    assert client["GenerateSecret"] is True and client["AllowedOAuthFlows"] == ["code"]
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${DashboardDomainName}/oauth2/idpresponse"}]
    (https,) = [
        a
        for a in _action_lists(_res("DashboardHttpsListener")["Properties"]["DefaultActions"])
        if a[0]["Type"] == "authenticate-oidc"
    ]
    secret = https[0]["AuthenticateOidcConfig"]["ClientSecret"]
    for branch in _branches(secret):
        assert branch["Fn::Sub"].startswith(
            "{{resolve:secretsmanager:${DashboardOidcClientSecretName}:SecretString:client_secret"
        )
    assert not any(p.get("NoEcho") is False for p in params.values())
    # an external provider with a missing endpoint or client id is refused at deploy time
    rule = template()["Rules"]["DashboardOidcIsComplete"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DashboardOidcIssuer"}, ""]}]}
    required = {a["Assert"]["Fn::Not"][0]["Fn::Equals"][0]["Ref"] for a in rule["Assertions"]}
    assert required == {
        f"DashboardOidc{p}" for p in ("AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientId")
    }


def test_health_websockets_logs_autoscaling_and_an_alarm_on_unhealthy_targets():
    tg = _res("DashboardTargetGroup")["Properties"]
    assert tg["HealthCheckPath"] == "/_stcore/health" and tg["Matcher"]["HttpCode"] == "200"
    attrs = {a["Key"]: a["Value"] for a in tg["TargetGroupAttributes"]}
    assert attrs["stickiness.enabled"] == "true"  # a session (and its /media/ files) lives in one task
    lb = {a["Key"]: a["Value"] for a in _res("DashboardLoadBalancer")["Properties"]["LoadBalancerAttributes"]}
    ping = tomllib.loads(STREAMLIT_TOML.read_text())["server"]["websocketPingInterval"]
    assert int(lb["idle_timeout.timeout_seconds"]) > ping, "an idle WebSocket would be cut between pings"
    assert lb["routing.http.drop_invalid_header_fields.enabled"] == "true"

    (container,) = _res("DashboardTaskDefinition")["Properties"]["ContainerDefinitions"]
    logging = container["LogConfiguration"]
    assert logging["LogDriver"] == "awslogs" and logging["Options"]["awslogs-group"] == {"Ref": "DashboardLogs"}
    assert "/_stcore/health" in " ".join(container["HealthCheck"]["Command"])
    assert container["ReadonlyRootFilesystem"] is True

    target = _res("DashboardScalableTarget")["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        {"Ref": "DashboardMinTasks"},
        {"Ref": "DashboardMaxTasks"},
    )
    params = template()["Parameters"]
    assert 1 <= params["DashboardMinTasks"]["Default"] <= params["DashboardMaxTasks"]["Default"]
    policy = _res("DashboardCpuScaling")["Properties"]
    assert policy["ScalingTargetId"] == {"Ref": "DashboardScalableTarget"}

    alarms = [
        a["Properties"]
        for a in resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "UnHealthyHostCount"
    ]
    assert len(alarms) == 1
    (alarm,) = alarms
    dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dims["TargetGroup"] == {"Fn::GetAtt": ["DashboardTargetGroup", "TargetGroupFullName"]}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}] and alarm["Threshold"] == 1


def _dashboard(action: str, bucket: str, key: str) -> str:
    return ask(template(), "DashboardTaskRole", action, bucket, key, TLS)


@pytest.mark.parametrize(
    "action,bucket,key",
    [
        (
            "s3:GetObject",
            "MartsBucket",
            "marts/finance_kpis_monthly/finance_kpis_monthly.parquet",
        ),
        ("s3:GetObject", "MartsBucket", "marts/forecast/alerts/alerts.parquet"),
        (
            "s3:GetObject",
            "MartsBucket",
            "marts/seeds/legal_entities/legal_entities.parquet",
        ),
        ("s3:GetObject", "MartsBucket", "state/alerts/alert_state.json"),
        ("s3:PutObject", "MartsBucket", "state/alerts/alert_state.json"),
        ("s3:GetObject", "RawBucket", "writeback/actions/invoice_from_won_deal-123.json"),
        ("s3:PutObject", "RawBucket", "writeback/actions/invoice_from_won_deal-123.json"),
        (
            "s3:GetObject",
            "RawBucket",
            "raw/source=qbo/entity=US/date=2026-01-02/abc.json",
        ),
        ("s3:GetObject", "RawBucket", "state/connections/qbo.json"),
    ],
)
def test_the_task_role_may(action, bucket, key):
    assert _dashboard(action, bucket, key) == "Allow"


def test_the_task_role_may_record_an_approval_once():
    """An approval's audit record is created once (If-None-Match: *), never replaced."""
    audit = "writeback/audit/date=2026-01-02/a1/0002-approved.json"
    once = ask(template(), "DashboardTaskRole", "s3:PutObject", "RawBucket", audit, TLS | {"s3:if-none-match": "*"})
    assert once == "Allow"
    assert _dashboard("s3:PutObject", "RawBucket", audit) != "Allow"


@pytest.mark.parametrize(
    "action,bucket,key",
    [
        (
            "s3:PutObject",
            "MartsBucket",
            "marts/finance_kpis_monthly/finance_kpis_monthly.parquet",
        ),  # marts are the transform's
        ("s3:DeleteObject", "MartsBucket", "state/alerts/alert_state.json"),
        (
            "s3:DeleteObject",
            "MartsBucket",
            "marts/finance_kpis_monthly/finance_kpis_monthly.parquet",
        ),
        ("s3:GetObject", "MartsBucket", "athena-results/q.csv"),
        (
            "s3:PutObject",
            "RawBucket",
            "raw/source=qbo/entity=US/date=2026-01-02/abc.json",
        ),
        ("s3:GetObject", "RawBucket", "compacted/source=qbo/part.parquet"),
        ("s3:GetObject", "RawBucket", "quarantine/source=stripe/x.json"),
        ("s3:GetObject", "RawBucket", "state/cursors/qbo/US.json"),
        ("s3:DeleteObject", "RawBucket", "writeback/actions/invoice_from_won_deal-123.json"),
        ("s3:GetObject", "RawBucket", "writeback/audit/date=2026-01-02/a1/0002-approved.json"),
        ("s3:PutObject", "RawBucket", "state/connections/qbo.json"),
        ("s3:GetObject", "AccessLogsBucket", "raw-bucket/2026-12-06"),
    ],
)
def test_the_task_role_may_not(action, bucket, key):
    assert _dashboard(action, bucket, key) != "Allow"


def test_the_task_role_lists_only_the_marts_the_cursor_times_and_the_actions():
    statements = [
        s
        for s in template()["Resources"]["DashboardTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
        if "s3:ListBucket" in as_list(s["Action"])
    ]
    listed = {json.dumps(s["Resource"]): s.get("Condition") for s in statements}
    assert listed == {
        json.dumps({"Fn::GetAtt": ["MartsBucket", "Arn"]}): None,
        json.dumps({"Fn::GetAtt": ["RawBucket", "Arn"]}): {
            "StringLike": {"s3:prefix": ["state/cursors/*", "writeback/actions/*"]}
        },
    }
    actions = {
        a
        for s in template()["Resources"]["DashboardTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"][
            "Statement"
        ]
        for a in as_list(s["Action"])
    }
    assert actions == {"s3:ListBucket", "s3:GetObject", "s3:PutObject"}
