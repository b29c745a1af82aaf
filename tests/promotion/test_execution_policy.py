"""The CloudFormation execution policy `make bootstrap-account` generates for `cdk bootstrap
--cloudformation-execution-policies` (bootstrap/execution_policy.py, from the stages of cdk.json
synthesized at that time: no committed copy) allows exactly what the stages' resource types need.
Checked here on the session's dev, prod and ephemeral synths, whatever the configuration names.

"Needs" is AWS's data: the handler permissions of each type's CloudFormation registry schema
(CloudFormation CLI User Guide, "Resource type schema": `handlers` lists "the permissions
required" by create, read, update, delete and list), bundled by cfn-lint, plus the few entries
of bootstrap/extra-permissions.json (types without a registry schema, and Fn::GetStackOutput,
whose RoleArn "defaults to the current stack's execution role": CloudFormation Template
Reference, Fn::GetStackOutput). Limits: IAM User Guide, "IAM and AWS STS quotas" (managed policy
size 6,144 characters, 10 managed policies per role by default).
"""
import json
import uuid

import pytest

from bootstrap import execution_policy as ep
from tests.aws_contracts.iam_policy import ACCOUNT, allows
from tests.helpers import CDK_CONTEXT

CONTEXT = {"aws:PrincipalAccount": ACCOUNT}


def templates(*synths) -> list[dict]:
    return [synth.template_json(stack) for synth in synths for stack in synth.stacks]


def resource_for(action: str, prefix: str) -> str:
    """A resource of the stage `prefix` that `action` acts on, named the way CloudFormation names it."""
    if action == "iam:CreateServiceLinkedRole":
        return f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRCleanup"
    if action.startswith("iam:"):
        return f"arn:aws:iam::{ACCOUNT}:role/{prefix}-pipeline-ClusterFunctionServiceRole-AbCdEf"
    if action == "cloudformation:DescribeStacks":
        return f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/{prefix}-storage/0f1e2d3c"
    if action == "lambda:InvokeFunction":
        return f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{prefix}-storage-CustomS3AutoDeleteObjectsCu-AbCdEf"
    return f"arn:aws:{action.split(':')[0]}:eu-west-1:{ACCOUNT}:{prefix}-thing"


def refused(policy: list[dict], needed: dict[str, set[str]], prefix: str) -> dict[str, set[str]]:
    return {a: types for a, types in needed.items() if not allows(policy, a, resource_for(a, prefix), CONTEXT)}


@pytest.fixture(scope="module")
def needed(dev, prod, ephemeral) -> dict[str, set[str]]:
    return ep.needs(templates(dev, prod, ephemeral))


@pytest.fixture(scope="module")
def policy(dev, needed) -> list[dict]:
    """What `make bootstrap-account` would generate from these stages."""
    return ep.documents(needed, dev.settings.project)


def test_bootstrap_generates_the_policy_from_every_stage_and_an_ephemeral_stage_of_each(dev, prod, ephemeral, monkeypatch):
    """bootstrap/app.py's `generate` synthesizes each stage of cdk.json and one derived from each
    (-c base_stage), whose kind the e2e runs deploy, and packs what their templates need."""
    contexts = ep.stage_contexts(CDK_CONTEXT)
    shipped = [c["stage"] for c in contexts.values() if "base_stage" not in c]
    derived = [c["base_stage"] for c in contexts.values() if "base_stage" in c]
    assert shipped == derived == list(CDK_CONTEXT["stages"])
    by_stage = {s.stage: s for s in (dev, prod)}
    # Each ephemeral context stands in for the session's ephemeral synth (derived from prod) here.
    monkeypatch.setattr(ep, "synthesize", lambda c: templates(ephemeral if "base_stage" in c else by_stage[c["stage"]]))
    assert ep.generate(CDK_CONTEXT) == ep.documents(ep.needs(templates(dev, prod, ephemeral)), CDK_CONTEXT["project"])


def test_the_policy_allows_every_action_the_resource_types_of_dev_prod_and_ephemeral_stages_need(dev, prod, ephemeral, needed, policy):
    assert len(ep.resource_types(templates(dev, prod, ephemeral))) > 40
    assert refused(policy, needed, dev.settings.prefix) == {}
    for synth in (prod, ephemeral):  # the actions scoped to resource names, with each stage's own names
        named = {a: t for a, t in ep.needs(templates(synth)).items() if ep.scope(a, synth.settings.project) != ["*"]}
        assert named and refused(policy, named, synth.settings.prefix) == {}


def test_the_policy_allows_nothing_the_stages_do_not_need(needed, policy):
    allowed = {action for document in policy for statement in document["Statement"] for action in statement["Action"]}
    assert allowed - set(needed) == set(), "actions no resource type of any stage needs"
    assert all(statement["Effect"] == "Allow" and "*" not in "".join(statement["Action"])
               for document in policy for statement in document["Statement"])


def test_the_policy_fits_iams_managed_policy_quotas(policy):
    assert 1 <= len(policy) <= ep.MAX_POLICIES
    assert all(ep._length(document) <= ep.MAX_POLICY_CHARACTERS for document in policy)


def test_a_new_resource_type_gets_its_permissions_from_its_schema(dev, needed, policy):
    """A stack that adds a DynamoDB table: the stages' policy does not allow it, the one generated
    with it does."""
    table = ep.needs([{"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}}}}])
    missing = refused(policy, table, dev.settings.prefix)
    assert "dynamodb:CreateTable" in missing and missing["dynamodb:CreateTable"] == {"AWS::DynamoDB::Table"}
    regenerated = ep.documents({**needed, **table}, dev.settings.project)
    assert refused(regenerated, table, dev.settings.prefix) == {}, "generating the policy covers it"


def test_a_type_without_handler_permissions_is_named_in_one_line():
    unknown = f"AWS::Nope{uuid.uuid4().hex[:8]}::Thing"
    with pytest.raises(ValueError, match=rf"^{unknown}: its CloudFormation schema lists no handler permissions; add it to bootstrap/extra-permissions.json"):
        ep.needs([{"Resources": {"X": {"Type": unknown}}}])


def test_iam_writes_reach_only_the_projects_own_roles_and_service_linked_roles(dev, policy):
    project, prefix = dev.settings.project, dev.settings.prefix
    assert allows(policy, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/{prefix}-emr-RolesInstanceRole-AbC", CONTEXT)
    for foreign in (f"arn:aws:iam::{ACCOUNT}:role/Admin{uuid.uuid4().hex[:6]}", f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-x",
                    f"arn:aws:iam::444455556666:role/{project}-dev-x"):
        for action in ("iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole", "iam:UpdateAssumeRolePolicy"):
            assert not allows(policy, action, foreign, CONTEXT), (action, foreign)
    assert not allows(policy, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/{project}-x", CONTEXT)
    assert not allows(policy, "sts:AssumeRole", "*", CONTEXT) and not allows(policy, "organizations:LeaveOrganization", "*", CONTEXT)


def test_the_extra_permissions_each_say_why():
    entries = [*ep.EXTRA["resource_types"].values(), *ep.EXTRA["intrinsics"].values()]
    assert all(len(entry["reason"]) > 40 and isinstance(entry["actions"], list) for entry in entries)
