"""parliament (1.6.4, https://github.com/duo-labs/parliament) over every policy document the
stacks synthesize: identity policies, inline and managed, role trust policies, key, bucket,
topic and queue policies. It checks each statement against AWS's service authorization data
(the Service Authorization Reference, bundled as parliament/iam_definition.json, which
parliament 1.6.4 took from AWS on 2025-04-25): that every action exists, that each Resource
matches a resource type of the actions it is given to, and that each condition key is valid for
them. It runs offline.

parliament 1.6.4 still imports setuptools' pkg_resources, which the project's environment does
not have (setuptools is not a dependency): the two paths it asks for come from importlib.resources
instead.
"""
from __future__ import annotations

import importlib.resources
import json
import sys
import types
from collections.abc import Iterator

from tests.aws_contracts.iam_policy import render

POLICY_PROPERTIES = {
    "AWS::IAM::ManagedPolicy": ["PolicyDocument"],
    "AWS::IAM::Policy": ["PolicyDocument"],
    "AWS::IAM::Role": ["AssumeRolePolicyDocument"],
    "AWS::KMS::Key": ["KeyPolicy"],
    "AWS::S3::BucketPolicy": ["PolicyDocument"],
    "AWS::SNS::TopicPolicy": ["PolicyDocument"],
    "AWS::SQS::QueuePolicy": ["PolicyDocument"],
}


def _parliament():
    if "pkg_resources" not in sys.modules:
        shim = types.ModuleType("pkg_resources")
        shim.resource_filename = lambda package, name: str(importlib.resources.files(package) / name)
        sys.modules["pkg_resources"] = shim
    import parliament

    return parliament


# Resources whose Ref is their ARN, or whose Arn attribute iam_policy.render has no format for.
REF_IS_ARN = {"AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{id}", "AWS::SecretsManager::Secret": "arn:aws:secretsmanager:{r}:{a}:secret:{id}-AbCdEf"}
ARN_ATTRIBUTE = {"AWS::EMR::Studio": "arn:aws:elasticmapreduce:{r}:{a}:studio/es-{id}"}


def _names(synth) -> dict[str, str]:
    from tests.aws_contracts.iam_policy import ACCOUNT, REGION

    names = {}
    for short in synth.stacks:
        for logical_id, resource in synth.template_json(short)["Resources"].items():
            if fmt := REF_IS_ARN.get(resource["Type"]):
                names[logical_id] = fmt.format(r=REGION, a=ACCOUNT, id=logical_id)
            if fmt := ARN_ATTRIBUTE.get(resource["Type"]):
                names[f"{logical_id}.Arn"] = fmt.format(r=REGION, a=ACCOUNT, id=logical_id)
    return names


def documents(synth) -> Iterator[tuple[str, str, dict]]:
    """(stack, '<logical id>.<property>', rendered document) of every policy of the stage."""
    stacks = {stack.stack_name: synth.template_json(short) for short, stack in synth.stacks.items()}
    names = _names(synth)
    for short, stack in synth.stacks.items():
        template = synth.template_json(short)
        for logical_id, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            for prop in POLICY_PROPERTIES.get(resource["Type"], []):
                if prop in props:
                    yield short, f"{logical_id}.{prop}", render(props[prop], template, names, stacks)
            if resource["Type"] == "AWS::IAM::Role":
                for inline in props.get("Policies", []):
                    yield short, f"{logical_id}.Policies.{inline['PolicyName']}", render(inline["PolicyDocument"], template, names, stacks)


def findings(document: dict) -> list[dict]:
    parliament = _parliament()
    policy = parliament.analyze_policy_string(json.dumps(document), include_community_auditors=False)
    return [{"issue": f.issue, "detail": f.detail, "location": f.location} for f in policy.findings]
