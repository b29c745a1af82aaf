"""AWS's side of every role of the lake: each request a client makes for a dataset (listed in
tests/aws_contracts/lake_calls.py) is evaluated against the synthesized policies, for every
dataset of the stage, so a missing grant fails here and not in a deployed account; and requests
outside the datasets are denied."""
import pytest

from tests.aws_contracts import lake_calls
from tests.aws_contracts.iam_policy import decision, render, role_policies, stack_outputs


# Resources whose Ref is the name they are given (CloudFormation's "Return values").
NAMED_BY_REF = {"AWS::Athena::WorkGroup": "Name"}


def names(synth, *stacks: str) -> dict:
    """Rendering names for the outputs of `stacks` that other templates read."""
    found = {}
    for stack in stacks:
        template = synth.template_json(stack)
        physical = {
            k: r["Properties"][NAMED_BY_REF[r["Type"]]] for k, r in template["Resources"].items() if r["Type"] in NAMED_BY_REF
        }
        found |= stack_outputs(synth.stacks[stack].stack_name, template, physical)
    return found


def key_arn(synth) -> str:
    storage = synth.template_json("storage")
    (key_id,) = [k for k, r in storage["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    return render({"Fn::GetAtt": [key_id, "Arn"]}, storage)


def refused(policies, calls) -> list[str]:
    """The calls some resource of which the policies do not allow."""
    return [
        f"{call.action} {resource} {dict(call.context)} ({call.why})"
        for call in calls
        for resource in call.resources
        if decision(policies, call.action, resource, call.context) != "allow"
    ]


def allowed(policies, calls) -> list[str]:
    """The calls every resource of which the policies allow."""
    return [
        f"{call.action} {call.resources} ({call.why})"
        for call in calls
        if all(decision(policies, call.action, resource, call.context) == "allow" for resource in call.resources)
    ]


def role_by_principal(template: dict, service: str) -> str:
    (role,) = [
        k for k, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
        and any(s["Principal"].get("Service") == service for s in r["Properties"]["AssumeRolePolicyDocument"]["Statement"])
        and any(p["Type"] == "AWS::IAM::InstanceProfile" and {"Ref": k} in p["Properties"]["Roles"]
                for p in template["Resources"].values()) == (service == "ec2.amazonaws.com")
    ]
    return role


# --- EMR instance role: the curation job ------------------------------------------------------


@pytest.fixture(scope="module")
def instance_policies(request):
    cache = {}

    def get(synth):
        if synth.stage not in cache:
            template = synth.template_json("emr")
            role = role_by_principal(template, "ec2.amazonaws.com")
            cache[synth.stage] = role_policies(template, role, names(synth, "storage"))
        return cache[synth.stage]

    return get


def test_the_instance_role_allows_every_call_of_a_curation_run(lake, instance_policies):
    policies = instance_policies(lake)
    for dataset in lake.settings.datasets:
        problems = refused(policies, lake_calls.emr_curation(lake.settings, dataset, key_arn(lake)))
        assert not problems, f"{dataset.name}:\n" + "\n".join(problems)


def test_the_instance_role_denies_calls_outside_the_datasets(lake, instance_policies):
    policies = instance_policies(lake)
    for dataset in lake.settings.datasets:
        problems = allowed(policies, lake_calls.emr_denied(lake.settings, dataset))
        assert not problems, f"{dataset.name}:\n" + "\n".join(problems)


# --- crawler roles ----------------------------------------------------------------------------


def crawler_of(template: dict, dataset) -> dict:
    (crawler,) = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Glue::Crawler"
        and render(r["Properties"]["Targets"]["S3Targets"][0]["Path"], template).endswith(f"/{dataset.raw_prefix}")
    ]
    return crawler


def crawler_log_group(template: dict, crawler: dict) -> str:
    """Where Glue writes a crawler's log under a security configuration: /aws-glue/crawlers-role/<role>-<configuration>."""
    (configuration,) = [r["Properties"]["Name"] for r in template["Resources"].values() if r["Type"] == "AWS::Glue::SecurityConfiguration"]
    return f"/aws-glue/crawlers-role/{crawler['Role']['Fn::GetAtt'][0]}-{configuration}"


def test_each_crawler_role_allows_its_crawl_and_nothing_of_the_other_datasets(lake):
    template = lake.template_json("catalog")
    outputs = names(lake, "storage")
    for dataset in lake.settings.datasets:
        crawler = crawler_of(template, dataset)
        policies = role_policies(template, crawler["Role"]["Fn::GetAtt"][0], outputs)
        calls = lake_calls.raw_crawler(lake.settings, dataset, key_arn(lake), crawler_log_group(template, crawler))
        problems = refused(policies, calls) + allowed(policies, lake_calls.raw_crawler_denied(lake.settings, dataset))
        assert not problems, f"{dataset.name}:\n" + "\n".join(problems)


# --- QuickSight -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prod", "fork"])  # the stages with quicksight.enabled
def test_the_quicksight_role_reads_every_dataset_and_nothing_else(request, name):
    lake = request.getfixturevalue(name)
    template = lake.template_json("quicksight")
    policies = role_policies(template, role_by_principal(template, "quicksight.amazonaws.com"), names(lake, "storage", "analytics"))
    workgroup = lake.settings.prefix
    problems = refused(policies, lake_calls.quicksight(lake.settings, key_arn(lake), workgroup))
    problems += allowed(policies, lake_calls.quicksight_denied(lake.settings, workgroup))
    assert not problems, "\n".join(problems)


def test_row_level_rules_are_readable_where_they_are_on(fork):
    template = fork.template_json("quicksight")
    policies = role_policies(template, role_by_principal(template, "quicksight.amazonaws.com"), names(fork, "storage", "analytics"))
    (name,) = fork.settings.quicksight.row_level_security.columns
    dataset = fork.settings.dataset(name)
    database = lake_calls.curated_database(fork.settings)
    rules = lake_calls.Call("glue:GetTable", lake_calls.glue_table(database, f"{dataset.table}_row_permissions"))
    rules_file = lake_calls.Call("s3:GetObject", (lake_calls.s3_key(lake_calls.bucket(fork.settings, "curated"),
                                                                    f"quicksight/row-level-security/{name}/rules.csv"),))
    assert refused(policies, [rules, rules_file]) == []


# --- Data Quality evaluations -----------------------------------------------------------------


def test_each_data_quality_role_reads_only_its_table(lake):
    template = lake.template_json("catalog")
    parameters = {r["Properties"]["Name"]: r["Properties"]["Value"] for r in template["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"}
    curated, database = lake_calls.bucket(lake.settings, "curated"), lake_calls.curated_database(lake.settings)
    for dataset in lake.settings.datasets:
        role_arn = parameters[f"{lake.settings.ssm_prefix}/catalog/datasets/{dataset.name}/data-quality-role"]
        policies = role_policies(template, role_arn["Fn::GetAtt"][0], names(lake, "storage"))
        ruleset = lake_calls.glue(f"dataQualityRuleset/{lake.settings.prefix}-{dataset.name}")
        calls = [
            lake_calls.Call("glue:GetTable", lake_calls.glue_table(database, dataset.table)),
            lake_calls.Call("glue:GetPartitions", lake_calls.glue_table(database, dataset.table)),
            lake_calls.Call("glue:PublishDataQuality", (ruleset,)),
            lake_calls.Call("s3:ListBucket", (lake_calls.s3_bucket(curated),), {"s3:prefix": dataset.curated_prefix}),
            lake_calls.Call("s3:GetObject", (lake_calls.s3_key(curated, f"{dataset.curated_prefix}{lake_calls.DAY}part.parquet"),)),
            lake_calls.Call("kms:Decrypt", (key_arn(lake),)),
        ]
        others = [d for d in lake.settings.datasets if d.name != dataset.name]
        denied = [lake_calls.Call("s3:GetObject", (lake_calls.s3_key(curated, f"{d.curated_prefix}{lake_calls.DAY}x"),)) for d in others]
        denied += [lake_calls.Call("glue:GetTable", lake_calls.glue_table(database, d.table)) for d in others]
        denied += [lake_calls.Call("s3:GetObject", (lake_calls.s3_key(curated, f"{dataset.quarantine_prefix}{lake_calls.DAY}x"),))]
        problems = refused(policies, calls) + allowed(policies, denied)
        assert not problems, f"{dataset.name}:\n" + "\n".join(problems)
