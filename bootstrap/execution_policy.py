"""The CloudFormation execution policy of `cdk bootstrap --cloudformation-execution-policies`,
derived from the stages' templates instead of the bootstrap's default AdministratorAccess.

What each resource type needs is AWS's own data: the CloudFormation registry schema of every
type lists the permissions of its create, read, update and delete handlers ("Resource type
schema", CloudFormation CLI User Guide; cfn-lint ships the schemas of every region). The few
types and intrinsics the schemas do not cover are in bootstrap/extra-permissions.json, each with
its reason. The policy allows exactly those actions: IAM writes only on the project's own roles,
policies and instance profiles (CloudFormation names them after the stack, `<project>-<stage>-...`),
service-linked roles only under aws-service-role/, and everything else on any resource.

Nothing is committed: `make bootstrap-account` generates the policy from the configuration it
runs with (bootstrap/app.py calls `generate`), synthesizing in-process every stage of cdk.json
and an ephemeral stage derived from each (the e2e runs' kind), so a fork's policy names its
project and covers its components. To read it first:

    python -m bootstrap.execution_policy                          # from cdk.json, synthesizing
    python -m bootstrap.execution_policy cdk.out/dev cdk.out/pr1  # from assemblies already synthesized

The output is a list of policy documents, each within IAM's 6,144-character limit for a managed
policy; bootstrap/app.py creates one managed policy per document. tests/promotion checks the
generator against the synthesized dev, prod and ephemeral templates.
"""
from __future__ import annotations

import functools
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

HERE = Path(__file__).parent
EXTRA = json.loads((HERE / "extra-permissions.json").read_text())
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


def stage_contexts(context: Mapping) -> dict[str, dict]:
    """The contexts to synthesize for the policy: each stage of cdk.json and an ephemeral stage
    derived from it (`-c stage=<e2e name> -c base_stage=<stage>`), named as CI names its runs."""
    from lake_config.names import ephemeral_stage_name

    found = {}
    for stage, values in context["stages"].items():
        found[stage] = {**context, "stage": stage}
        ephemeral = ephemeral_stage_name(values.get("project", context["project"]), "pr", 1, values.get("region"))
        found[f"{ephemeral} (from {stage})"] = {**context, "stage": ephemeral, "base_stage": stage}
    return found


def synthesize(context: Mapping) -> list[dict]:
    """The templates of one stage, synthesized in-process (no nag packs: they add no resources)."""
    import aws_cdk as cdk

    from lake_config import load_settings
    from stacks.stage import build_stacks

    with tempfile.TemporaryDirectory(prefix=f"execution-policy-{context['stage']}-") as outdir:
        # post_cli_context: under `cdk synth --app "python -m bootstrap.app"` the CLI's own context
        # (-c stage=..., in CDK_CONTEXT_JSON) would otherwise override this stage's.
        app = cdk.App(post_cli_context=dict(context), outdir=outdir)
        build_stacks(app, load_settings(dict(context)))
        app.synth()
        return templates_of([outdir])


def generate(context: Mapping) -> list[dict]:
    """The policy documents for the configuration `context` (cdk.json's)."""
    templates = [template for stage_context in stage_contexts(context).values() for template in synthesize(stage_context)]
    return documents(needs(templates), context["project"])


def cdk_context(cdk_json: Path = HERE.parent / "cdk.json") -> dict:
    return json.loads(cdk_json.read_text())["context"]


def main(argv: list[str]) -> int:
    if argv:
        policy = documents(needs(templates_of(argv)), cdk_context()["project"])
    else:
        policy = generate(cdk_context())
    print(json.dumps(policy, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
