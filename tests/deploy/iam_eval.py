"""A small evaluator of IAM identity and S3 bucket policies, for template.yaml's statements.

moto does not enforce bucket policies, and no AWS account is reachable from the tests, so
the promises the template's policies make ("nothing overwrites raw/") are checked by
evaluating the statements the way AWS documents it (IAM User Guide, "Policy evaluation
logic" and "IAM JSON policy elements: Condition operators"), for one account:

- an explicit Deny in any applicable statement (identity or resource policy) wins;
- else an Allow in the principal's identity policy or in the bucket policy (naming that
  principal) allows;
- else the request is implicitly denied.

A statement applies when its Action/NotAction, Resource/NotResource, Principal (resource
policies) and every condition match. In a Condition block every operator and every key
must hold (AND), a key's listed values are alternatives (OR); a key missing from the
request makes a condition false, except `Null` (tests presence), the `...IfExists`
variants (true when absent) and the negated operators (`StringNotEquals`...: true when
absent). Anything this evaluator does not implement raises instead of guessing, so a policy
rewritten with a new operator fails the tests loudly rather than passing them silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

ACCOUNT, REGION, PARTITION = "111122223333", "us-east-1", "aws"
BUCKET_NAMES = {
    "RawBucket": "ledgerlake-raw-test",
    "MartsBucket": "ledgerlake-marts-test",
    "AccessLogsBucket": "ledgerlake-logs-test",
}


def _arn_of(resource: str) -> str:
    if resource in BUCKET_NAMES:
        return f"arn:{PARTITION}:s3:::{BUCKET_NAMES[resource]}"
    return f"arn:{PARTITION}:test:{REGION}:{ACCOUNT}:{resource}"


def _ref(name: str) -> str:
    pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}
    if name in pseudo:
        return pseudo[name]
    return BUCKET_NAMES.get(name, name)


def resolve(value):
    """Template values (with intrinsics) → plain strings, lists, dicts."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return _ref(value["Ref"])
    if set(value) == {"Fn::GetAtt"}:
        resource, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            raise NotImplementedError(f"GetAtt {attribute}")
        return _arn_of(resource)
    if set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        if not isinstance(text, str):
            raise NotImplementedError("Fn::Sub with a variable map")

        def sub(match: re.Match) -> str:
            name = match.group(1)
            if name.endswith(".Arn"):
                return _arn_of(name[: -len(".Arn")])
            return _ref(name)

        return re.sub(r"\$\{([^}!]+)\}", sub, text)
    if any(k.startswith("Fn::") for k in value):
        raise NotImplementedError(f"intrinsic {list(value)}")
    return {k: resolve(v) for k, v in value.items()}


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


@dataclass
class Request:
    action: str  # e.g. "s3:PutObject"
    resource: str  # an ARN
    principal: str = f"arn:aws:iam::{ACCOUNT}:role/someone"  # or a service name for a service principal
    context: dict[str, str] = field(default_factory=dict)  # condition keys present in the request


def _matches_action(patterns, action: str) -> bool:
    return any(fnmatchcase(action.lower(), p.lower()) for p in _list(patterns))


def _matches_resource(patterns, resource: str) -> bool:
    # IAM's resource wildcards: * (any run) and ? (one character), case-sensitive; fnmatch's
    # [...] classes are not IAM syntax, so a literal "[" is escaped first.
    return any(fnmatchcase(resource, p.replace("[", "[[]")) for p in _list(patterns))


def _matches_principal(principal, arn: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        if set(principal) - {"AWS", "Service"}:
            raise NotImplementedError(f"Principal {principal}")
        if arn in _list(principal.get("Service", [])):  # a service principal, e.g. logging.s3.amazonaws.com
            return True
        aws = _list(principal.get("AWS", []))
        return "*" in aws or arn in aws or f"arn:aws:iam::{ACCOUNT}:root" in aws or ACCOUNT in aws
    raise NotImplementedError(f"Principal {principal!r}")


_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NumericNotEquals",
}


def _compare(operator: str, actual: str, expected: str) -> bool:
    if operator in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"):
        return actual == expected
    if operator in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return fnmatchcase(actual, expected.replace("[", "[[]"))
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    raise NotImplementedError(f"condition operator {operator}")


def _condition_holds(operator: str, key: str, expected, context: dict[str, str]) -> bool:
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        raise NotImplementedError(operator)
    present = {k.lower(): v for k, v in context.items()}
    actual = present.get(key.lower())
    values = [str(v) for v in _list(expected)]
    if operator == "Null":
        (wanted,) = values
        return (actual is None) == (wanted.lower() == "true")
    if operator.endswith("IfExists"):
        if actual is None:
            return True
        operator = operator[: -len("IfExists")]
    if operator in _NEGATED:
        return actual is None or not any(_compare(operator, actual, v) for v in values)
    if actual is None:
        return False
    return any(_compare(operator, actual, v) for v in values)


def applies(statement: dict, request: Request, *, resource_policy: bool) -> bool:
    if "NotPrincipal" in statement:
        raise NotImplementedError("NotPrincipal")
    if resource_policy and not _matches_principal(statement.get("Principal"), request.principal):
        return False
    if "Action" in statement:
        if not _matches_action(statement["Action"], request.action):
            return False
    elif _matches_action(statement["NotAction"], request.action):
        return False
    if "Resource" in statement:
        if not _matches_resource(statement["Resource"], request.resource):
            return False
    elif _matches_resource(statement["NotResource"], request.resource):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        for key, expected in block.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def decide(request: Request, identity: list[dict], resource: list[dict]) -> str:
    """ "Allow", "Deny" (explicit) or "ImplicitDeny" for one same-account request."""
    found = [(s, False) for s in identity] + [(s, True) for s in resource]
    applicable = [s for s, is_resource in found if applies(s, request, resource_policy=is_resource)]
    if any(s["Effect"] == "Deny" for s in applicable):
        return "Deny"
    if any(s["Effect"] == "Allow" for s in applicable):
        return "Allow"
    return "ImplicitDeny"


# -- template.yaml's policies ------------------------------------------------------------


def bucket_policy(template: dict, bucket: str) -> list[dict]:
    statements: list[dict] = []
    for res in template["Resources"].values():
        if res["Type"] == "AWS::S3::BucketPolicy" and res["Properties"]["Bucket"] == {"Ref": bucket}:
            statements += resolve(_list(res["Properties"]["PolicyDocument"]["Statement"]))
    return statements


def role_policy(template: dict, role: str) -> list[dict]:
    res = template["Resources"][role]
    if res["Type"] == "AWS::IAM::ManagedPolicy":
        return resolve(_list(res["Properties"]["PolicyDocument"]["Statement"]))
    out: list[dict] = []
    for policy in res["Properties"].get("Policies", []):
        out += resolve(_list(policy["PolicyDocument"]["Statement"]))
    return out


def principal_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{BUCKET_NAMES[bucket]}/{key}"


def ask(
    template: dict,
    who: str,
    action: str,
    bucket: str,
    key: str,
    context: dict[str, str],
    identity: list[dict] | None = None,
) -> str:
    """The decision for `who` (a role or managed policy in the template, or any name with
    an explicit `identity` policy) doing `action` on s3://<bucket>/<key>."""
    if identity is None:
        identity = role_policy(template, who)
    request = Request(action, object_arn(bucket, key), principal_arn(who), context)
    return decide(request, identity, bucket_policy(template, bucket))
