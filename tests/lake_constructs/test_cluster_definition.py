"""One cluster definition, two renderings: the long-running AWS::EMR::Cluster and the transient
cluster's RunJobFlow request hold the same settings, field by field."""
import copy
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_emr as emr

from lake_config.emr_settings import EmrSettings, KerberosSettings
from lake_constructs.processing.cluster_definition import (
    ClusterInputs,
    cloudformation_properties,
    cluster_request,
    jsii_keyword_arguments,
)
from tests.aws_contracts.iam_policy import render
from tests.orchestration.harness import all_templates, state_machine_definition

INPUTS = ClusterInputs(
    name="lake-test",
    service_role_arn="arn:aws:iam::111122223333:role/service",
    instance_profile_name="instance-profile",
    security_configuration_name="lake-test-emr",
    subnet_ids=["subnet-0a", "subnet-0b"],
    primary_security_group_id="sg-primary",
    core_security_group_id="sg-core",
    service_access_security_group_id="sg-service",
    log_uri="s3://logs/emr/",
    log_key_arn="arn:aws:kms:eu-west-1:111122223333:key/k",
    tags={"project": "lake", "stage": "test"},
)
PASSWORD_REFERENCE = "{{resolve:secretsmanager:kdc:SecretString:::}}"
FLEET_TYPES = {"MasterInstanceFleet": "MASTER", "CoreInstanceFleet": "CORE"}


def as_run_job_flow(properties: dict) -> dict:
    """CloudFormation's AWS::EMR::Cluster properties in RunJobFlow's shape, written independently of
    cluster_definition.cloudformation_properties (the inverse of the documented differences)."""
    request = copy.deepcopy(properties)
    kerberos = request["KerberosAttributes"]
    assert kerberos.pop("KdcAdminPassword") == PASSWORD_REFERENCE
    instances = request["Instances"]
    fleets = [{"InstanceFleetType": FLEET_TYPES[key], **instances.pop(key)} for key in list(FLEET_TYPES) if key in instances]
    fleets += [{"InstanceFleetType": "TASK", **fleet} for fleet in instances.pop("TaskInstanceFleets", [])]
    instances["InstanceFleets"] = fleets

    def configuration(c: dict) -> dict:
        out = {"Classification": c["Classification"]}
        if "ConfigurationProperties" in c:
            out["Properties"] = c["ConfigurationProperties"]
        if "Configurations" in c:
            out["Configurations"] = [configuration(inner) for inner in c["Configurations"]]
        return out

    request["Configurations"] = [configuration(c) for c in request["Configurations"]]
    return request


def synthesized_cluster(settings: EmrSettings) -> tuple[dict, dict]:
    """The request, and the AWS::EMR::Cluster CDK writes from it, for the same settings."""
    request = cluster_request(settings, INPUTS)
    stack = cdk.Stack(cdk.App(), "Definition")
    emr.CfnCluster(stack, "Cluster", **jsii_keyword_arguments(cloudformation_properties(request, kdc_admin_password=PASSWORD_REFERENCE)))
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return request, template["Resources"]["Cluster"]["Properties"]


def leaves(node, path=""):
    """Every scalar with its path; tags in key order (CloudFormation sorts them, EMR ignores order)."""
    if isinstance(node, dict) and "Tags" in node and path == "":
        node = {**node, "Tags": sorted(node["Tags"], key=lambda tag: tag["Key"])}
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, f"{path}[{index}]")
    else:
        yield path, node


@pytest.mark.parametrize("mode", ["long_running", "transient"])
def test_the_cloudformation_rendering_holds_every_field_of_the_request(mode):
    settings = EmrSettings(mode=mode, termination_protection=mode == "long_running")
    request, properties = synthesized_cluster(settings)
    back = as_run_job_flow(properties)
    assert dict(leaves(back)) == dict(leaves(request)), "a field differs or CDK dropped one"
    assert len(dict(leaves(request))) > 100, "the comparison covers the whole definition"


def test_the_comparison_catches_a_dropped_field():
    request, properties = synthesized_cluster(EmrSettings())
    del properties["Instances"]["TaskInstanceFleets"][0]["ResizeSpecifications"]
    assert dict(leaves(as_run_job_flow(properties))) != dict(leaves(request))


def test_prods_cluster_is_exactly_the_rendering_of_its_definition(prod):
    stack = prod.stacks["emr"]
    (cluster,) = [r for r in prod.template_json("emr")["Resources"].values() if r["Type"] == "AWS::EMR::Cluster"]
    expected = stack.resolve(
        cloudformation_properties(stack.cluster.request, kdc_admin_password=stack.cluster.kdc_admin_password.secret_value.unsafe_unwrap())
    )
    assert dict(leaves(cluster["Properties"])) == dict(leaves(expected))


def test_devs_pipeline_creates_exactly_the_request_of_its_definition(dev):
    stack = dev.stacks["emr"]
    templates = all_templates(dev)
    definition = state_machine_definition(dev, "pipeline", "Pipeline", {})
    sent = definition["States"]["CreateCluster"]["Branches"][0]["States"]["RunJobFlow"]["Parameters"]["Payload"]["Request"]
    defined = render(stack.resolve(stack.cluster.request), dev.template_json("emr"), {}, templates)
    assert dict(leaves(sent)) == dict(leaves(defined))
    assert "KdcAdminPassword" not in json.dumps(sent)


def test_three_primary_nodes_render_as_emr_requires_them():
    settings = EmrSettings(
        primary_nodes=3,
        kerberos=KerberosSettings(
            provider="external", realm="CORP.EXAMPLE.COM", kdc_server="kdc.corp.example.com", admin_server="kdc.corp.example.com:749",
            admin_password_secret_arn="arn:aws:secretsmanager:eu-west-1:111122223333:secret:kdc-admin-AbCdEf",
        ),
    )
    request = cluster_request(settings, INPUTS)
    (primary,) = [f for f in request["Instances"]["InstanceFleets"] if f["InstanceFleetType"] == "MASTER"]
    # "Launch an Amazon EMR Cluster with multiple primary nodes": 3 on-demand, 0 spot, weight 1 each.
    assert primary["TargetOnDemandCapacity"] == 3 and "TargetSpotCapacity" not in primary
    assert {t["WeightedCapacity"] for t in primary["InstanceTypeConfigs"]} == {1}
    assert request["Instances"]["TerminationProtected"] is True and "AutoTerminationPolicy" not in request
    assert request["KerberosAttributes"] == {"Realm": "CORP.EXAMPLE.COM"}
    factory = {c["Classification"]: c["Properties"]["hive.metastore.client.factory.class"] for c in request["Configurations"]}
    assert set(factory) == {"hive-site", "spark-hive-site"} and all("AWSGlueDataCatalogHiveClientFactory" in f for f in factory.values())


def test_applications_are_a_parameter_of_the_definition():
    request = cluster_request(EmrSettings(), INPUTS, applications=("Hadoop", "Hive", "Spark", "Livy", "JupyterEnterpriseGateway"))
    assert [a["Name"] for a in request["Applications"]][-2:] == ["Livy", "JupyterEnterpriseGateway"]


def test_the_cluster_carries_the_tag_the_v2_service_policy_requires():
    tags = cluster_request(EmrSettings(), INPUTS)["Tags"]
    assert {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"} in tags
    assert {"Key": "stage", "Value": "test"} in tags and {"Key": "project", "Value": "lake"} in tags
