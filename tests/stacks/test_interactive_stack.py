"""The interactive cluster EMR Studio attaches to: what it runs, how it is secured without
Kerberos, and what its roles may do, evaluated against the requests its sessions make."""
import copy
import json

import pytest

from compliance.emr_security_baseline import security_configuration_problems
from lake_constructs.processing.cluster_definition import APPLICATIONS, STUDIO_APPLICATIONS, cluster_applications
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render, role_policies

KERBEROS_RULES = {"AwsSolutions-EMR6", "HIPAA.Security-EMRKerberosEnabled", "PCI.DSS.321-EMRKerberosEnabled"}


def resources(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def cluster_of(template: dict) -> dict:
    (cluster,) = resources(template, "AWS::EMR::Cluster").values()
    return cluster["Properties"]


@pytest.fixture(scope="module")
def interactive(studio_stage):
    return studio_stage.template_json("interactive")


def security_configuration(template: dict) -> dict:
    (configuration,) = resources(template, "AWS::EMR::SecurityConfiguration").values()
    return configuration["Properties"]["SecurityConfiguration"]


def test_applications_follow_the_studio_setting():
    assert cluster_applications(studio=False) == APPLICATIONS == ("Hadoop", "Hive", "Spark")
    assert cluster_applications(studio=True) == ("Hadoop", "Hive", "Spark", "JupyterEnterpriseGateway", "Livy")


def test_only_the_interactive_cluster_runs_what_studio_needs(stage):
    curation = {a["Name"] for a in stage.emr_cluster_properties()["Applications"]}
    assert not curation & set(STUDIO_APPLICATIONS), "the curation cluster never runs Livy or Jupyter Enterprise Gateway"
    if stage.settings.studio.enabled:
        assert [a["Name"] for a in cluster_of(stage.template_json("interactive"))["Applications"]] == list(cluster_applications(studio=True))


def test_runtime_roles_instead_of_kerberos_and_the_same_encryption(studio_stage, interactive):
    document = security_configuration(interactive)
    assert security_configuration_problems(document, runtime_roles=True) == []
    assert "AuthenticationConfiguration" not in document
    assert document["AuthorizationConfiguration"] == {"IAMConfiguration": {"EnableApplicationScopedIAMRole": True}}
    assert "KerberosAttributes" not in cluster_of(interactive) and not resources(interactive, "AWS::SecretsManager::Secret")
    curation = security_configuration(studio_stage.template_json("emr"))
    assert security_configuration_problems(curation) == [], "the curation cluster keeps Kerberos"
    assert document["EncryptionConfiguration"]["AtRestEncryptionConfiguration"]["S3EncryptionConfiguration"]["EncryptionMode"] == "SSE-KMS"
    tls = document["EncryptionConfiguration"]["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"]
    # The very zip the EMR stack's certificate resource writes, not a copy of its path.
    emr = studio_stage.template_json("emr")
    (generator,) = [r["Properties"] for r in emr["Resources"].values() if r["Type"] == "Custom::EmrTlsCertificate"]
    assert render(tls["S3Object"], interactive) == f"s3://{studio_stage.settings.prefix}-emr-artifacts-{ACCOUNT}-{REGION}/{generator['Key']}"
    assert document["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == 2


def test_the_baseline_tells_the_two_profiles_apart(studio_stage, interactive):
    interactive_document = security_configuration(interactive)
    assert any("KerberosConfiguration.Provider must be ClusterDedicatedKdc" in p for p in security_configuration_problems(interactive_document))
    kerberized = copy.deepcopy(security_configuration(studio_stage.template_json("emr")))
    problems = security_configuration_problems(kerberized, runtime_roles=True)
    assert any("KerberosConfiguration must be absent" in p for p in problems)
    assert any("EnableApplicationScopedIAMRole must be true" in p for p in problems)


def test_kerberos_findings_are_acknowledged_on_the_interactive_cluster_only(studio_stage):
    acks = [a for a in studio_stage.acknowledgments if a.rule in KERBEROS_RULES]
    assert {a.rule for a in acks} == KERBEROS_RULES
    assert {a.path for a in acks} == {f"{studio_stage.stacks['interactive'].stack_name}/Interactive/Cluster/Resource"}
    assert all("EMR Studio" in a.reason and "curation cluster stays Kerberized" in a.reason for a in acks)


def test_sized_like_the_curation_cluster_with_the_studio_idle_timeout(studio_stage, interactive):
    props, curation = cluster_of(interactive), studio_stage.emr_cluster_properties()
    assert props["AutoTerminationPolicy"]["IdleTimeout"] == studio_stage.settings.studio.idle_timeout_seconds
    assert props["ManagedScalingPolicy"] == curation["ManagedScalingPolicy"]
    assert props["Instances"]["Ec2SubnetIds"] == curation["Instances"]["Ec2SubnetIds"]
    assert "Ec2KeyName" not in props["Instances"]
    assert {"Key": "emr-studio", "Value": studio_stage.settings.prefix} in props["Tags"]
    assert props["Name"] == f"{studio_stage.settings.prefix}-interactive"


def role(template: dict, name: str) -> str:
    (logical_id,) = [k for k in resources(template, "AWS::IAM::Role") if k.startswith(f"InteractiveRoles{name}")]
    return logical_id


def test_sessions_act_as_the_analyst_role_assumable_only_by_the_nodes(studio_stage, interactive):
    analyst = role(interactive, "AnalystRuntimeRole")
    props = interactive["Resources"][analyst]["Properties"]
    assert props["RoleName"] == f"{studio_stage.settings.prefix}-analyst"
    (statement,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Fn::GetAtt": [role(interactive, "InstanceRole"), "Arn"]}}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    nodes = role_policies(interactive, role(interactive, "InstanceRole"))
    analyst_arn = render({"Fn::GetAtt": [analyst, "Arn"]}, interactive)
    assert allows(nodes, "sts:AssumeRole", analyst_arn) and allows(nodes, "sts:TagSession", analyst_arn)
    assert not allows(nodes, "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/{studio_stage.settings.prefix}-admin")


def test_the_analyst_role_reads_every_curated_dataset_and_writes_nothing(studio_stage, interactive):
    policies = role_policies(interactive, role(interactive, "AnalystRuntimeRole"))
    curated = f"arn:aws:s3:::{studio_stage.settings.prefix}-curated-{ACCOUNT}-{REGION}"
    glue = f"arn:aws:glue:{REGION}:{ACCOUNT}"
    database = f"{studio_stage.settings.glue_prefix}_curated"
    for dataset in studio_stage.settings.datasets:
        part = f"{curated}/{dataset.curated_prefix}dt=2026-01-01/part-0.parquet"
        assert allows(policies, "s3:GetObject", part), dataset.name
        assert allows(policies, "s3:GetObject", f"{curated}/{dataset.curated_prefix.rstrip('/')}"), "Spark probes the folder key"
        assert not allows(policies, "s3:PutObject", part) and not allows(policies, "s3:DeleteObject", part)
        for action in ("glue:GetTable", "glue:GetPartitions"):
            assert allows(policies, action, f"{glue}:table/{database}/{dataset.table}")
        assert not allows(policies, "glue:UpdateTable", f"{glue}:table/{database}/{dataset.table}")
    assert not allows(policies, "s3:GetObject", f"{curated}/studio/x/notebook.ipynb"), "not other users' notebooks"
    assert not allows(policies, "s3:GetObject", f"arn:aws:s3:::{studio_stage.settings.prefix}-raw-{ACCOUNT}-{REGION}/sales/dt=2026-01-01/sales.csv")
    assert not allows(policies, "glue:GetTable", f"{glue}:table/{studio_stage.settings.glue_prefix}_raw/sales")


def test_the_nodes_role_reaches_no_data(studio_stage, interactive):
    nodes = role_policies(interactive, role(interactive, "InstanceRole"))
    for dataset in studio_stage.settings.datasets:
        assert not allows(nodes, "s3:GetObject", f"arn:aws:s3:::{studio_stage.settings.prefix}-curated-{ACCOUNT}-{REGION}/{dataset.curated_prefix}x")
    assert allows(nodes, "s3:PutObject", f"arn:aws:s3:::{studio_stage.settings.prefix}-logs-{ACCOUNT}-{REGION}/emr/j-1/node/x.gz")
    assert allows(nodes, "s3:GetObject", f"arn:aws:s3:::{studio_stage.settings.prefix}-emr-artifacts-{ACCOUNT}-{REGION}/tls/generation-{studio_stage.settings.emr.tls_certificate_generation}/emr-certificates.zip")


def test_the_service_role_passes_only_the_interactive_nodes_role(interactive):
    service = role_policies(interactive, role(interactive, "ServiceRole"))
    nodes = render({"Fn::GetAtt": [role(interactive, "InstanceRole"), "Arn"]}, interactive)
    analyst = render({"Fn::GetAtt": [role(interactive, "AnalystRuntimeRole"), "Arn"]}, interactive)
    assert allows(service, "iam:PassRole", nodes, {"iam:PassedToService": "ec2.amazonaws.com"})
    assert not allows(service, "iam:PassRole", analyst, {"iam:PassedToService": "ec2.amazonaws.com"})


def test_the_cluster_id_is_published(studio_stage, interactive):
    (parameter,) = resources(interactive, "AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == f"{studio_stage.settings.ssm_prefix}/interactive/cluster-id"
    assert json.dumps(parameter["Properties"]["Value"]) == json.dumps({"Ref": next(iter(resources(interactive, "AWS::EMR::Cluster")))})
