"""Builds the finding IDs cdk-nag reports, so acknowledgments name one exact finding."""
import json
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct


# The packs that name each control `<pack>-<Rule>`; AwsSolutions has its own short ids.
FRAMEWORK_PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def framework_rule_ids(rule: str) -> tuple[str, ...]:
    """`rule` (e.g. `S3BucketReplicationEnabled`) as the HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 packs name it."""
    return tuple(f"{pack}-{rule}" for pack in FRAMEWORK_PACKS)


def iam5_resource(scope: IConstruct, resource: str) -> str:
    """`AwsSolutions-IAM5[Resource::<resource as cdk-nag prints it>]`.

    cdk-nag renders intrinsics in resource ARNs as `<AWS::Region>` for a Ref and
    `<Logical.Attr>` for a GetAtt; anything else stays JSON.
    """
    return f"AwsSolutions-IAM5[Resource::{_render(Stack.of(scope).resolve(resource))}]"


def iam5_action(action: str) -> str:
    return f"AwsSolutions-IAM5[Action::{action}]"


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    return json.dumps(value, separators=(",", ":"))
