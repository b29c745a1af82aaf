"""Every documented control of the EMR stack, read from the synthesized template."""
import copy
import json
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from compliance.emr_security_baseline import security_configuration_problems
from lake_config import load_settings
from lake_config.emr_settings import capacity_units, is_graviton
from lake_constructs.processing.cluster_definition import cloudformation_properties
from lake_constructs.processing.emr_security_configuration import EmrSecurityConfiguration
from stacks.stage import build_stacks
from lake_config.datasets import CURATION_SCRIPT
from tests.conftest import PRIVATE_CA_ZIP, synthesize
from tests.helpers import CDK_CONTEXT, ROOT, stage_context

GLUE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
EMR_TAG = {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"}
EXISTING_NETWORK = {
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "availability_zones": ["eu-west-1a", "eu-west-1b"],
    "private_subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
}


@pytest.fixture(scope="module")
def byo(tmp_path_factory):
    """dev in an existing VPC as the README documents it (the generated certificate), idle
    auto-termination off: synthesized once."""
    emr = {**CDK_CONTEXT["stages"]["dev"]["emr"], "idle_timeout_seconds": 0}
    return synthesize("dev", tmp_path_factory.mktemp("cdk-byo"), network=EXISTING_NETWORK, emr=emr)


def resources(synth, type_: str) -> dict:
    return {k: r for k, r in synth.template_json("emr")["Resources"].items() if r["Type"] == type_}


def one(synth, type_: str) -> dict:
    (found,) = resources(synth, type_).values()
    return found["Properties"]


def cluster(synth) -> dict:
    """The cluster's CloudFormation properties in either mode. A transient cluster has no
    AWS::EMR::Cluster: its definition (the pipeline's create request) is rendered the way a
    long-running one would be, which test_cluster_definition.py proves field by field."""
    if synth.settings.emr.mode == "long_running":
        return one(synth, "AWS::EMR::Cluster")
    stack = synth.stacks["emr"]
    return cloudformation_properties(stack.resolve(stack.cluster.request), kdc_admin_password=None)


def policy_statements(synth, name: str) -> list[dict]:
    (policy,) = [r for k, r in resources(synth, "AWS::IAM::ManagedPolicy").items() if k.startswith(f"Roles{name}")]
    return policy["Properties"]["PolicyDocument"]["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def readable_objects(synth) -> list[str]:
    """Resources of the instance role's s3:GetObject-only statements, as JSON text."""
    statements = policy_statements(synth, "LakeAccess")
    return [json.dumps(r) for s in statements if s["Action"] == "s3:GetObject" for r in as_list(s["Resource"])]


def emr_acknowledgments(synth) -> list:
    """This stack's: the interactive stack (EMR Studio) has a cluster of its own."""
    return [a for a in synth.acknowledgments if a.path.startswith(f"{synth.stacks['emr'].stack_name}/")]


def is_lake_key(value) -> bool:
    return re.search(r"LakeKey[0-9A-F]{8}Arn", json.dumps(value)) is not None


# --- fleets, spot and scaling -------------------------------------------------------------


def test_release_label_and_applications_from_configuration(stage):
    props = cluster(stage)
    assert props["ReleaseLabel"] == stage.settings.emr.release_label == "emr-7.13.0"
    assert [a["Name"] for a in props["Applications"]] == ["Hadoop", "Hive", "Spark"]


def test_primary_and_core_fleets_are_on_demand(stage):
    instances = cluster(stage)["Instances"]
    primary, core = instances["MasterInstanceFleet"], instances["CoreInstanceFleet"]
    assert primary["TargetOnDemandCapacity"] == 1 and "TargetSpotCapacity" not in primary
    assert core["TargetOnDemandCapacity"] == stage.settings.emr.core_capacity_units and "TargetSpotCapacity" not in core
    assert [t["InstanceType"] for t in primary["InstanceTypeConfigs"]] == stage.settings.emr.primary_instance_types
    assert all(t["WeightedCapacity"] == 1 for t in primary["InstanceTypeConfigs"])


def test_task_fleet_is_spot_with_several_types_and_price_capacity_optimized(stage):
    (task,) = cluster(stage)["Instances"]["TaskInstanceFleets"]
    emr = stage.settings.emr
    assert task["TargetOnDemandCapacity"] == 0 and task["TargetSpotCapacity"] == emr.task_spot_capacity_units
    types = [t["InstanceType"] for t in task["InstanceTypeConfigs"]]
    assert types == emr.task_instance_types and len(set(types)) >= 5
    assert [t["WeightedCapacity"] for t in task["InstanceTypeConfigs"]] == [capacity_units(t) for t in types]
    spot = task["LaunchSpecifications"]["SpotSpecification"]
    assert spot == {
        "AllocationStrategy": "price-capacity-optimized",
        "TimeoutAction": "SWITCH_TO_ON_DEMAND",
        "TimeoutDurationMinutes": emr.spot_timeout_minutes,
    }
    assert task["ResizeSpecifications"]["SpotResizeSpecification"]["AllocationStrategy"] == "price-capacity-optimized"


def test_one_cpu_architecture_per_cluster(stage):
    instances = cluster(stage)["Instances"]
    fleets = [instances["MasterInstanceFleet"], instances["CoreInstanceFleet"], *instances["TaskInstanceFleets"]]
    types = [t["InstanceType"] for fleet in fleets for t in fleet["InstanceTypeConfigs"]]
    assert {is_graviton(t) for t in types} == {True}


def test_managed_scaling_grows_on_spot_and_caps_on_demand(stage):
    limits = cluster(stage)["ManagedScalingPolicy"]["ComputeLimits"]
    emr = stage.settings.emr
    # Managed scaling counts core and task units only: capping on-demand at the core fleet
    # leaves every unit it adds to spot task nodes.
    assert limits == {
        "UnitType": "InstanceFleetUnits",
        "MinimumCapacityUnits": emr.core_capacity_units,
        "MaximumCapacityUnits": emr.max_capacity_units,
        "MaximumCoreCapacityUnits": emr.core_capacity_units,
        "MaximumOnDemandCapacityUnits": emr.core_capacity_units,
    }
    assert limits["MaximumOnDemandCapacityUnits"] < limits["MaximumCapacityUnits"]


def test_idle_auto_termination_on_by_default(stage):
    timeout = cluster(stage)["AutoTerminationPolicy"]["IdleTimeout"]
    assert timeout == stage.settings.emr.idle_timeout_seconds and 60 <= timeout <= 604800


def test_idle_auto_termination_can_be_switched_off(byo):
    assert "AutoTerminationPolicy" not in cluster(byo)


def test_step_concurrency_and_the_cluster_waits_for_steps(stage):
    props = cluster(stage)
    assert props["StepConcurrencyLevel"] == stage.settings.emr.step_concurrency_level > 1
    assert props["Instances"]["KeepJobFlowAliveWhenNoSteps"] is True
    assert props["Instances"]["UnhealthyNodeReplacement"] is True


def test_termination_protection_in_prod_only(dev, prod):
    assert cluster(prod)["Instances"]["TerminationProtected"] is True
    assert cluster(dev)["Instances"]["TerminationProtected"] is False


def test_logs_to_the_logs_bucket_encrypted_with_the_lake_key(stage):
    props = cluster(stage)
    assert props["LogUri"] == {
        "Fn::Join": ["", [f"s3://{stage.settings.prefix}-logs-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}, "/emr/"]]
    }
    assert is_lake_key(props["LogEncryptionKmsKeyId"])


# --- metastore and EMRFS ------------------------------------------------------------------


def test_glue_data_catalog_is_the_hive_and_spark_metastore(stage):
    configurations = {c["Classification"]: c["ConfigurationProperties"] for c in cluster(stage)["Configurations"]}
    for classification in ("hive-site", "spark-hive-site"):
        assert configurations[classification]["hive.metastore.client.factory.class"] == GLUE_FACTORY


def test_no_emrfs_consistent_view_anywhere(stage):
    template = json.dumps(stage.template_json("emr"))
    assert "fs.s3.consistent" not in template and "emrfs-site" not in template


# --- security configuration: the project's own check -------------------------------------


def security_configuration(synth) -> dict:
    return one(synth, "AWS::EMR::SecurityConfiguration")["SecurityConfiguration"]


def test_security_configuration_passes_the_projects_own_check(stage):
    document = security_configuration(stage)
    assert security_configuration_problems(document) == []
    encryption = document["EncryptionConfiguration"]
    at_rest = encryption["AtRestEncryptionConfiguration"]
    assert is_lake_key(at_rest["S3EncryptionConfiguration"]["AwsKmsKey"])
    assert is_lake_key(at_rest["LocalDiskEncryptionConfiguration"]["AwsKmsKey"])
    assert "EnableAtRestEncryption" not in document, "EMR reads it under EncryptionConfiguration only"


def _broken(document: dict, change: str) -> dict:
    broken = copy.deepcopy(document)
    encryption = broken["EncryptionConfiguration"]
    at_rest = encryption["AtRestEncryptionConfiguration"]
    if change == "nag-style top level":
        broken.update(EnableAtRestEncryption=True, EnableInTransitEncryption=True)
        del encryption["EnableAtRestEncryption"], encryption["EnableInTransitEncryption"]
    elif change == "s3 with SSE-S3":
        at_rest["S3EncryptionConfiguration"] = {"EncryptionMode": "SSE-S3"}
    elif change == "no EBS encryption":
        at_rest["LocalDiskEncryptionConfiguration"]["EnableEbsEncryption"] = False
    elif change == "no TLS":
        del encryption["InTransitEncryptionConfiguration"]
    elif change == "no Kerberos":
        del broken["AuthenticationConfiguration"]
    elif change == "IMDSv1 allowed":
        broken["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] = 1
    return broken


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            "nag-style top level",
            ["EnableAtRestEncryption belongs under EncryptionConfiguration", "EncryptionConfiguration.EnableInTransitEncryption must be true"],
        ),
        ("s3 with SSE-S3", ["S3EncryptionConfiguration.EncryptionMode must be SSE-KMS", "S3EncryptionConfiguration.AwsKmsKey must be set"]),
        ("no EBS encryption", ["LocalDiskEncryptionConfiguration.EnableEbsEncryption must be true"]),
        ("no TLS", ["TLSCertificateConfiguration.CertificateProviderType must be PEM", "TLSCertificateConfiguration.S3Object must be set"]),
        ("no Kerberos", ["KerberosConfiguration.Provider must be ClusterDedicatedKdc"]),
        ("IMDSv1 allowed", ["MinimumInstanceMetadataServiceVersion must be 2"]),
    ],
)
def test_the_check_catches_a_broken_security_configuration(dev, change, expected):
    problems = security_configuration_problems(_broken(security_configuration(dev), change))
    for message in expected:
        assert any(message in problem for problem in problems), problems


def test_a_broken_security_configuration_fails_synth(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Broken")
    configuration = EmrSecurityConfiguration(
        stack, "Emr", name="broken", key=kms.Key(stack, "Key"), tls_certificate_s3_uri="s3://b/certs.zip"
    )
    document = stack.resolve(configuration.resource.security_configuration)
    configuration.resource.security_configuration = _broken(document, "nag-style top level")
    with pytest.raises(RuntimeError, match="EMR security configuration: EnableAtRestEncryption belongs under EncryptionConfiguration"):
        app.synth()


def test_cluster_uses_the_security_configuration_and_nag_emr4_emr5_are_acknowledged_there_only(stage):
    (logical_id,) = resources(stage, "AWS::EMR::SecurityConfiguration")
    assert cluster(stage)["SecurityConfiguration"] == {"Ref": logical_id}
    acks = {(a.rule, a.path) for a in emr_acknowledgments(stage) if a.rule in ("AwsSolutions-EMR4", "AwsSolutions-EMR5")}
    expected = {(rule, f"{stage.settings.prefix}-emr/Cluster/Resource") for rule in ("AwsSolutions-EMR4", "AwsSolutions-EMR5")}
    assert acks == (expected if stage.settings.emr.mode == "long_running" else set())


# --- TLS material -------------------------------------------------------------------------


def test_tls_zip_is_generated_in_the_account_and_read_by_the_nodes(dev):
    tls = security_configuration(dev)["EncryptionConfiguration"]["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"]
    (generator,) = resources(dev, "Custom::EmrTlsCertificate")
    assert tls == {"CertificateProviderType": "PEM", "S3Object": {"Fn::GetAtt": [generator, "S3Uri"]}}
    assert any("/tls/generation-1/emr-certificates.zip" in r for r in readable_objects(dev))


def test_no_private_key_in_the_cloud_assembly(dev):
    pem_key = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{100,}-----END")
    for path in Path(dev.assembly.directory).rglob("*"):
        if path.is_file():
            assert not pem_key.search(path.read_bytes()), f"a private key in {path}"


def test_a_private_ca_zip_replaces_the_generator(ephemeral):
    tls = security_configuration(ephemeral)["EncryptionConfiguration"]["InTransitEncryptionConfiguration"]["TLSCertificateConfiguration"]
    assert tls["S3Object"] == PRIVATE_CA_ZIP
    assert not resources(ephemeral, "Custom::EmrTlsCertificate") and not resources(ephemeral, "AWS::S3::Bucket")
    zip_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":s3:::{PRIVATE_CA_ZIP.removeprefix('s3://')}"]]}
    assert json.dumps(zip_arn) in readable_objects(ephemeral)


# --- Kerberos -----------------------------------------------------------------------------


def test_kdc_password_is_a_generated_secret_passed_by_dynamic_reference(prod):
    kerberos = cluster(prod)["KerberosAttributes"]
    (secret_id, secret), = resources(prod, "AWS::SecretsManager::Secret").items()
    assert kerberos["KdcAdminPassword"] == {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]}
    assert "GenerateSecretString" in secret["Properties"] and "SecretString" not in secret["Properties"]
    assert is_lake_key(secret["Properties"]["KmsKeyId"])


def test_a_transient_clusters_request_carries_no_password(dev):
    """The pipeline's create-cluster function reads the secret (tests/orchestration)."""
    (secret,) = resources(dev, "AWS::SecretsManager::Secret").values()
    assert "GenerateSecretString" in secret["Properties"] and is_lake_key(secret["Properties"]["KmsKeyId"])
    assert not resources(dev, "AWS::EMR::Cluster")
    assert "KdcAdminPassword" not in json.dumps(dev.stacks["emr"].resolve(dev.stacks["emr"].cluster.request))


def test_no_literal_password_anywhere_in_the_template(stage):
    def passwords(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if "password" in key.lower() and not isinstance(value, int):  # PasswordLength is a number
                    yield key, value
                yield from passwords(value)
        elif isinstance(node, list):
            for value in node:
                yield from passwords(value)

    template = stage.template_json("emr")
    secrets = set(resources(stage, "AWS::SecretsManager::Secret"))
    # The pipeline stack reads the secret's ARN (not its value) through a cross-stack output.
    outputs = {k: o for k, o in template.get("Outputs", {}).items() if o["Value"] not in [{"Ref": s} for s in secrets]}
    found = [item for r in template["Resources"].values() for item in passwords(r.get("Properties", {}))]
    found += list(passwords(outputs)) + list(passwords(template.get("Parameters", {})))
    assert [key for key, _ in found] == (["KdcAdminPassword"] if stage.settings.emr.mode == "long_running" else [])
    assert all(json.dumps(value).startswith('{"Fn::Join": ["", ["{{resolve:secretsmanager:') for _, value in found)


# --- network placement and security groups ------------------------------------------------


def test_cluster_runs_in_the_private_cluster_subnets_only(stage):
    subnet_ids = cluster(stage)["Instances"]["Ec2SubnetIds"]
    outputs = [s["Fn::GetStackOutput"] for s in subnet_ids]
    assert len(outputs) == 2 and all(o["StackName"] == f"{stage.settings.prefix}-network" for o in outputs)
    assert all(re.fullmatch(r"PublishOutputRefVpcclusterSubnet\dSubnet[0-9A-F]{8}[0-9A-F]{8}", o["OutputName"]) for o in outputs)
    assert "Ec2KeyName" not in cluster(stage)["Instances"], "no SSH key pair: Session Manager instead"


def test_existing_vpc_is_used_by_its_ids_without_a_network_stack(byo):
    assert byo.validation_error is None, byo.validation_error
    assert "network" not in byo.stacks
    assert cluster(byo)["Instances"]["Ec2SubnetIds"] == EXISTING_NETWORK["private_subnet_ids"]
    groups = resources(byo, "AWS::EC2::SecurityGroup").values()
    assert {g["Properties"]["VpcId"] for g in groups} == {EXISTING_NETWORK["vpc_id"]}


def emr_groups(synth) -> dict:
    return {k: r for k, r in resources(synth, "AWS::EC2::SecurityGroup").items() if k.startswith("SecurityGroups")}


def test_emr_managed_security_groups_are_tagged_for_the_v2_policy(stage):
    instances = cluster(stage)["Instances"]
    groups = emr_groups(stage)
    keys = ("EmrManagedMasterSecurityGroup", "EmrManagedSlaveSecurityGroup", "ServiceAccessSecurityGroup")
    used = {instances[k]["Fn::GetAtt"][0] for k in keys}
    assert used == set(groups)
    assert all(EMR_TAG in g["Properties"]["Tags"] for g in groups.values())


def test_no_inbound_from_outside_the_cluster(stage):
    groups = set(emr_groups(stage))
    for group in emr_groups(stage).values():
        assert "SecurityGroupIngress" not in group["Properties"]
    for rule in resources(stage, "AWS::EC2::SecurityGroupIngress").values():
        props = rule["Properties"]
        assert "CidrIp" not in props and "CidrIpv6" not in props
        assert props["SourceSecurityGroupId"]["Fn::GetAtt"][0] in groups


def test_service_access_group_takes_9443_from_the_primary_and_sends_8443_to_the_nodes(stage):
    groups = emr_groups(stage)
    service = next(k for k in groups if k.startswith("SecurityGroupsServiceAccess"))
    primary = next(k for k in groups if k.startswith("SecurityGroupsPrimary"))
    core = next(k for k in groups if k.startswith("SecurityGroupsCoreAndTask"))
    def rules(type_: str) -> list[dict]:
        found = [r["Properties"] for r in resources(stage, type_).values()]
        return [r for r in found if r["GroupId"]["Fn::GetAtt"][0] == service]

    ingress = rules("AWS::EC2::SecurityGroupIngress")
    assert [(r["FromPort"], r["ToPort"], r["SourceSecurityGroupId"]["Fn::GetAtt"][0]) for r in ingress] == [(9443, 9443, primary)]
    egress = rules("AWS::EC2::SecurityGroupEgress")
    assert sorted((r["FromPort"], r["DestinationSecurityGroupId"]["Fn::GetAtt"][0]) for r in egress) == sorted([(8443, primary), (8443, core)])


def test_cluster_waits_for_every_policy_and_security_group_rule(prod):
    (cluster_resource,) = resources(prod, "AWS::EMR::Cluster").values()
    depends_on = set(cluster_resource["DependsOn"])
    rules = set(resources(prod, "AWS::EC2::SecurityGroupIngress")) | set(resources(prod, "AWS::EC2::SecurityGroupEgress"))
    policies = {k for k in resources(prod, "AWS::IAM::ManagedPolicy") if k.startswith("Roles")}
    assert rules | policies <= depends_on


def test_a_transient_cluster_is_created_only_after_the_whole_emr_stack(dev):
    assert dev.stacks["emr"] in dev.stacks["pipeline"].dependencies


# --- IAM ----------------------------------------------------------------------------------


def roles(synth) -> dict:
    return {k: r["Properties"] for k, r in resources(synth, "AWS::IAM::Role").items() if k.startswith("Roles")}


def test_service_role_trusts_emr_with_a_confused_deputy_guard(stage):
    (service,) = [r for k, r in roles(stage).items() if k.startswith("RolesServiceRole")]
    (statement,) = service["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "elasticmapreduce.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {
            "aws:SourceArn": {
                "Fn::Join": [
                    "",
                    ["arn:", {"Ref": "AWS::Partition"}, ":elasticmapreduce:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":*"],
                ]
            }
        },
    }


def test_only_aws_managed_policy_is_the_emr_service_policy_v2(stage):
    managed = {k: r.get("ManagedPolicyArns", []) for k, r in roles(stage).items()}
    assert [k for k, arns in managed.items() if arns] == [next(k for k in managed if k.startswith("RolesServiceRole"))]
    (arn,) = next(arns for arns in managed.values() if arns)
    assert arn == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"]]}
    template = json.dumps(stage.template_json("emr"))
    for deprecated in ("AmazonElasticMapReduceforEC2Role", "AmazonSSMManagedInstanceCore", "AmazonElasticMapReduceRole"):
        assert deprecated not in template
    assert all("Policies" not in r for r in roles(stage).values()), "no inline policies"
    ack = [a for a in emr_acknowledgments(stage) if a.rule.startswith("AwsSolutions-IAM4")]
    assert [(a.path.split("/", 1)[1], a.rule) for a in ack] == [
        ("Roles/ServiceRole", "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]")
    ]


def test_pass_role_is_only_the_instance_role_and_only_to_ec2(stage):
    (instance_role,) = [k for k in roles(stage) if k.startswith("RolesInstanceRole")]
    passes = [
        s
        for p in resources(stage, "AWS::IAM::ManagedPolicy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "iam:PassRole" in as_list(s["Action"])
    ]
    assert passes == [
        {
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [instance_role, "Arn"]},
        }
    ]


def test_service_role_may_grant_the_lake_key_to_ebs_only_for_aws_resources(stage):
    statements = policy_statements(stage, "ServicePolicy")
    (grants,) = [s for s in statements if "kms:CreateGrant" in as_list(s["Action"])]
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}} and is_lake_key(grants["Resource"])
    (use,) = [s for s in statements if "kms:GenerateDataKeyWithoutPlaintext" in as_list(s["Action"])]
    assert is_lake_key(use["Resource"])


def test_instance_role_has_exact_actions_and_no_write_to_the_raw_zone(lake):
    """The shape AWS's evaluation cannot show; tests/stacks/test_lake_access_contracts.py
    evaluates every call of a curation run (and what must be denied) for each dataset."""
    statements = policy_statements(lake, "LakeAccess")
    by_action = {}
    for statement in statements:
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(json.dumps(r) for r in as_list(statement["Resource"]))
    raw = f"{lake.settings.prefix}-raw-"
    writes = by_action["s3:PutObject"] + by_action["s3:DeleteObject"]
    assert not any(raw in r for r in writes), "the raw zone is read-only"
    assert not [a for a in by_action if a.endswith("*")], "exact actions only"
    glue_resources = {r for a, rs in by_action.items() if a.startswith("glue:") for r in rs}
    assert not [r for r in glue_resources if "*" in r], "the Glue statements name their tables"
    tables = {r for r in glue_resources if ":table/" in r}
    assert len(tables) == len(lake.settings.datasets)
    assert all(f"table/{lake.settings.glue_prefix}_curated/" in r for r in tables), "only curated tables"
    assert not [a for a in by_action if a in ("glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable")]
    assert is_lake_key([s["Resource"] for s in statements if "kms:Decrypt" in as_list(s["Action"])])


def test_session_manager_without_ssh_keys_or_the_aws_managed_policy(stage):
    (statement,) = policy_statements(stage, "SessionManager")
    assert statement["Action"] == [
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ]


# --- the curation job ---------------------------------------------------------------------


def test_curation_script_is_a_file_asset_read_by_the_nodes_and_published(stage):
    manifest = json.loads(Path(stage.assembly.directory, f"{stage.settings.prefix}-emr.assets.json").read_text())
    (asset_hash,) = [h for h, a in manifest["files"].items() if a["displayName"] == "CurationScript"]
    source = Path(stage.assembly.directory, manifest["files"][asset_hash]["source"]["path"])
    assert source.read_bytes() == CURATION_SCRIPT.read_bytes()
    (script_object,) = [r for r in readable_objects(stage) if asset_hash in r]
    assert script_object.endswith(f'/{asset_hash}.py"]]' + "}"), "exactly the script object, no wildcard"
    parameters = {p["Properties"]["Name"]: p["Properties"]["Value"] for p in resources(stage, "AWS::SSM::Parameter").values()}
    prefix = f"{stage.settings.ssm_prefix}/emr/"
    long_running = stage.settings.emr.mode == "long_running"
    expected = {f"{prefix}mode", f"{prefix}curation-script-uri", f"{prefix}log-uri", f"{prefix}tls-certificate-not-after"}
    assert set(parameters) == expected | ({f"{prefix}cluster-id"} if long_running else set())
    assets_bucket = f"cdk-hnb659fds-assets-{stage.settings.account or '${AWS::AccountId}'}-${{AWS::Region}}"
    assert parameters[f"{prefix}curation-script-uri"] == {"Fn::Sub": f"s3://{assets_bucket}/{asset_hash}.py"}
    assert parameters[f"{prefix}mode"] == stage.settings.emr.mode
    if long_running:
        assert parameters[f"{prefix}cluster-id"] == {"Ref": next(iter(resources(stage, "AWS::EMR::Cluster")))}
    assert parameters[f"{prefix}log-uri"] == cluster(stage)["LogUri"]


def test_no_step_and_no_bucket_deployment_at_deploy_time(stage):
    types = {r["Type"] for r in stage.template_json("emr")["Resources"].values()}
    assert "AWS::EMR::Step" not in types and "Custom::CDKBucketDeployment" not in types


def test_no_unacknowledged_findings_with_an_existing_vpc(byo):
    assert byo.validation_error is None and byo.findings == [], byo.findings


def test_no_unacknowledged_findings_with_a_private_ca(ephemeral):
    assert ephemeral.validation_error is None and ephemeral.findings == [], ephemeral.findings


def test_emr_disabled_creates_neither_the_network_nor_the_cluster():
    context = copy.deepcopy(CDK_CONTEXT) | {"stage": "dev"}
    context["stages"]["dev"]["emr"]["enabled"] = False
    context["stages"]["dev"]["studio"] = {"enabled": False}  # Studio needs EMR
    stacks = build_stacks(cdk.App(context=context), load_settings(context))
    assert "network" not in stacks and "emr" not in stacks and "storage" in stacks


def test_tls_renewal_is_a_new_generation_with_a_new_zip_and_security_configuration():
    """Renewing never rewrites the material running nodes hold: a new object key, a new security
    configuration name (so CloudFormation replaces the cluster and can create the new configuration
    before deleting the old), and the stage's certificate expiry published for `lakeops status`."""
    from aws_cdk import CustomResource
    from aws_cdk import aws_emr as emr_l1

    def build(generation: int) -> tuple[str, str, dict]:
        context = copy.deepcopy(CDK_CONTEXT) | {"stage": "dev"}
        context["stages"]["dev"]["emr"] |= {"tls_certificate_generation": generation, "tls_certificate_validity_days": 400}
        stack = build_stacks(cdk.App(context=context), load_settings(context))["emr"]
        (configuration,) = [c for c in stack.node.find_all() if isinstance(c, emr_l1.CfnSecurityConfiguration)]
        (generator,) = [
            c for c in stack.node.find_all()
            if isinstance(c, CustomResource) and c.node.default_child.cfn_resource_type == "Custom::EmrTlsCertificate"
        ]
        properties = stack.resolve(generator.node.default_child._cfn_properties)
        return configuration.name, properties["Key"], properties

    prefix = load_settings(stage_context("dev")).prefix
    first_name, first_key, properties = build(1)
    second_name, second_key, _ = build(2)
    assert (first_name, first_key) == (f"{prefix}-emr-g1", "tls/generation-1/emr-certificates.zip")
    assert (second_name, second_key) == (f"{prefix}-emr-g2", "tls/generation-2/emr-certificates.zip")
    assert properties["ValidityDays"] == 400


def test_the_certificate_log_group_goes_with_a_stage_that_retains_nothing(dev, prod):
    for synth, policy in ((dev, "Delete"), (prod, "Retain")):
        (group,) = [r for k, r in resources(synth, "AWS::Logs::LogGroup").items() if k.startswith("TlsCertificate")]
        assert group.get("DeletionPolicy", "Delete") == policy
