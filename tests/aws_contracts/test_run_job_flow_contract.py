"""AWS's side of RunJobFlow for the pipeline's cluster function: which role the caller passes to
which service, and the service-linked role EMR creates with the caller's rights.

AWS's own caller policy is the reference: AmazonEMRFullAccessPolicy_v2 (EMR Management Guide,
"IAM managed policy for full access (v2 managed default policy) for Amazon EMR",
https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-managed-policy-fullaccess-v2.html;
the document is also in the AWS Managed Policy Reference). Its statements, read here from the copy
moto bundles (v7, 2026-02-12, the version the reference shows), say:

* "PassRoleForElasticMapReduce": iam:PassRole on EMR_DefaultRole_V2 (the service role) with
  iam:PassedToService like "elasticmapreduce.amazonaws.com*";
* "PassRoleForEC2": iam:PassRole on EMR_EC2_DefaultRole (the instance profile's role) with
  iam:PassedToService like "ec2.amazonaws.com*";
* "ElasticMapReduceServiceLinkedRole": iam:CreateServiceLinkedRole on
  role/aws-service-role/elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup* with
  iam:AWSServiceName elasticmapreduce.amazonaws.com(.cn): "If the service-linked role doesn't
  exist, Amazon EMR automatically creates it during cluster creation" (EMR Management Guide,
  "Using service-linked roles for Amazon EMR for cleanup",
  https://docs.aws.amazon.com/emr/latest/ManagementGuide/using-service-linked-roles-cleanup.html).

The roles are the exact ARNs of the stage's EMR stack, the ones the cluster request names
(ServiceRole, and the role of the JobFlowRole instance profile); the caller's policies are
rendered from the pipeline template with the EMR stack's outputs.
"""
import json

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.aws_contracts.iam_policy import ACCOUNT, allows, render, role_policies
from tests.orchestration.harness import all_templates

AWS_CALLER_POLICY = json.loads(aws_managed_policies_data)["AmazonEMRFullAccessPolicy_v2"]["Document"]
# AWS's default role names in its caller policy, and the request field that names each.
AWS_DEFAULT_ROLES = {"ServiceRole": "EMR_DefaultRole_V2", "JobFlowRole": "EMR_EC2_DefaultRole"}
# Every service a role could be passed to in this project (and a stranger).
SERVICES = ("elasticmapreduce.amazonaws.com", "elasticmapreduce.amazonaws.com.cn", "ec2.amazonaws.com",
            "ec2.amazonaws.com.cn", "glue.amazonaws.com", "lambda.amazonaws.com")


def aws_services_for(role_name: str) -> set[str]:
    """The services AWS's own caller policy passes its default role `role_name` to."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    return {s for s in SERVICES if allows([AWS_CALLER_POLICY], "iam:PassRole", arn, {"iam:PassedToService": s})}


def requested_roles(synth) -> dict[str, str]:
    """{"ServiceRole": ARN, "JobFlowRole": ARN of the instance profile's role} of the cluster request."""
    emr = synth.template_json("emr")
    request = synth.emr_cluster_properties()
    (profile_role,) = emr["Resources"][request["JobFlowRole"]["Ref"]]["Properties"]["Roles"]
    return {"ServiceRole": render(request["ServiceRole"], emr), "JobFlowRole": render({"Fn::GetAtt": [profile_role["Ref"], "Arn"]}, emr)}


def caller_policies(synth) -> list[dict]:
    template = synth.template_json("pipeline")
    (role,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role" and k.startswith("ClusterFunctionRole")]
    return role_policies(template, role, {}, all_templates(synth))


@pytest.fixture
def transient(dev):
    assert dev.settings.emr.mode == "transient", "dev's pipeline creates its clusters (cdk.json)"
    return dev


def test_aws_passes_the_service_role_to_emr_and_the_instance_role_to_ec2():
    """The reference itself, so the test below cannot pass on a misread of it."""
    assert aws_services_for("EMR_DefaultRole_V2") == {"elasticmapreduce.amazonaws.com", "elasticmapreduce.amazonaws.com.cn"}
    assert aws_services_for("EMR_EC2_DefaultRole") == {"ec2.amazonaws.com", "ec2.amazonaws.com.cn"}


def test_the_cluster_function_passes_each_role_to_the_service_aws_passes_it_to(transient):
    policies = caller_policies(transient)
    roles = requested_roles(transient)
    assert roles["ServiceRole"] != roles["JobFlowRole"]
    for field, arn in roles.items():
        passed = {s for s in SERVICES if allows(policies, "iam:PassRole", arn, {"iam:PassedToService": s})}
        assert passed == aws_services_for(AWS_DEFAULT_ROLES[field]), field
    # Exactly these two roles: no other role of the account, and no role whose ARN merely starts like one.
    for arn in roles.values():
        for other in (arn + "X", arn.rsplit("/", 1)[0] + "/SomeOtherRole", f"arn:aws:iam::{ACCOUNT}:role/Admin"):
            assert not any(allows(policies, "iam:PassRole", other, {"iam:PassedToService": s}) for s in SERVICES), other


# The cleanup role EMR creates at the first cluster of an account, as each partition spells it.
CLEANUP_ROLES = {
    "elasticmapreduce.amazonaws.com": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRCleanup",
    "elasticmapreduce.amazonaws.com.cn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticmapreduce.amazonaws.com.cn/AWSServiceRoleForEMRCleanup",
}


def test_the_cluster_function_may_create_emrs_cleanup_role_as_aws_allows_and_nothing_else(transient):
    policies = caller_policies(transient)
    for service, arn in CLEANUP_ROLES.items():
        request = {"iam:AWSServiceName": service}
        assert allows([AWS_CALLER_POLICY], "iam:CreateServiceLinkedRole", arn, request), "the request is the one AWS's policy covers"
        assert allows(policies, "iam:CreateServiceLinkedRole", arn, request), service
        assert not allows(policies, "iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": "ec2.amazonaws.com"})
    other = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRWAL"
    assert not allows(policies, "iam:CreateServiceLinkedRole", other, {"iam:AWSServiceName": "elasticmapreduce.amazonaws.com"})
