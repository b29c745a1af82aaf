"""The governance stack: absent where governance.mode is iam, and in hybrid (prod) and lake_formation
(the fork) stages Lake Formation settings that append, registrations through a dedicated role,
and the gate's four packs clean."""
import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, allows, render, role_policies
from tests.aws_contracts import lake_calls
from tests.stacks.test_lake_access_contracts import key_arn, names


@pytest.fixture(scope="session", params=["prod", "fork"])
def governed(request):
    return request.getfixturevalue(request.param)


def of_type(template: dict, kind: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def test_an_iam_stage_deploys_nothing_of_lake_formation(dev):
    assert not dev.settings.governance.governed and "governance" not in dev.stacks
    for stack in dev.stacks:
        assert not [r for r in dev.template_json(stack)["Resources"].values() if r["Type"].startswith("AWS::LakeFormation::")]
    for database in of_type(dev.template_json("catalog"), "AWS::Glue::Database").values():
        assert "CreateTableDefaultPermissions" not in database["Properties"]["DatabaseInput"]


def test_governed_stages_pass_all_four_packs(governed):
    assert "governance" in governed.stacks
    assert governed.validation_error is None and governed.findings == []


def test_the_data_lake_settings_append_the_configured_administrators(governed):
    """PutDataLakeSettings "replaces the current list of data lake admins with the new list" (Lake
    Formation API Reference, PutDataLakeSettings); CloudFormation's MutationType APPEND adds "new
    values to the current settings" instead (AWS::LakeFormation::DataLakeSettings, CloudFormation
    Template Reference)."""
    template = governed.template_json("governance")
    (settings,) = of_type(template, "AWS::LakeFormation::DataLakeSettings").values()
    properties = settings["Properties"]
    assert properties["MutationType"] == "APPEND"
    assert set(properties) == {"MutationType", "Admins"}, "the account-wide defaults stay the account's"
    admins = {render(a["DataLakePrincipalIdentifier"], template) for a in properties["Admins"]}
    expected = set(governed.settings.governance.admin_arns(ACCOUNT))
    execution_role = f"arn:aws:iam::{ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-eu-west-1"
    if governed.settings.governance.cdk_execution_role_is_admin:
        expected.add(execution_role)
    assert admins == expected


def test_every_grant_and_tag_waits_for_the_administrators(governed):
    """Lake Formation lets only administrators grant, tag and (with IAM) register."""
    template = governed.template_json("governance")
    (settings,) = of_type(template, "AWS::LakeFormation::DataLakeSettings")
    for kind in ("AWS::LakeFormation::PrincipalPermissions", "AWS::LakeFormation::TagAssociation", "AWS::LakeFormation::Tag",
                 "AWS::LakeFormation::Resource"):
        for name, resource in of_type(template, kind).items():
            assert settings in resource.get("DependsOn", []), name


def test_each_zone_is_registered_with_its_own_role_and_key_access(governed):
    """A user-defined role, trusted by Lake Formation and Glue, with read/write on the location
    and the KMS permissions of its key ("Requirements for roles used to register locations",
    "Registering an encrypted Amazon S3 location", Lake Formation Developer Guide)."""
    template = governed.template_json("governance")
    outputs = names(governed, "storage")
    registered = of_type(template, "AWS::LakeFormation::Resource").values()
    hybrid = governed.settings.governance.mode == "hybrid"
    buckets = set()
    for resource in registered:
        properties = resource["Properties"]
        assert properties["UseServiceLinkedRole"] is False and properties.get("HybridAccessEnabled", False) is hybrid
        bucket = render(properties["ResourceArn"], template).removeprefix("arn:aws:s3:::")
        buckets.add(bucket)
        role = properties["RoleArn"]["Fn::GetAtt"][0]
        trust = template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        services = {service for s in trust for service in ([s["Principal"]["Service"]] if isinstance(s["Principal"]["Service"], str) else s["Principal"]["Service"])}
        assert services == {"lakeformation.amazonaws.com", "glue.amazonaws.com"}
        assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"} for s in trust)
        policies = role_policies(template, role, outputs)
        for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
            assert allows(policies, action, lake_calls.s3_key(bucket, "any/key"))
        assert allows(policies, "s3:ListBucket", lake_calls.s3_bucket(bucket))
        for action in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"):
            assert allows(policies, action, key_arn(governed))
        assert not allows(policies, "s3:GetObject", lake_calls.s3_key(lake_calls.bucket(governed.settings, "athena-results"), "x"))
    assert buckets == {lake_calls.bucket(governed.settings, zone) for zone in ("raw", "curated")}


def test_lake_formation_stages_give_new_tables_no_iam_allowed_principals(governed):
    """CreateTableDefaultPermissions: "A null value indicates that the access is controlled by Lake
    Formation permissions" (AWS::Glue::Database DatabaseInput); hybrid keeps the account's default."""
    databases = of_type(governed.template_json("catalog"), "AWS::Glue::Database").values()
    for database in databases:
        defaults = database["Properties"]["DatabaseInput"].get("CreateTableDefaultPermissions")
        assert defaults == ([] if governed.settings.governance.mode == "lake_formation" else None)


def test_an_ephemeral_stage_of_a_governed_base_declares_no_data_lake_settings(ephemeral):
    assert ephemeral.settings.governance.governed and "governance" in ephemeral.stacks
    assert not of_type(ephemeral.template_json("governance"), "AWS::LakeFormation::DataLakeSettings")
    assert ephemeral.validation_error is None and ephemeral.findings == []
