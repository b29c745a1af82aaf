"""QuickSight: on in prod, absent in dev; data sources on the project's workgroup; a role that
reaches only the project's resources; exact owner permissions; SPICE vs direct query; row rules."""
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_quicksight as quicksight

from compliance import add_compliance_packs
from lake_config.governance_plan import hidden_columns
from tests.conftest import synthesize
from tests.helpers import CDK_CONTEXT

# The lists, spelled out here so a change to the constants cannot pass unnoticed.
DATA_SOURCE_OWNER = [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:UpdateDataSourcePermissions",
    "quicksight:DeleteDataSource",
]
DATA_SET_OWNER = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions",
    "quicksight:DeleteDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
]
SALES_TYPES = {
    "order_id": "STRING", "order_ts": "DATETIME", "customer_id": "STRING", "product_id": "STRING",
    "category": "STRING", "quantity": "INTEGER", "unit_price": "DECIMAL", "amount": "DECIMAL",
    "currency": "STRING", "country": "STRING", "channel": "STRING", "dt": "STRING",
}  # fmt: skip
LIST_ACTIONS_ON_STAR = {"athena:ListDataCatalogs", "athena:ListWorkGroups"}
# cdk.json's owner, as the template writes it.
OWNER = CDK_CONTEXT["stages"]["prod"]["quicksight"]["owner_principal"].replace("{account}", "${AWS::AccountId}")


@pytest.fixture(scope="module")
def variant(prod, tmp_path_factory):
    """prod with DIRECT_QUERY, row-level security on and no S3 source, synthesized once."""
    quicksight_settings = prod.settings.quicksight.model_dump() | {
        "import_mode": "DIRECT_QUERY",
        "s3_source": False,
        "row_level_security": {"enabled": True, "principal_column": "GroupName", "columns": {"sales": ["country", "channel"]}},
    }
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod-direct-query"), quicksight=quicksight_settings)


def render(value) -> str:
    """A template value as one string: `${Ref}`, `${Logical.Attr}`, `${stack:Stack/Output}`."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${%s}" % value["Ref"]
    if "Fn::GetAtt" in value:
        return "${%s}" % ".".join(value["Fn::GetAtt"])
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    if "Fn::GetStackOutput" in value:
        return "${stack:%(StackName)s/%(OutputName)s}" % value["Fn::GetStackOutput"]
    if "Fn::ImportValue" in value:
        return "${import:%s}" % render(value["Fn::ImportValue"])
    raise AssertionError(f"unexpected intrinsic {value}")


def producer_output(synth, producer: str, reference: dict):
    """What a cross-stack reference resolves to in the producing stack's template."""
    outputs = synth.template_json(producer)["Outputs"]
    if "Fn::GetStackOutput" in reference:
        target = reference["Fn::GetStackOutput"]
        assert target["StackName"] == synth.stacks[producer].stack_name
        return outputs[target["OutputName"]]["Value"]
    (value,) = [o["Value"] for o in outputs.values() if o.get("Export", {}).get("Name") == reference["Fn::ImportValue"]]
    return value


def resources(synth, type: str, **properties) -> list[dict]:
    found = synth.template("quicksight").find_resources(type, {"Properties": properties} if properties else None)
    return [resource["Properties"] for resource in found.values()]


def logical_id(synth, stack: str, type: str) -> str:
    (found,) = synth.template(stack).find_resources(type)
    return found


def data_sets(synth) -> dict:
    return {props["DataSetId"]: props for props in resources(synth, "AWS::QuickSight::DataSet")}


def policy_statements(synth) -> list[dict]:
    (policy,) = resources(synth, "AWS::IAM::ManagedPolicy")
    return policy["PolicyDocument"]["Statement"]


def test_dev_synthesizes_nothing_quicksight(dev):
    assert "quicksight" not in dev.stacks
    assert not [s for s in dev.assembly.stacks if s.stack_name.endswith("-quicksight")]
    for stack in dev.stacks:
        assert "AWS::QuickSight::" not in json.dumps(dev.template_json(stack))


def test_prod_has_the_quicksight_stack_after_analytics(prod):
    stack = prod.stacks["quicksight"]
    assert stack.stack_name == f"{prod.settings.prefix}-quicksight"
    assert prod.stacks["analytics"] in stack.dependencies


def test_athena_data_source_uses_the_analytics_workgroup_by_reference(prod):
    (source,) = resources(prod, "AWS::QuickSight::DataSource", Type="ATHENA")
    workgroup = source["DataSourceParameters"]["AthenaParameters"]["WorkGroup"]
    assert not isinstance(workgroup, str), "the workgroup must be referenced, not copied"
    assert producer_output(prod, "analytics", workgroup) == {"Ref": logical_id(prod, "analytics", "AWS::Athena::WorkGroup")}


def test_ssl_is_never_disabled(prod, variant):
    for synth in (prod, variant):
        for source in resources(synth, "AWS::QuickSight::DataSource"):
            assert source.get("SslProperties", {}).get("DisableSsl") is not True
    (athena,) = resources(prod, "AWS::QuickSight::DataSource", Type="ATHENA")
    assert athena["SslProperties"] == {"DisableSsl": False}


def test_qs1_fails_synth_when_ssl_is_disabled(tmp_path):
    """The gate is live: a data source with SSL off cannot pass cdk-nag."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Regression")
    ssl_off = quicksight.CfnDataSource.SslPropertiesProperty(disable_ssl=True)
    quicksight.CfnDataSource(stack, "Plaintext", name="x", type="ATHENA", ssl_properties=ssl_off)
    add_compliance_packs(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    assert "AwsSolutions-QS1" in (tmp_path / "validation-report.json").read_text()


def test_both_data_sources_run_as_the_access_role(prod):
    sources = resources(prod, "AWS::QuickSight::DataSource")
    assert sorted(s["Type"] for s in sources) == ["ATHENA", "S3"]
    role = {"Fn::GetAtt": [logical_id(prod, "quicksight", "AWS::IAM::Role"), "Arn"]}
    for source in sources:
        (parameters,) = source["DataSourceParameters"].values()
        assert parameters["RoleArn"] == role


def test_the_role_trusts_only_quicksight_for_this_account(prod):
    (role,) = resources(prod, "AWS::IAM::Role")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "quicksight.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "Policies" not in role and "ManagedPolicyArns" not in role, "no inline and no AWS-managed policy"
    (policy,) = resources(prod, "AWS::IAM::ManagedPolicy")
    assert policy["Roles"] == [{"Ref": logical_id(prod, "quicksight", "AWS::IAM::Role")}]


def test_the_role_reaches_only_the_projects_resources(prod):
    (athena,) = resources(prod, "AWS::QuickSight::DataSource", Type="ATHENA")
    workgroup = render(athena["DataSourceParameters"]["AthenaParameters"]["WorkGroup"])
    region_account = "${AWS::Region}:${AWS::AccountId}"
    curated = f"arn:${{AWS::Partition}}:s3:::{prod.settings.prefix}-curated-${{AWS::AccountId}}-${{AWS::Region}}"
    database = f"{prod.settings.glue_prefix}_curated"
    (wg,) = prod.template("analytics").find_resources("AWS::Athena::WorkGroup").values()
    output = render(wg["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"])
    results_bucket, results_prefix = output.removeprefix("s3://").split("/", 1)
    results = f"arn:${{AWS::Partition}}:s3:::{results_bucket}"
    key = [s["Resource"] for s in policy_statements(prod) if s["Action"][0].startswith("kms:")][0]
    assert producer_output(prod, "storage", key) == {"Fn::GetAtt": [logical_id(prod, "storage", "AWS::KMS::Key"), "Arn"]}
    allowed = {
        f"arn:${{AWS::Partition}}:athena:{region_account}:workgroup/{workgroup}",
        f"arn:${{AWS::Partition}}:athena:{region_account}:datacatalog/AwsDataCatalog",
        f"arn:${{AWS::Partition}}:glue:{region_account}:catalog",
        f"arn:${{AWS::Partition}}:glue:{region_account}:database/{database}",
        *(f"arn:${{AWS::Partition}}:glue:{region_account}:table/{database}/{d.table}" for d in prod.settings.datasets),
        curated,
        *(f"{curated}/{d.curated_prefix}*" for d in prod.settings.datasets),
        f"{curated}/quicksight/*",
        results,
        f"{results}/{results_prefix}*",  # the workgroup's enforced output location, nothing else
        render(key),
    }
    used = set()
    for statement in policy_statements(prod):
        assert statement["Effect"] == "Allow"
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert all("*" not in action for action in actions), f"wildcard action in {statement}"
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for target in map(render, targets):
            if target == "*":
                assert set(actions) <= LIST_ACTIONS_ON_STAR, f"only list actions may use '*': {actions}"
            else:
                assert target in allowed, f"{actions} on {target} is outside the project"
            used.add(target)
    assert used == allowed | {"*"}, "every project resource the role needs is granted"


def test_results_are_listed_only_under_the_workgroup_prefix(prod):
    (listing,) = [s for s in policy_statements(prod) if s["Action"] == "s3:ListBucket" and "results" in render(s["Resource"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["results/", "results/*"]}}


def test_owner_gets_exactly_the_owner_actions(prod, variant):
    for synth in (prod, variant):
        for source in resources(synth, "AWS::QuickSight::DataSource"):
            assert [(render(p["Principal"]), p["Actions"]) for p in source["Permissions"]] == [(OWNER, DATA_SOURCE_OWNER)]
        for data_set in data_sets(synth).values():
            assert [(render(p["Principal"]), p["Actions"]) for p in data_set["Permissions"]] == [(OWNER, DATA_SET_OWNER)]
    assert "{account}" not in json.dumps(prod.template_json("quicksight"))


def test_sales_dataset_has_typed_columns_over_the_curated_table(prod):
    table = data_sets(prod)[f"{prod.settings.prefix}-sales"]["PhysicalTableMap"]["table"]["RelationalTable"]
    (athena,) = prod.template("quicksight").find_resources("AWS::QuickSight::DataSource", {"Properties": {"Type": "ATHENA"}})
    assert table["DataSourceArn"] == {"Fn::GetAtt": [athena, "Arn"]}
    assert (table["Catalog"], table["Schema"], table["Name"]) == ("AwsDataCatalog", f"{prod.settings.glue_prefix}_curated", "sales")
    hidden = hidden_columns(prod.settings, prod.settings.dataset("sales"), "quicksight")  # governance leaves these out
    assert {c["Name"]: c["Type"] for c in table["InputColumns"]} == {k: v for k, v in SALES_TYPES.items() if k not in hidden}
    assert [c["Name"] for c in table["InputColumns"] if c.get("SubType") == "FIXED"] == ["unit_price", "amount"]


# Curated type -> (QuickSight type, SPICE sub-type): spelled out so the mapping is reviewed here.
QUICKSIGHT_TYPES = {
    "string": ("STRING", None), "int": ("INTEGER", None), "bigint": ("INTEGER", None),
    "double": ("DECIMAL", "FLOAT"), "boolean": ("BOOLEAN", None), "date": ("DATETIME", None),
    "timestamp": ("DATETIME", None),
}  # fmt: skip


@pytest.mark.parametrize("name", ["prod", "fork"])  # the stages with quicksight.enabled
def test_a_dataset_per_lake_dataset_with_types_from_the_contract(request, name):
    lake = request.getfixturevalue(name)
    sets = data_sets(lake)
    for dataset in lake.settings.datasets:
        table = sets[f"{lake.settings.prefix}-{dataset.name}"]["PhysicalTableMap"]["table"]["RelationalTable"]
        assert (table["Schema"], table["Name"]) == (f"{lake.settings.glue_prefix}_curated", dataset.table)
        columns = {c["Name"]: (c["Type"], c.get("SubType")) for c in table["InputColumns"]}
        hidden = hidden_columns(lake.settings, dataset, "quicksight")
        expected = {c.name: ("DECIMAL", "FIXED") if c.type.startswith("decimal(") else QUICKSIGHT_TYPES[c.type]
                    for c in dataset.columns if c.name not in hidden}
        assert columns == {**expected, dataset.partition: ("STRING", None)}


def test_spice_imports_on_the_configured_schedule(prod):
    schedules = {s["DataSetId"]: s for s in resources(prod, "AWS::QuickSight::RefreshSchedule")}
    assert set(schedules) == {f"{prod.settings.prefix}-{d.name}" for d in prod.settings.datasets}
    refresh = prod.settings.quicksight.refresh
    for data_set_id, schedule in schedules.items():
        data_set = data_sets(prod)[data_set_id]
        assert data_set["ImportMode"] == "SPICE"
        assert data_set["IngestionWaitPolicy"] == {"WaitForSpiceIngestion": True, "IngestionWaitTimeInHours": 1}
        assert schedule["Schedule"]["RefreshType"] == "FULL_REFRESH"
        assert schedule["Schedule"]["ScheduleFrequency"] == {"Interval": refresh.interval, "TimeOfTheDay": refresh.time_of_day, "TimeZone": refresh.timezone}


def test_direct_query_has_no_refresh_schedule(variant):
    sales = data_sets(variant)[f"{variant.settings.prefix}-sales"]
    assert sales["ImportMode"] == "DIRECT_QUERY"
    assert "IngestionWaitPolicy" not in sales
    assert all("SubType" not in c for c in sales["PhysicalTableMap"]["table"]["RelationalTable"]["InputColumns"])
    assert resources(variant, "AWS::QuickSight::RefreshSchedule") == []


def test_row_level_security_grants_rows_from_the_rules_dataset(variant):
    sets = data_sets(variant)
    prefix = variant.settings.prefix
    rules, sales = sets[f"{prefix}-sales-row-rules"], sets[f"{prefix}-sales"]
    assert "RowLevelPermissionDataSet" not in sets[f"{prefix}-clickstream"], "only the datasets the settings name"
    (rules_id,) = variant.template("quicksight").find_resources("AWS::QuickSight::DataSet", {"Properties": {"UseAs": "RLS_RULES"}})
    assert sales["RowLevelPermissionDataSet"] == {"Arn": {"Fn::GetAtt": [rules_id, "Arn"]}, "PermissionPolicy": "GRANT_ACCESS", "FormatVersion": "VERSION_1"}
    assert rules["ImportMode"] == "DIRECT_QUERY"
    columns = rules["PhysicalTableMap"]["table"]["RelationalTable"]["InputColumns"]
    assert columns == [{"Name": n, "Type": "STRING"} for n in ("groupname", "country", "channel")]
    (transform,) = rules["LogicalTableMap"]["table"]["DataTransforms"]
    assert transform == {"RenameColumnOperation": {"ColumnName": "groupname", "NewColumnName": "GroupName"}}


def test_deprecated_properties_are_acknowledged_only_where_row_level_security_uses_them(prod, variant):
    def acknowledged(synth):
        return sorted(ack.path for ack in synth.acknowledgments if ack.rule == "CloudFormation-Validate::W9009")

    assert acknowledged(prod) == []
    stack = variant.stacks["quicksight"].stack_name
    assert acknowledged(variant) == [f"{stack}/SalesDataSet/DataSet", f"{stack}/SalesRowRulesDataSet/DataSet"]


def test_row_rules_table_is_a_csv_prefix_in_the_curated_zone(variant):
    (table,) = resources(variant, "AWS::Glue::Table")
    assert table["DatabaseName"] == f"{variant.settings.glue_prefix}_curated"
    assert table["TableInput"]["Name"] == "sales_row_permissions"
    storage = table["TableInput"]["StorageDescriptor"]
    bucket = f"{variant.settings.prefix}-curated-${{AWS::AccountId}}-${{AWS::Region}}"
    assert render(storage["Location"]) == f"s3://{bucket}/quicksight/row-level-security/sales/"
    assert table["TableInput"]["Parameters"]["skip.header.line.count"] == "1"
    # An empty field must read as NULL: that is what a QuickSight rule takes as "every value".
    assert storage["SerdeInfo"]["Parameters"] == {"field.delim": ",", "serialization.null.format": ""}


def test_s3_source_reads_the_manifest_in_the_curated_zone(prod, variant):
    (s3_source,) = resources(prod, "AWS::QuickSight::DataSource", Type="S3")
    location = s3_source["DataSourceParameters"]["S3Parameters"]["ManifestFileLocation"]
    assert render(location["Bucket"]) == f"{prod.settings.prefix}-curated-${{AWS::AccountId}}-${{AWS::Region}}"
    assert location["Key"] == "quicksight/manifests/files.json"
    assert resources(variant, "AWS::QuickSight::DataSource", Type="S3") == []


@pytest.mark.cfn_lint
def test_the_variant_passes_every_pack_and_cfn_lint(variant):
    from cfnlint.api import lint_all  # a second of imports, for the lint tests only

    assert variant.validation_error is None, variant.validation_error
    with open(variant.assembly.get_stack_by_name(variant.stacks["quicksight"].stack_name).template_full_path) as template:
        matches = lint_all(template.read())
    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.id[0] in "EW"] == []


def test_region_availability_is_the_only_lint_exception(prod):
    """QuickSight is missing in a few regions; only its resources skip that one check (E3006)."""
    for resource in prod.template_json("quicksight")["Resources"].values():
        skipped = resource.get("Metadata", {}).get("cfn-lint")
        expected = {"config": {"ignore_checks": ["E3006"]}} if resource["Type"].startswith("AWS::QuickSight::") else None
        assert skipped == expected, resource["Type"]
