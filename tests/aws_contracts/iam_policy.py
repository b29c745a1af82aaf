"""Evaluate IAM policies the way AWS does, for tests that check AWS's side of a contract.

`allows(policies, action, resource, context)` answers whether identity policies allow one
request: an explicit Deny wins, then any Allow, else the implicit deny. Resource policies (key
policies, bucket policies, trust policies) are evaluated the same way with `principal=`: a
statement then applies only when its Principal (or NotPrincipal) names the caller. AWS's
principal forms are implemented: `"*"`, `{"AWS": "*"}`, a principal ARN, an account (bare id or
its `:root` ARN, which covers every IAM principal of that account), `{"Service": ...}`.
`key_policy_allows` combines a key policy with the caller's identity policies the way KMS does. Statements match on
Action/NotAction (case-insensitive wildcards), Resource/NotResource (case-sensitive wildcards)
and Condition. The condition operators AWS documents in "IAM JSON policy elements: Condition
operators" are implemented for strings, ARNs, booleans, numbers and Null, with the
`...IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` set qualifiers. A missing context
key makes a condition false, except for negated operators and ForAllValues, where AWS says it
is true. Policy variables in Resource (`${aws:PrincipalAccount}`) take their value from the
request context. Anything else (a variable the context lacks, date operators) raises
`Unsupported`, so a test never passes because the evaluator skipped a rule.

moto's IAM enforcement (moto.iam.access_control) was considered first; it evaluates only a
few condition operators and treats an unknown one as a denial, which hides the very mistakes
these tests look for.

`render(value, template)` turns a synthesized CloudFormation value (Ref, Fn::GetAtt, Fn::Join,
Fn::Sub, Fn::Select, Fn::GetStackOutput with `stack_outputs`) into the string AWS would see, with the fake account, region and partition below.
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


Principal = Mapping[str, str] | str


def allows(
    policies: Iterable[Mapping],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    principal: Principal | None = None,
) -> bool:
    return decision(policies, action, resource, context, principal) == "allow"


def decision(
    policies: Iterable[Mapping],
    action: str,
    resource: str,
    context: Mapping[str, Any] | None = None,
    principal: Principal | None = None,
) -> str:
    """'allow', 'explicit-deny' or 'implicit-deny' for one request.

    Without `principal` the policies are identity policies (a statement with a Principal raises
    `Unsupported`); with it, e.g. `{"Service": "logs.eu-west-1.amazonaws.com"}`,
    `{"AWS": "arn:aws:iam::111122223333:role/r"}` or just the service name or ARN as a string,
    they are resource policies.
    """
    context = context or {}
    principal = as_principal(principal)
    allowed = False
    for policy in policies:
        statements = policy["Statement"]
        for statement in [statements] if isinstance(statements, Mapping) else statements:
            if _names_caller(statement, principal) and _applies(statement, action, resource, context):
                if statement["Effect"] == "Deny":
                    return "explicit-deny"
                allowed = True
    return "allow" if allowed else "implicit-deny"


def key_policy_allows(
    key_policy: Mapping,
    identity_policies: Iterable[Mapping],
    principal: Principal,
    action: str,
    key_arn: str,
    context: Mapping[str, Any] | None = None,
) -> bool:
    """KMS's rule: the key policy must allow the caller, directly or by naming its account (which
    delegates to IAM, so the caller's identity policies must allow too); any Deny wins."""
    principal = as_principal(principal)
    verdict = decision([key_policy], action, key_arn, context, principal)
    if verdict == "explicit-deny":
        return False
    direct = [s for s in _statements(key_policy) if not _is_account_principal(s.get("Principal"), principal)]
    if decision([{"Statement": direct}], action, key_arn, context, principal) == "allow":
        return True
    delegated = verdict == "allow"
    return delegated and "AWS" in principal and decision(list(identity_policies), action, key_arn, context) == "allow"


def as_principal(principal: Principal | None) -> Mapping[str, str] | None:
    """A caller as IAM names it: a string is an AWS principal (an ARN, an account id, "*") or a service."""
    if principal is None or isinstance(principal, Mapping):
        return principal
    if principal == "*" or principal.startswith("arn:") or re.fullmatch(r"\d{12}", principal):
        return {"AWS": principal}
    return {"Service": principal}


def _statements(policy: Mapping) -> list[Mapping]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _names_caller(statement: Mapping, principal: Mapping[str, str] | None) -> bool:
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return True
    if principal is None:
        raise Unsupported("a statement names a Principal: evaluate resource policies with principal=")
    if "Principal" in statement:
        return _principal_matches(statement["Principal"], principal)
    return not _principal_matches(statement["NotPrincipal"], principal)


def _principal_matches(element: Any, principal: Mapping[str, str]) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        raise Unsupported(f"Principal element {element!r}")
    for kind, values in element.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise Unsupported(f"principal type {kind}")
        for value in _listed(values):
            if not isinstance(value, str):
                raise Unsupported(f"unrendered principal {value!r} (use render())")
            if kind == "AWS" and value == "*":
                return True
            if kind not in principal:
                continue
            caller = principal[kind]
            if value == caller or (kind == "AWS" and _account_of(value) and _account_of(value) == _account_of(caller)
                                   and _is_account(value)):
                return True
    return False


def _is_account(value: str) -> bool:
    return re.fullmatch(r"\d{12}", value) is not None or re.fullmatch(r"arn:[\w-]+:iam::\d{12}:root", value) is not None


def _account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    match = re.fullmatch(r"arn:[\w-]+:(iam|sts)::(\d{12}):.+", value)
    return match.group(2) if match else None


def _is_account_principal(element: Any, principal: Mapping[str, str]) -> bool:
    """The statement names the caller only through its account (KMS: delegation to IAM)."""
    if not isinstance(element, Mapping) or "AWS" not in principal or principal["AWS"] in _listed(element.get("AWS", [])):
        return False
    return any(isinstance(v, str) and _is_account(v) for v in _listed(element.get("AWS", [])))


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _applies(statement: Mapping, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    if "Action" in statement:
        if not any(_wildcard(pattern, action, ignore_case=True) for pattern in _listed(statement["Action"])):
            return False
    elif any(_wildcard(pattern, action, ignore_case=True) for pattern in _listed(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_wildcard(_variables(pattern, context), resource) for pattern in _listed(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(_wildcard(_variables(pattern, context), resource) for pattern in _listed(statement["NotResource"])):
            return False
    return all(
        _condition(operator, key, _listed(expected), context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _variables(pattern: Any, context: Mapping[str, Any]) -> Any:
    """`${key}` in a Resource replaced by the request's value of that condition key."""
    if not isinstance(pattern, str) or "${" not in pattern:
        return pattern

    def value(match: re.Match) -> str:
        found = _lookup(context, match.group(1))
        if found is None or isinstance(found, (list, tuple)):
            raise Unsupported(f"policy variable ${{{match.group(1)}}} without a single value in the request context")
        return str(found)

    return re.sub(r"\$\{([\w:/-]+)\}", value, pattern)


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
    "AWS::QuickSight::DataSet": "arn:{p}:quicksight:{r}:{a}:dataset/{id}",
}


def render(
    value: Any,
    template: Mapping,
    names: Mapping[str, str] | None = None,
    stacks: Mapping[str, Mapping] | None = None,
    *,
    pseudo: Mapping[str, str] | None = None,
) -> Any:
    """`value` with every intrinsic replaced by a concrete string.

    A Ref to a resource renders as `names[logical id]` if given, else the logical id (the
    physical name CloudFormation would generate is as opaque to a policy as that); a GetAtt as
    `names["<logical id>.<attribute>"]` if given. A Fn::GetStackOutput (CDK's weak cross-stack
    reference) renders the output's value in its own template from `stacks` (stack name ->
    template), or `names["<stack>.<output>"]` (see `stack_outputs`), else "<stack.output>".
    `pseudo` overrides pseudo parameters, e.g. `{"AWS::Partition": "aws-cn", "AWS::URLSuffix":
    "amazonaws.com.cn"}`.
    """
    names = names or {}
    values = {**PSEUDO, **(pseudo or {})}
    resources = template.get("Resources", {})

    def again(item: Any, in_template: Mapping = template) -> Any:
        return render(item, in_template, names, stacks, pseudo=pseudo)

    if isinstance(value, list):
        return [again(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        ref = value["Ref"]
        if ref in values:
            return values[ref]
        if ref in template.get("Parameters", {}):
            return names.get(ref, f"{ref}-value")
        return names.get(ref, ref)
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        if f"{logical_id}.{attribute}" in names:
            return names[f"{logical_id}.{attribute}"]
        resource_type = resources.get(logical_id, {}).get("Type")
        if attribute == "Arn" and resource_type in ARN_FORMATS:
            return ARN_FORMATS[resource_type].format(
                p=values["AWS::Partition"], a=values["AWS::AccountId"], r=values["AWS::Region"], id=names.get(logical_id, logical_id)
            )
        return f"{names.get(logical_id, logical_id)}.{attribute}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(again(part)) for part in parts)
    if "Fn::Sub" in value:
        text, variables = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(again(variables[name]))
            if "." in name:
                return str(again({"Fn::GetAtt": name.split(".", 1)}))
            return str(again({"Ref": name}))

        return re.sub(r"\$\{([^}!]+)\}", substitute, text)
    if "Fn::GetStackOutput" in value:
        output = value["Fn::GetStackOutput"]
        stack, name = output["StackName"], output["OutputName"]
        if stacks and stack in stacks:
            return again(stacks[stack]["Outputs"][name]["Value"], stacks[stack])
        key = f"{stack}.{name}"
        return names.get(key, f"<{key}>")
    if "Fn::Select" in value:
        index, items = value["Fn::Select"]
        return again(items)[int(index)]
    return {key: again(item) for key, item in value.items()}


def role_policies(
    template: Mapping,
    role_logical_id: str,
    names: Mapping[str, str] | None = None,
    stacks: Mapping[str, Mapping] | None = None,
    *,
    pseudo: Mapping[str, str] | None = None,
) -> list[dict]:
    """Every identity policy document attached to a role in `template`, rendered.

    Covers customer-managed policies (`Roles` of AWS::IAM::ManagedPolicy, or the role's
    `ManagedPolicyArns` naming one of the template), inline policies (AWS::IAM::Policy and the
    role's `Policies`), not AWS-managed ones (pass those separately).
    """
    documents = []
    resources = template.get("Resources", {})
    role = resources[role_logical_id]["Properties"]

    def rendered(document: Mapping) -> Any:
        return render(document, template, names, stacks, pseudo=pseudo)

    for inline in role.get("Policies", []):
        documents.append(rendered(inline["PolicyDocument"]))
    for arn in role.get("ManagedPolicyArns", []):
        if isinstance(arn, dict) and resources.get(arn.get("Ref"), {}).get("Type") == "AWS::IAM::ManagedPolicy":
            documents.append(rendered(resources[arn["Ref"]]["Properties"]["PolicyDocument"]))
    for resource in resources.values():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            attached = resource["Properties"].get("Roles", [])
            if {"Ref": role_logical_id} in attached:
                documents.append(rendered(resource["Properties"]["PolicyDocument"]))
    return documents


def stack_outputs(
    stack_name: str, template: Mapping, names: Mapping[str, str] | None = None, pseudo: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`{"<stack>.<output>": rendered value}` for every output of `template` (rendered with
    `names`): pass it as `names` when rendering a stack that reads those outputs through
    Fn::GetStackOutput."""
    return {
        f"{stack_name}.{name}": render(output["Value"], template, names, pseudo=pseudo)
        for name, output in template.get("Outputs", {}).items()
    }
