"""The CloudFormation execution policy of `cdk bootstrap --cloudformation-execution-policies`,
derived from the stages' templates instead of the bootstrap's default AdministratorAccess.

What each resource type needs is AWS's own data: the CloudFormation registry schema of every
type lists the permissions of its create, read, update and delete handlers ("Resource type
schema", CloudFormation CLI User Guide; cfn-lint ships the schemas of every region). The few
types and intrinsics the schemas do not cover are in bootstrap/extra-permissions.json, each with
its reason. The policy allows exactly those actions: IAM writes only on the project's own roles,
policies and instance profiles (CloudFormation names them after the stack, `<project>-<stage>-...`),
service-linked roles only under aws-service-role/, and everything else on any resource.

    python -m bootstrap.execution_policy cdk.out/dev cdk.out/prod cdk.out/pr1 > bootstrap/execution-policy.json

The file is a list of policy documents, each within IAM's 6,144-character limit for a managed
policy; bootstrap/app.py creates one managed policy per document. tests/promotion checks the
shipped file against the synthesized dev, prod and ephemeral templates.
"""
from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Iterable, Mapping

HERE = Path(__file__).parent
EXTRA = json.loads((HERE / "extra-permissions.json").read_text())
POLICY_FILE = HERE / "execution-policy.json"
HANDLERS = ("create", "read", "update", "delete")
# IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): a managed policy holds at most 6,144
# characters, whitespace not counted; a role has at most 10 managed policies by default.
MAX_POLICY_CHARACTERS = 6144
MAX_POLICIES = 10
CUSTOM = "Custom::"
ACCOUNT = "${aws:PrincipalAccount}"


def templates_of(assembly_dirs: Iterable[str | Path]) -> list[dict]:
    return [json.loads(path.read_text()) for d in assembly_dirs for path in sorted(Path(d).glob("*.template.json"))]


def resource_types(templates: Iterable[Mapping]) -> set[str]:
    return {resource["Type"] for template in templates for resource in template.get("Resources", {}).values()}


def intrinsics(templates: Iterable[Mapping]) -> set[str]:
    text = "".join(json.dumps(template) for template in templates)
    return {name for name in EXTRA["intrinsics"] if f'"{name}"' in text}


@functools.cache
def _schema_permissions(type_name: str) -> list[str] | None:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    from cfnlint.schema import ResourceNotFoundError

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema
    except ResourceNotFoundError:
        return None
    handlers = schema.get("handlers")
    if not handlers:
        return None
    return [permission for handler in HANDLERS for permission in handlers.get(handler, {}).get("permissions", [])]


def needs(templates: Iterable[Mapping]) -> dict[str, set[str]]:
    """Action -> the resource types (or intrinsics) of the templates that need it."""
    templates = list(templates)
    found: dict[str, set[str]] = {}
    for type_name in sorted(resource_types(templates)):
        key = CUSTOM if type_name.startswith(CUSTOM) or type_name == "AWS::CloudFormation::CustomResource" else type_name
        actions = EXTRA["resource_types"][key]["actions"] if key in EXTRA["resource_types"] else _schema_permissions(type_name)
        if actions is None:
            raise ValueError(
                f"{type_name}: its CloudFormation schema lists no handler permissions; add it to bootstrap/extra-permissions.json with its actions and why"
            )
        for action in actions:
            found.setdefault(action, set()).add(type_name)
    for name in intrinsics(templates):
        for action in EXTRA["intrinsics"][name]["actions"]:
            found.setdefault(action, set()).add(name)
    return found


def scope(action: str, project: str) -> list[str]:
    """The resources `action` is allowed on."""
    service = action.split(":")[0]
    if action == "iam:CreateServiceLinkedRole":
        return [f"arn:*:iam::{ACCOUNT}:role/aws-service-role/*"]
    if service == "iam":
        return [f"arn:*:iam::{ACCOUNT}:{kind}/{project}-*" for kind in ("role", "policy", "instance-profile", "user", "group")]
    if action == "cloudformation:DescribeStacks":
        return [f"arn:*:cloudformation:*:{ACCOUNT}:stack/{project}-*/*"]
    if action == "lambda:InvokeFunction":
        return [f"arn:*:lambda:*:{ACCOUNT}:function:{project}-*"]
    return ["*"]


def _length(document: Mapping) -> int:
    return len(re.sub(r"\s", "", json.dumps(document)))


def documents(actions: Iterable[str], project: str) -> list[dict]:
    """One statement per service and scope, packed into as few managed policies as fit."""
    statements: dict[tuple, dict] = {}
    for action in sorted(set(actions), key=str.lower):
        resources = scope(action, project)
        service = action.split(":")[0]
        sid = re.sub(r"[^A-Za-z0-9]", "", service.title()) + ("" if resources == ["*"] else "OwnResources")
        if action == "iam:CreateServiceLinkedRole":
            sid = "IamServiceLinkedRoles"
        statement = statements.setdefault((sid, tuple(resources)), {"Sid": sid, "Effect": "Allow", "Action": [], "Resource": resources})
        statement["Action"].append(action)
    packed: list[dict] = []
    for statement in statements.values():
        if packed and _length({**packed[-1], "Statement": [*packed[-1]["Statement"], statement]}) <= MAX_POLICY_CHARACTERS:
            packed[-1]["Statement"].append(statement)
        else:
            packed.append({"Version": "2012-10-17", "Statement": [statement]})
    return packed


def project_of(cdk_json: Path = HERE.parent / "cdk.json") -> str:
    return json.loads(cdk_json.read_text())["context"]["project"]


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit("usage: python -m bootstrap.execution_policy ASSEMBLY_DIR... (the synthesized dev, prod and an ephemeral stage)")
    print(json.dumps(documents(needs(templates_of(argv)), project_of()), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
