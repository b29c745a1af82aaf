"""Builds the finding IDs cdk-nag reports, so acknowledgments name one exact finding."""
import json
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct


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
