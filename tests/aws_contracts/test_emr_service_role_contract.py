"""AWS's side of launching the cluster: the real AmazonEMRServicePolicy_v2 text plus the service
role's customer policies, evaluated against the EC2 and IAM requests EMR makes for this cluster,
carrying exactly the tags the synthesized cluster, subnets and security groups carry."""
import json

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render, role_policies

# The copy moto ships, and the version of it these tests were written against: when a moto
# upgrade brings a newer policy, this fails and the launch contract below is re-read.
SERVICE_POLICY = json.loads(aws_managed_policies_data)["AmazonEMRServicePolicy_v2"]
SERVICE_POLICY_UPDATE_DATE = "2026-02-12T18:01:09+00:00"
SERVICE_POLICY_VERSION = "v6"
EMR_TAG_KEY = "for-use-with-amazon-emr-managed-policies"
EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"


def test_the_pinned_policy_version_is_the_one_evaluated():
    assert (SERVICE_POLICY["UpdateDate"], SERVICE_POLICY["DefaultVersionId"]) == (SERVICE_POLICY_UPDATE_DATE, SERVICE_POLICY_VERSION)


def resources_of(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def tags(resource: dict) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in resource["Properties"].get("Tags", [])}


class Launch:
    """The cluster as EMR sees it when it launches: its tags, subnets, groups and service role."""

    def __init__(self, synth):
        emr = synth.template_json("emr")
        network = synth.template_json("network")
        # The long-running cluster, or in transient mode (dev) the one the pipeline creates.
        self.cluster = {"Properties": synth.emr_cluster_properties()}
        props = self.cluster["Properties"]
        self.cluster_tags = tags(self.cluster)
        self.subnet_tags = []
        for subnet_id in props["Instances"]["Ec2SubnetIds"]:
            output = network["Outputs"][subnet_id["Fn::GetStackOutput"]["OutputName"]]
            self.subnet_tags.append(tags(network["Resources"][output["Value"]["Ref"]]))
        instances = props["Instances"]
        self.group_tags = {
            key: tags(emr["Resources"][instances[key]["Fn::GetAtt"][0]])
            for key in ("EmrManagedMasterSecurityGroup", "EmrManagedSlaveSecurityGroup", "ServiceAccessSecurityGroup")
        }
        (service_role,) = [k for k in resources_of(emr, "AWS::IAM::Role") if k.startswith("RolesServiceRole")]
        self.policies = [SERVICE_POLICY["Document"], *role_policies(emr, service_role)]
        managed = render(emr["Resources"][service_role]["Properties"]["ManagedPolicyArns"], emr)
        assert managed == ["arn:aws:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"]

    def request(self, action: str, resources: list[tuple[str, dict]], request_tags: dict) -> list[str]:
        """The resources of one request that the policies refuse (AWS needs every one allowed)."""
        request = {f"aws:RequestTag/{k}": v for k, v in request_tags.items()} | {"aws:TagKeys": list(request_tags)}
        refused = []
        for arn, resource_tags in resources:
            context = request | {f"aws:ResourceTag/{k}": v for k, v in resource_tags.items()}
            if not allows(self.policies, action, arn, context):
                refused.append(arn)
        return refused

    def network(self, groups=("EmrManagedMasterSecurityGroup", "EmrManagedSlaveSecurityGroup")) -> list[tuple[str, dict]]:
        subnets = [(f"{EC2}:subnet/subnet-{i}", t) for i, t in enumerate(self.subnet_tags)]
        return subnets + [(f"{EC2}:security-group/sg-{key}", self.group_tags[key]) for key in groups]


@pytest.fixture(scope="module", params=["dev", "prod"])
def launch(request) -> Launch:
    """Both modes: dev's transient cluster (created by the pipeline) and prod's long-running one."""
    return Launch(request.getfixturevalue(request.param))


def nodes(launch: Launch, tags: dict) -> list[tuple[str, dict]]:
    """What RunInstances and CreateFleet create and use for the nodes."""
    return [
        (f"{EC2}:instance/*", {}),
        (f"{EC2}:volume/*", {}),  # the nodes' root and EBS volumes
        (f"{EC2}:network-interface/*", {}),
        (f"arn:aws:ec2:{REGION}::image/ami-0123456789abcdef0", {}),
        (f"{EC2}:launch-template/lt-0123456789abcdef0", tags),  # EMR tags its templates like the cluster
        *launch.network(),
    ]


@pytest.mark.parametrize("action", ["ec2:RunInstances", "ec2:CreateFleet"])
def test_the_v2_policy_lets_emr_launch_the_nodes_with_the_clusters_tags(launch, action):
    assert launch.cluster_tags.get(EMR_TAG_KEY) == "true", "EMR copies the cluster's tags onto what it creates"
    resources = nodes(launch, launch.cluster_tags)
    if action == "ec2:CreateFleet":
        resources.append((f"{EC2}:fleet/*", {}))
    assert launch.request(action, resources, launch.cluster_tags) == []


def test_without_the_cluster_tag_the_launch_is_refused(launch):
    """The rule itself: tagging subnets and groups is not enough."""
    untagged = {k: v for k, v in launch.cluster_tags.items() if k != EMR_TAG_KEY}
    refused = launch.request("ec2:RunInstances", nodes(launch, untagged), untagged)
    assert f"{EC2}:instance/*" in refused and f"{EC2}:volume/*" in refused


def test_the_v2_policy_lets_emr_create_its_launch_templates(launch):
    resources = [(f"{EC2}:launch-template/*", {}), *launch.network()]
    assert launch.request("ec2:CreateLaunchTemplate", resources, launch.cluster_tags) == []


def test_the_v2_policy_lets_emr_create_the_service_access_interface(launch):
    resources = [(f"{EC2}:network-interface/*", {}), *launch.network(groups=("ServiceAccessSecurityGroup",))]
    assert launch.request("ec2:CreateNetworkInterface", resources, launch.cluster_tags) == []


def test_emr_may_tag_what_it_creates(launch):
    for created in ("instance/*", "volume/*", "network-interface/*", "launch-template/*"):
        for create_action in ("RunInstances", "CreateFleet", "CreateLaunchTemplate", "CreateNetworkInterface"):
            context = {"ec2:CreateAction": create_action} | {f"aws:RequestTag/{k}": v for k, v in launch.cluster_tags.items()}
            assert allows(launch.policies, "ec2:CreateTags", f"{EC2}:{created}", context), (created, create_action)


SPOT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot"


def test_the_service_role_may_create_the_spot_service_linked_role(launch):
    context = {"iam:AWSServiceName": "spot.amazonaws.com"}
    assert not allows([SERVICE_POLICY["Document"]], "iam:CreateServiceLinkedRole", SPOT_ROLE, context), "the v2 policy lacks it"
    assert allows(launch.policies, "iam:CreateServiceLinkedRole", SPOT_ROLE, context)
    other = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"
    assert not allows(launch.policies, "iam:CreateServiceLinkedRole", other, {"iam:AWSServiceName": "rds.amazonaws.com"})


PARTITIONS = {
    "aws": ({"AWS::Partition": "aws"}, "ec2.amazonaws.com"),
    "aws-cn": ({"AWS::Partition": "aws-cn", "AWS::Region": "cn-north-1", "AWS::URLSuffix": "amazonaws.com.cn"}, "ec2.amazonaws.com.cn"),
}


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_the_service_role_passes_the_instance_role_to_ec2_in_every_partition(stage, partition):
    pseudo, ec2_service = PARTITIONS[partition]
    emr = stage.template_json("emr")
    (service_role,) = [k for k in resources_of(emr, "AWS::IAM::Role") if k.startswith("RolesServiceRole")]
    (instance_role,) = [k for k in resources_of(emr, "AWS::IAM::Role") if k.startswith("RolesInstanceRole")]
    policies = role_policies(emr, service_role, pseudo=pseudo)
    role_arn = render({"Fn::GetAtt": [instance_role, "Arn"]}, emr, pseudo=pseudo)
    assert role_arn.startswith(f"arn:{partition}:iam::")
    assert allows(policies, "iam:PassRole", role_arn, {"iam:PassedToService": ec2_service})
    assert not allows(policies, "iam:PassRole", role_arn, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert not allows(policies, "iam:PassRole", role_arn.replace(instance_role, "SomeOtherRole"), {"iam:PassedToService": ec2_service})


def test_the_instance_profile_carries_its_roles_name(stage):
    """EMR: an instance profile whose name differs from its role's is not supported."""
    emr = stage.template_json("emr")
    (profile,) = resources_of(emr, "AWS::IAM::InstanceProfile").values()
    (role,) = profile["Properties"]["Roles"]
    assert profile["Properties"]["InstanceProfileName"] == role
