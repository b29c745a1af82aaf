"""Evaluate IAM policies the way AWS does, for tests that check AWS's side of a contract.

`allows(policies, action, resource, context)` answers whether identity policies allow one
request: an explicit Deny wins, then any Allow, else the implicit deny. Statements match on
Action/NotAction (case-insensitive wildcards), Resource/NotResource (case-sensitive wildcards)
and Condition. The condition operators AWS documents in "IAM JSON policy elements: Condition
operators" are implemented for strings, ARNs, booleans, numbers and Null, with the
`...IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` set qualifiers. A missing context
key makes a condition false, except for negated operators and ForAllValues, where AWS says it
is true. Anything else (policy variables, date operators) raises `Unsupported`, so a test never
passes because the evaluator skipped a rule.

moto's IAM enforcement (moto.iam.access_control) was considered first; it evaluates only a
few condition operators and treats an unknown one as a denial, which hides the very mistakes
these tests look for.

`render(value, template)` turns a synthesized CloudFormation value (Ref, Fn::GetAtt, Fn::Join,
Fn::Sub) into the string AWS would see, with the fake account, region and partition below.
"""
from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable, Mapping

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PARTITION = "aws"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
}


class Unsupported(Exception):
    """The policy uses IAM syntax this evaluator does not implement."""


def allows(
    policies: Iterable[Mapping], action: str, resource: str, context: Mapping[str, Any] | None = None, *, principal: str | None = None
) -> bool:
    return decision(policies, action, resource, context, principal=principal) == "allow"


def decision(
    policies: Iterable[Mapping], action: str, resource: str, context: Mapping[str, Any] | None = None, *, principal: str | None = None
) -> str:
    """'allow', 'explicit-deny' or 'implicit-deny' for one request against identity policies or,
    given `principal`, against resource policies (a key, bucket or topic policy): then only
    statements whose Principal names it apply. `principal` is a service principal
    ("cloudwatch.amazonaws.com"), an AWS ARN, or "*" for an anonymous caller."""
    context = context or {}
    allowed = False
    for policy in policies:
        statements = policy["Statement"]
        for statement in [statements] if isinstance(statements, Mapping) else statements:
            if principal is not None and not _principal_matches(statement, principal):
                continue
            if _applies(statement, action, resource, context):
                if statement["Effect"] == "Deny":
                    return "explicit-deny"
                allowed = True
    return "allow" if allowed else "implicit-deny"


def _principal_matches(statement: Mapping, principal: str) -> bool:
    """Principal / NotPrincipal as IAM matches them: "*" is everyone; Service and AWS entries
    match exactly (an account id or arn:...:root stands for every principal of that account)."""
    if "NotPrincipal" in statement:
        raise Unsupported("NotPrincipal is not implemented")
    named = statement.get("Principal")
    if named is None:
        raise Unsupported("a statement without Principal in a resource policy")
    if named == "*":
        return True
    for kind, values in named.items():
        for value in _listed(values):
            if not isinstance(value, str):
                raise Unsupported(f"unrendered principal {value!r} (use render())")
            if value == "*" or value == principal:
                return True
            if kind == "AWS" and principal.startswith("arn:") and _account_of(value) == principal.split(":")[4]:
                return True
    return False


def _account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    match = re.fullmatch(r"arn:[^:]+:iam::(\d{12}):root", value)
    return match.group(1) if match else None


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _applies(statement: Mapping, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if "Action" in statement:
        if not any(_wildcard(pattern, action, ignore_case=True) for pattern in _listed(statement["Action"])):
            return False
    elif any(_wildcard(pattern, action, ignore_case=True) for pattern in _listed(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_wildcard(pattern, resource) for pattern in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_wildcard(pattern, resource) for pattern in _listed(statement["NotResource"])):
            return False
    return all(
        _condition(operator, key, _listed(expected), context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if not isinstance(pattern, str):
        raise Unsupported(f"unrendered value in a policy: {pattern!r} (use render())")
    if "${" in pattern:
        raise Unsupported(f"policy variables are not implemented: {pattern}")
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    # fnmatch's [...] classes do not exist in IAM: escape them.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _string(operator: str, expected: str, actual: str) -> bool:
    if operator == "StringEquals":
        return actual == expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if operator in ("StringLike", "ArnLike", "ArnEquals"):
        if operator.startswith("Arn"):
            return _arn_like(expected, actual)
        return _wildcard(expected, actual)
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    if operator.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {
            "NumericEquals": a == e,
            "NumericLessThan": a < e,
            "NumericLessThanEquals": a <= e,
            "NumericGreaterThan": a > e,
            "NumericGreaterThanEquals": a >= e,
        }[operator]
    raise Unsupported(f"condition operator {operator}")


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}
POSITIVE = {
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool",
    "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
}


def _condition(operator: str, key: str, expected: list, context: Mapping[str, Any]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    present = _lookup(context, key)
    if name == "Null":
        return (present is None) == (str(expected[0]).lower() == "true")
    if name not in POSITIVE and name not in NEGATED:
        raise Unsupported(f"condition operator {operator}")
    if present is None:
        return if_exists or name in NEGATED or qualifier == "ForAllValues"
    values = [str(v) for v in _listed(present)]
    base = NEGATED.get(name, name)

    def matches(value: str) -> bool:
        return any(_string(base, str(e), value) for e in expected)

    if qualifier == "ForAnyValue":
        hit = any(matches(v) for v in values)
    elif qualifier == "ForAllValues":
        hit = all(matches(v) for v in values)
    elif qualifier:
        raise Unsupported(f"set qualifier {qualifier}")
    else:
        if len(values) != 1:
            raise Unsupported(f"{key} has several values; say ForAnyValue or ForAllValues")
        hit = matches(values[0])
    return not hit if name in NEGATED else hit


def _lookup(context: Mapping[str, Any], key: str) -> Any:
    # Condition keys are case-insensitive; tag keys after the slash keep their case in AWS,
    # but the project's tags are lower case, so one rule does.
    for candidate, value in context.items():
        if candidate.lower() == key.lower():
            return value
    return None


def _arn_like(pattern: str, arn: str) -> bool:
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_wildcard(p, a) for p, a in zip(pattern_parts, arn_parts))


# --- rendering synthesized templates ---------------------------------------------------------

# What Fn::GetAtt <logical id>.Arn stands for, by resource type.
ARN_FORMATS = {
    "AWS::IAM::Role": "arn:{p}:iam::{a}:role/{id}",
    "AWS::IAM::InstanceProfile": "arn:{p}:iam::{a}:instance-profile/{id}",
    "AWS::IAM::ManagedPolicy": "arn:{p}:iam::{a}:policy/{id}",
    "AWS::KMS::Key": "arn:{p}:kms:{r}:{a}:key/{id}",
    "AWS::S3::Bucket": "arn:{p}:s3:::{id}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{r}:{a}:log-group:{id}:*",
    "AWS::SNS::Topic": "arn:{p}:sns:{r}:{a}:{id}",
    "AWS::SQS::Queue": "arn:{p}:sqs:{r}:{a}:{id}",
    "AWS::SecretsManager::Secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{id}-AbCdEf",
    "AWS::StepFunctions::StateMachine": "arn:{p}:states:{r}:{a}:stateMachine:{id}",
    "AWS::Lambda::Function": "arn:{p}:lambda:{r}:{a}:function:{id}",
}


def render(
    value: Any, template: Mapping, names: Mapping[str, str] | None = None, stacks: Mapping[str, Mapping] | None = None
) -> Any:
    """`value` with every intrinsic replaced by a concrete string.

    A Ref to a resource renders as `names[logical id]` if given, else the logical id (the
    physical name CloudFormation would generate is as opaque to a policy as that). A GetAtt
    renders as `names["<logical id>.<attribute>"]` if given. A Fn::GetStackOutput (CDK's
    cross-stack reference) renders the output's value in its own template, from `stacks`
    (stack name -> template), else as "<stack>.<output>".
    """
    names = names or {}
    resources = template.get("Resources", {})
    if isinstance(value, list):
        return [render(item, template, names, stacks) for item in value]
    if not isinstance(value, dict):
        return value
    if "Fn::GetStackOutput" in value:
        stack, output = value["Fn::GetStackOutput"]["StackName"], value["Fn::GetStackOutput"]["OutputName"]
        if stacks and stack in stacks:
            return render(stacks[stack]["Outputs"][output]["Value"], stacks[stack], names, stacks)
        return f"{stack}.{output}"
    if "Ref" in value:
        ref = value["Ref"]
        if ref in PSEUDO:
            return PSEUDO[ref]
        if ref in template.get("Parameters", {}):
            return names.get(ref, f"{ref}-value")
        return names.get(ref, ref)
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        if f"{logical_id}.{attribute}" in names:
            return names[f"{logical_id}.{attribute}"]
        resource_type = resources.get(logical_id, {}).get("Type")
        if attribute == "Arn" and resource_type in ARN_FORMATS:
            return ARN_FORMATS[resource_type].format(p=PARTITION, a=ACCOUNT, r=REGION, id=names.get(logical_id, logical_id))
        return f"{names.get(logical_id, logical_id)}.{attribute}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(render(part, template, names, stacks)) for part in parts)
    if "Fn::Sub" in value:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(render(variables[name], template, names, stacks))
            if "." in name:
                return str(render({"Fn::GetAtt": name.split(".", 1)}, template, names, stacks))
            return str(render({"Ref": name}, template, names, stacks))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)
    if "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return render(items, template, names, stacks)[int(index)]
    return {key: render(item, template, names, stacks) for key, item in value.items()}


def role_policies(
    template: Mapping, role_logical_id: str, names: Mapping[str, str] | None = None, stacks: Mapping[str, Mapping] | None = None
) -> list[dict]:
    """Every identity policy document attached to a role in `template`, rendered.

    Covers customer-managed policies (`Roles` of AWS::IAM::ManagedPolicy, or the role's
    `ManagedPolicyArns` naming one of the template), inline policies (AWS::IAM::Policy and the
    role's `Policies`), not AWS-managed ones (pass those separately).
    """
    documents = []
    resources = template.get("Resources", {})
    role = resources[role_logical_id]["Properties"]
    for inline in role.get("Policies", []):
        documents.append(render(inline["PolicyDocument"], template, names, stacks))
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and resources.get(arn.get("Ref"), {}).get("Type") == "AWS::IAM::ManagedPolicy":
            documents.append(render(resources[arn["Ref"]]["Properties"]["PolicyDocument"], template, names, stacks))
    for resource in resources.values():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            attached = resource["Properties"].get("Roles", [])
            if {"Ref": role_logical_id} in attached:
                documents.append(render(resource["Properties"]["PolicyDocument"], template, names, stacks))
    return documents
