"""EMR Studio: the Studio, its security groups (exact rules), its roles evaluated against the
calls Studio and its users make, and where Workspaces are stored. Read from a stage with Studio
on (the `studio_stage` fixture: the shipped one that enables it), variants from small
construct-level stacks."""
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from lake_config.studio_settings import WORKSPACE_PREFIX, StudioSettings
from lake_constructs.interactive.emr_studio import EmrStudio
from lake_constructs.interactive.studio_security_groups import ENGINE_PORT
from lake_constructs.processing.emr_security_groups import EMR_MANAGED_TAG
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render, role_policies

TAG = {"Key": EMR_MANAGED_TAG[0], "Value": EMR_MANAGED_TAG[1]}
TAGGED = {f"aws:ResourceTag/{EMR_MANAGED_TAG[0]}": "true"}
REQUEST_TAGGED = {f"aws:RequestTag/{EMR_MANAGED_TAG[0]}": "true"}
# What cdk writes for a group with allow_all_outbound=False: an egress rule that matches nothing.
NO_EGRESS = {"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}


def resources(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def only(template: dict, type_: str) -> tuple[str, dict]:
    ((logical_id, resource),) = resources(template, type_).items()
    return logical_id, resource["Properties"]


@pytest.fixture(scope="module")
def studio(studio_stage):
    return studio_stage.template_json("studio")


def arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


# --- the Studio -------------------------------------------------------------------------


def test_a_stage_has_studio_and_its_interactive_cluster_exactly_when_it_enables_studio(lake, studio_stage):
    for synth in (lake, studio_stage):
        assert ({"studio", "interactive"} <= set(synth.stacks)) is synth.settings.studio.enabled
        assert not {"studio", "interactive"} & set(synth.stacks) or synth.settings.studio.enabled


def test_studio_runs_in_the_private_cluster_subnets_with_its_groups(studio_stage, studio):
    _, props = only(studio, "AWS::EMR::Studio")
    cluster = studio_stage.emr_cluster_properties()
    assert props["SubnetIds"] == cluster["Instances"]["Ec2SubnetIds"]
    assert props["AuthMode"] == studio_stage.settings.studio.auth_mode == "IAM" and "UserRole" not in props
    groups = {k: g["Properties"]["GroupDescription"] for k, g in resources(studio, "AWS::EC2::SecurityGroup").items()}
    assert {props["EngineSecurityGroupId"]["Fn::GetAtt"][0], props["WorkspaceSecurityGroupId"]["Fn::GetAtt"][0]} == set(groups)


def test_workspaces_are_stored_in_the_curated_bucket_under_the_lake_key(studio_stage, studio):
    _, props = only(studio, "AWS::EMR::Studio")
    location = render(props["DefaultS3Location"], studio)
    assert location == f"s3://{studio_stage.settings.prefix}-curated-{ACCOUNT}-{REGION}/{WORKSPACE_PREFIX}"
    key_output = props["EncryptionKeyArn"]["Fn::GetStackOutput"]
    assert key_output["StackName"] == studio_stage.stacks["storage"].stack_name and "LakeKey" in key_output["OutputName"]


def test_the_curated_bucket_gives_workspaces_encryption_lifecycle_and_access_logs(studio_stage):
    storage = studio_stage.template_json("storage")
    bucket = storage["Resources"]["CuratedBucket226458B4"]["Properties"]
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "LakeKey" in json.dumps(encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])
    assert bucket["LoggingConfiguration"]["LogFilePrefix"] == "s3-access/curated/"
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    noncurrent = rules["expire-noncurrent-versions-and-stray-uploads"]
    assert "Prefix" not in noncurrent and noncurrent["NoncurrentVersionExpiration"]["NoncurrentDays"] == studio_stage.settings.storage.noncurrent_version_expiration_days
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"


# --- security groups: exact rules ---------------------------------------------------------


def group_ids(studio: dict) -> tuple[str, str]:
    groups = resources(studio, "AWS::EC2::SecurityGroup")
    engine = next(k for k in groups if k.startswith("StudioSecurityGroupsEngine"))
    workspace = next(k for k in groups if k.startswith("StudioSecurityGroupsWorkspace"))
    return engine, workspace


def rules(template: dict, type_: str, group: str) -> list[dict]:
    return [r["Properties"] for r in resources(template, type_).values() if r["Properties"]["GroupId"]["Fn::GetAtt"][0] == group]


def test_engine_takes_only_18888_from_workspaces_and_sends_nothing(studio):
    engine, workspace = group_ids(studio)
    props = studio["Resources"][engine]["Properties"]
    assert "SecurityGroupIngress" not in props and props["SecurityGroupEgress"] == [NO_EGRESS]
    (ingress,) = rules(studio, "AWS::EC2::SecurityGroupIngress", engine)
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", ENGINE_PORT, 18888)
    assert ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": [workspace, "GroupId"]}
    assert rules(studio, "AWS::EC2::SecurityGroupEgress", engine) == []


def test_workspaces_take_nothing_and_send_only_18888_to_the_engine(studio):
    engine, workspace = group_ids(studio)
    props = studio["Resources"][workspace]["Properties"]
    assert "SecurityGroupIngress" not in props and rules(studio, "AWS::EC2::SecurityGroupIngress", workspace) == []
    # Inline: a group without inline egress rules gets EC2's default allow-all egress.
    (egress,) = props["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 18888, 18888)
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": [engine, "GroupId"]}
    assert rules(studio, "AWS::EC2::SecurityGroupEgress", workspace) == []


def test_both_groups_carry_the_emr_managed_tag(studio):
    assert all(TAG in g["Properties"]["Tags"] for g in resources(studio, "AWS::EC2::SecurityGroup").values())


# --- the service role ---------------------------------------------------------------------


def service_role(studio: dict) -> tuple[str, dict]:
    (role,) = [k for k in resources(studio, "AWS::IAM::Role") if k.startswith("StudioRolesServiceRole")]
    return role, studio["Resources"][role]["Properties"]


def test_service_role_trusts_emr_for_this_account_only(studio):
    _, props = service_role(studio)
    (statement,) = props["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "elasticmapreduce.amazonaws.com"} and statement["Action"] == "sts:AssumeRole"
    assert render(statement["Condition"], studio) == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": arn("elasticmapreduce", "*")},
    }
    assert "ManagedPolicyArns" not in props and "Policies" not in props, "one customer-managed policy, no AWS-managed or inline one"


def test_service_role_allows_studios_network_calls_only_on_tagged_resources(studio):
    role, _ = service_role(studio)
    policies = role_policies(studio, role)
    eni, group = arn("ec2", "network-interface/eni-1"), arn("ec2", "security-group/sg-1")
    for action, resource, tags in [
        ("ec2:CreateNetworkInterface", eni, REQUEST_TAGGED),
        ("ec2:CreateNetworkInterface", arn("ec2", "subnet/subnet-1"), TAGGED),
        ("ec2:DeleteNetworkInterface", eni, TAGGED),
        ("ec2:CreateNetworkInterfacePermission", eni, TAGGED),
        ("ec2:AuthorizeSecurityGroupIngress", group, TAGGED),
        ("ec2:RevokeSecurityGroupEgress", group, TAGGED),
    ]:
        assert allows(policies, action, resource, tags), action
        assert not allows(policies, action, resource), f"{action} without the EMR-managed tag"
    assert allows(policies, "ec2:CreateTags", eni, {"ec2:CreateAction": "CreateNetworkInterface"})
    assert not allows(policies, "ec2:CreateTags", eni, {"ec2:CreateAction": "CreateSnapshot"})
    assert allows(policies, "ec2:ModifyNetworkInterfaceAttribute", arn("ec2", "instance/i-1"))
    assert allows(policies, "elasticmapreduce:DescribeCluster", arn("elasticmapreduce", "cluster/j-1"))
    assert not allows(policies, "ec2:RunInstances", arn("ec2", "instance/i-1"), TAGGED)
    assert not allows(policies, "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:emr-studio-x"), TAGGED), "Git is off"
    assert not allows(policies, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/x"), "collaboration is off"


def test_service_role_reads_and_writes_only_the_workspace_prefix(studio_stage, studio):
    role, _ = service_role(studio)
    policies = role_policies(studio, role)
    bucket = f"arn:aws:s3:::{studio_stage.settings.prefix}-curated-{ACCOUNT}-{REGION}"
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert allows(policies, action, f"{bucket}/{WORKSPACE_PREFIX}s-1/e-1/notebook.ipynb")
        for dataset in studio_stage.settings.datasets:
            assert not allows(policies, action, f"{bucket}/{dataset.curated_prefix}dt=2026-01-01/part-0.parquet")
    assert allows(policies, "s3:GetEncryptionConfiguration", bucket) and allows(policies, "s3:ListBucket", bucket)
    key = render(only(studio, "AWS::EMR::Studio")[1]["EncryptionKeyArn"], studio)
    for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"):
        assert allows(policies, action, key)
    assert not allows(policies, "kms:Decrypt", arn("kms", "key/another"))


def test_the_lake_key_lets_iam_policies_grant_it(studio_stage):
    """KMS evaluates the key policy first: it must delegate to the account's IAM policies, or the
    Studio service role's kms:* statements would be ignored (Studio's workspace encryption page)."""
    (key,) = resources(studio_stage.template_json("storage"), "AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    root = f"arn:aws:iam::{ACCOUNT}:root"
    assert any(
        s["Effect"] == "Allow" and render(s["Principal"], {}) == {"AWS": root} and s["Action"] == "kms:*" and "Condition" not in s for s in statements
    )


# --- the user policy ----------------------------------------------------------------------


def user_policy(studio: dict) -> list[dict]:
    (policy,) = [r for k, r in resources(studio, "AWS::IAM::ManagedPolicy").items() if k.startswith("StudioRolesUserPolicy")]
    return [render(policy["Properties"]["PolicyDocument"], studio)]


def test_users_open_this_studio_and_use_workspaces(studio):
    policies = user_policy(studio)
    studio_id = only(studio, "AWS::EMR::Studio")[0]
    this = render({"Fn::GetAtt": [studio_id, "Arn"]}, studio)
    assert allows(policies, "elasticmapreduce:CreateStudioPresignedUrl", this)
    assert not allows(policies, "elasticmapreduce:CreateStudioPresignedUrl", arn("elasticmapreduce", "studio/es-OTHER"))
    for action in ("CreateEditor", "StartEditor", "AttachEditor", "DetachEditor", "OpenEditorInConsole", "ListClusters"):
        assert allows(policies, f"elasticmapreduce:{action}", "*"), action
    assert not allows(policies, "elasticmapreduce:RunJobFlow", "*"), "users attach to the interactive cluster, they do not create clusters"
    role, _ = service_role(studio)
    service = render({"Fn::GetAtt": [role, "Arn"]}, studio)
    assert allows(policies, "iam:PassRole", service, {"iam:PassedToService": "elasticmapreduce.amazonaws.com"})
    assert not allows(policies, "iam:PassRole", service, {"iam:PassedToService": "ec2.amazonaws.com"})


def test_users_get_session_credentials_only_as_the_analyst_role_on_the_interactive_cluster(studio_stage, studio):
    policies = user_policy(studio)
    analyst = f"arn:aws:iam::{ACCOUNT}:role/{studio_stage.settings.prefix}-analyst"
    cluster, tagged = arn("elasticmapreduce", "cluster/j-1"), {"elasticmapreduce:ResourceTag/emr-studio": studio_stage.settings.prefix}
    action = "elasticmapreduce:GetClusterSessionCredentials"
    assert allows(policies, action, cluster, {"elasticmapreduce:ExecutionRoleArn": analyst, **tagged})
    assert not allows(policies, action, cluster, {"elasticmapreduce:ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/admin", **tagged})
    assert not allows(policies, action, cluster, {"elasticmapreduce:ExecutionRoleArn": analyst}), "only the tagged cluster"
    actions = {a for p in policies for s in p["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not [a for a in actions if a.split(":")[0] in ("s3", "glue", "kms", "athena")], "data access is the runtime role's"


def test_the_user_policy_is_published(studio_stage, studio):
    names = {p["Properties"]["Name"] for p in resources(studio, "AWS::SSM::Parameter").values()}
    prefix = f"{studio_stage.settings.ssm_prefix}/studio/"
    assert names == {f"{prefix}{n}" for n in ("url", "studio-id", "workspace-location", "user-policy-arn")}


# --- variants, built as small stacks --------------------------------------------------------


def variant(**studio_settings) -> dict:
    app = cdk.App()
    stack = cdk.Stack(app, "Variant")
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0a1b2c3d4e5f60718", availability_zones=["eu-west-1a"], private_subnet_ids=["subnet-0a1b2c3d4e5f60718"])
    EmrStudio(
        stack,
        "Studio",
        name="lake-test",
        settings=StudioSettings.model_validate({"enabled": True, **studio_settings}),
        vpc=vpc,
        subnet_ids=["subnet-0a1b2c3d4e5f60718"],
        key=kms.Key(stack, "Key"),
        bucket=s3.Bucket.from_bucket_name(stack, "Curated", "lake-test-curated"),
        runtime_role_arn="arn:aws:iam::111122223333:role/lake-test-analyst",
        cluster_tag=("emr-studio", "lake-test"),
    )
    return Template.from_stack(stack).to_json()


def test_iam_mode_attaches_the_user_policy_to_the_named_roles():
    template = variant(user_role_names=["analysts", "data-scientists"])
    (policy,) = [r for k, r in resources(template, "AWS::IAM::ManagedPolicy").items() if k.startswith("StudioRolesUserPolicy")]
    assert policy["Properties"]["Roles"] == ["analysts", "data-scientists"]
    assert not resources(template, "AWS::EMR::StudioSessionMapping")


def test_identity_center_mode_assigns_users_and_groups_with_the_user_role_and_session_policy():
    template = variant(
        auth_mode="SSO",
        identity_center_instance_arn="arn:aws:sso:::instance/ssoins-0123456789abcdef",
        identity_center_users=["jane@example.com"],
        identity_center_groups=["analysts"],
    )
    _, props = only(template, "AWS::EMR::Studio")
    assert props["AuthMode"] == "SSO" and props["IdcUserAssignment"] == "REQUIRED"
    (user_role,) = [k for k in resources(template, "AWS::IAM::Role") if k.startswith("StudioRolesUserRole")]
    assert props["UserRole"] == {"Fn::GetAtt": [user_role, "Arn"]}
    statements = template["Resources"][user_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert sorted(s["Action"] for s in statements) == ["sts:AssumeRole", "sts:SetContext"]
    assert all(s["Principal"] == {"Service": "elasticmapreduce.amazonaws.com"} and "aws:SourceAccount" in json.dumps(s["Condition"]) for s in statements)
    (policy_id,) = [k for k in resources(template, "AWS::IAM::ManagedPolicy") if k.startswith("StudioRolesUserPolicy")]
    assert template["Resources"][policy_id]["Properties"]["Roles"] == [{"Ref": user_role}]
    mappings = sorted((m["Properties"]["IdentityType"], m["Properties"]["IdentityName"]) for m in resources(template, "AWS::EMR::StudioSessionMapping").values())
    assert mappings == [("GROUP", "analysts"), ("USER", "jane@example.com")]
    assert all(m["Properties"]["SessionPolicyArn"] == {"Ref": policy_id} for m in resources(template, "AWS::EMR::StudioSessionMapping").values())


def test_git_repositories_open_https_out_and_read_tagged_secrets():
    template = variant(git_repositories=True)
    (workspace,) = [k for k in resources(template, "AWS::EC2::SecurityGroup") if k.startswith("StudioSecurityGroupsWorkspace")]
    egress = template["Resources"][workspace]["Properties"]["SecurityGroupEgress"]
    assert [(e.get("CidrIp"), e["FromPort"]) for e in egress] == [(None, 18888), ("0.0.0.0/0", 443)]
    (role,) = [k for k in resources(template, "AWS::IAM::Role") if k.startswith("StudioRolesServiceRole")]
    policies = role_policies(template, role)
    secret = arn("secretsmanager", "secret:emr-studio-git")
    assert allows(policies, "secretsmanager:GetSecretValue", secret, TAGGED) and not allows(policies, "secretsmanager:GetSecretValue", secret)
