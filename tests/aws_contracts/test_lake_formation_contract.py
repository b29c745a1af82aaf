"""Lake Formation's side of every role of a governed stage (governance.mode hybrid or
lake_formation): each Glue call each role makes on a governed table (the same call lists the IAM
contract tests use, tests/aws_contracts/lake_calls.py) is checked against the synthesized grants,
tag expressions evaluated against the LF-tags actually attached (tests/aws_contracts/lake_formation.py),
and restricted columns are refused to the analysts and QuickSight.

In hybrid mode only the opted-in principals (lake_config.governance_plan.opted_in) are governed by
the grants; the others keep IAM access, but hybrid mode still enforces table creation and
partition writes on registered locations ("Hybrid access mode", Lake Formation Developer Guide).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from lake_config.governance_plan import classification, hidden_columns, opted_in
from tests.aws_contracts import lake_calls
from tests.aws_contracts.iam_policy import ACCOUNT, allows, render, role_policies
from tests.aws_contracts.lake_formation import GLUE_PERMISSIONS, HYBRID_ENFORCED, NEEDS_LOCATION, Invalid, LakeFormation
from tests.stacks.test_lake_access_contracts import key_arn, names, role_by_principal

# The Hive client's first call goes to the account's `default` database, which no stage owns
# (docs/governance.md, "What the stage does not govern").
OUTSIDE_THE_STAGE = {"default"}


@pytest.fixture(scope="session", params=["prod", "fork"])
def governed(request):
    """The shipped stage with hybrid governance and the fork with lake_formation governance."""
    lake = request.getfixturevalue(request.param)
    assert lake.settings.governance.governed
    return lake


@dataclass
class Stage:
    lake: object
    lf: LakeFormation
    roles: dict  # role in the lake -> (principal ARN, template, logical id)


def stage_of(lake) -> Stage:
    stacks = [s for s in ("storage", "catalog", "analytics", "emr", "quicksight", "interactive") if s in lake.stacks]
    outputs = names(lake, *stacks)
    templates = [lake.template_json(s) for s in (*stacks, "governance")]
    lf = LakeFormation.from_templates(templates, outputs)
    roles = {}

    def add(key, stack, logical):
        template = lake.template_json(stack)
        roles[key] = (render({"Fn::GetAtt": [logical, "Arn"]}, template), template, logical)

    catalog = lake.template_json("catalog")
    parameters = {r["Properties"]["Name"]: r["Properties"]["Value"] for r in catalog["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"}
    for dataset in lake.settings.datasets:
        from tests.stacks.test_lake_access_contracts import crawler_of

        add(("crawler", dataset.name), "catalog", crawler_of(catalog, dataset)["Role"]["Fn::GetAtt"][0])
        add(("quality", dataset.name), "catalog", parameters[f"{lake.settings.ssm_prefix}/catalog/datasets/{dataset.name}/data-quality-role"]["Fn::GetAtt"][0])
    if "emr" in lake.stacks:
        add("curation", "emr", role_by_principal(lake.template_json("emr"), "ec2.amazonaws.com"))
    if "quicksight" in lake.stacks:
        add("quicksight", "quicksight", role_by_principal(lake.template_json("quicksight"), "quicksight.amazonaws.com"))
    return Stage(lake, lf, roles)


def governed_by_grants(lake, role: str) -> bool:
    return lake.settings.governance.mode == "lake_formation" or role in opted_in(lake.settings)


def location_of(lake, database: str, table: str) -> str:
    """The S3 location a table of the stage points to, as Lake Formation matches it."""
    settings = lake.settings
    for dataset in settings.datasets:
        if database == lake_calls.curated_database(settings) and table == dataset.table:
            return lake_calls.s3_key(lake_calls.bucket(settings, "curated"), dataset.curated_prefix.rstrip("/"))
        if database == lake_calls.raw_database(settings) and table == dataset.raw_table:
            return lake_calls.s3_key(lake_calls.bucket(settings, "raw"), dataset.raw_prefix.rstrip("/"))
    raise AssertionError(f"{database}.{table} is not a table of the stage")


def refused(stage: Stage, role: str, principal: str, calls) -> list[str]:
    """The Glue calls of `calls` Lake Formation would refuse `principal` (acting as `role`)."""
    lake, lf = stage.lake, stage.lf
    problems = []
    for call in calls:
        if call.action not in GLUE_PERMISSIONS:
            continue
        if not governed_by_grants(lake, role) and call.action not in HYBRID_ENFORCED:
            continue  # hybrid: a principal that is not opted in keeps its IAM access
        level, permissions = GLUE_PERMISSIONS[call.action]
        parts = call.resources[-1].split(":", 5)[-1].split("/")
        database = parts[1]
        if database in OUTSIDE_THE_STAGE:
            continue
        table = parts[2] if level == "table" and len(parts) > 2 else None
        if governed_by_grants(lake, role):
            for permission in permissions:
                if not lf.allows(principal, permission, database, table):
                    problems.append(f"{role}: {call.action} needs {permission} on {database}.{table or ''} ({call.why})")
        if call.action in NEEDS_LOCATION:
            created = parts[2] if len(parts) > 2 else None
            location = location_of(lake, database, created)
            if not lf.allows_location(principal, location):
                problems.append(f"{role}: {call.action} needs DATA_LOCATION_ACCESS on {location}")
    return problems


def test_templates_name_only_declared_tags_and_no_grant_option(governed):
    """LakeFormation.from_templates raises Invalid on an undeclared tag value or a grant option."""
    lf = stage_of(governed).lf
    assert lf.tags and lf.attached and lf.grants


def test_each_role_may_make_its_calls(governed):
    stage = stage_of(governed)
    settings = governed.settings
    problems = []
    for dataset in settings.datasets:
        principal, template, logical = stage.roles[("crawler", dataset.name)]
        problems += refused(stage, "crawler", principal, lake_calls.raw_crawler(settings, dataset, key_arn(governed), "/aws-glue/crawlers"))
        if "curation" in stage.roles:
            principal = stage.roles["curation"][0]
            problems += refused(stage, "curation", principal, lake_calls.emr_curation(settings, dataset, key_arn(governed)))
        principal = stage.roles[("quality", dataset.name)][0]
        database = lake_calls.curated_database(settings)
        quality = [lake_calls.Call(a, lake_calls.glue_table(database, dataset.table)) for a in ("glue:GetTable", "glue:GetPartitions")]
        problems += refused(stage, "quality", principal, [lake_calls.Call("glue:GetDatabase", lake_calls.glue_database(database)), *quality])
        if governed_by_grants(governed, "quality"):
            # Data Quality rules read every column, restricted ones too (required, pattern).
            problems += [f"quality: SELECT {dataset.table}.{c.name}" for c in dataset.columns
                         if not stage.lf.allows(principal, "SELECT", database, dataset.table, c.name)]
    if "quicksight" in stage.roles:
        principal = stage.roles["quicksight"][0]
        problems += refused(stage, "quicksight", principal, lake_calls.quicksight(settings, key_arn(governed), settings.prefix))
    assert not problems, "\n".join(problems)


def consumers(stage: Stage) -> dict[str, str]:
    found = {"quicksight": stage.roles["quicksight"][0]} if "quicksight" in stage.roles else {}
    if arn := stage.lake.settings.governance.analysts_arn(ACCOUNT):
        found["analysts"] = arn
    return found


def test_consumers_read_every_column_but_the_restricted_ones(governed):
    """An analyst's (and QuickSight's) read of a restricted column is refused; every other column,
    the table's definition and its partitions are allowed; the raw zone is not theirs."""
    stage = stage_of(governed)
    settings = governed.settings
    database = lake_calls.curated_database(settings)
    assert consumers(stage), "a governed shipped stage has consumers to govern"
    restricted_seen = False
    for consumer, principal in consumers(stage).items():
        assert stage.lf.allows(principal, "DESCRIBE", database)
        for dataset in settings.datasets:
            hidden = set(hidden_columns(settings, dataset, consumer))
            restricted_seen |= bool(hidden)
            for column in dataset.columns:
                expected = column.name not in hidden
                assert stage.lf.allows(principal, "SELECT", database, dataset.table, column.name) is expected, (
                    f"{consumer} SELECT {dataset.table}.{column.name} ({classification(settings, column)}) should be "
                    f"{'allowed' if expected else 'refused'}"
                )
            assert stage.lf.allows(principal, "DESCRIBE", database, dataset.table)
            assert stage.lf.allows(principal, "SELECT", database, dataset.table, dataset.partition)
            assert not stage.lf.allows(principal, "INSERT", database, dataset.table)
            assert not stage.lf.allows(principal, "SELECT", lake_calls.raw_database(settings), dataset.raw_table)
    assert restricted_seen, "the shipped contracts restrict a column: the refusal is exercised"


def test_a_setting_lets_analysts_read_restricted_columns(tmp_path_factory):
    from tests.conftest import synthesize
    from tests.helpers import CDK_CONTEXT

    governance = {**CDK_CONTEXT["stages"]["prod"]["governance"], "analysts_read_restricted": True}
    emr = {**CDK_CONTEXT["stages"]["prod"]["emr"], "enabled": False}
    quicksight = {**CDK_CONTEXT["stages"]["prod"]["quicksight"], "enabled": False}
    lake = synthesize("prod", tmp_path_factory.mktemp("cdk-prod-analysts"), governance=governance, emr=emr, quicksight=quicksight)
    lf = LakeFormation.from_templates([lake.template_json(s) for s in ("storage", "catalog", "governance")], names(lake, "storage", "catalog"))
    analysts = lake.settings.governance.analysts_arn(ACCOUNT)
    database = lake_calls.curated_database(lake.settings)
    for dataset in lake.settings.datasets:
        assert lf.readable_columns(analysts, database, dataset.table) == (*(c.name for c in dataset.columns), dataset.partition)


def test_the_refusals_depend_on_the_grants_and_tags(governed):
    """The evaluation fails when a grant or a column's tag is taken away (what the tests above rely on)."""
    stage = stage_of(governed)
    settings = governed.settings
    database = lake_calls.curated_database(settings)
    analysts = settings.governance.analysts_arn(ACCOUNT)
    dataset = next(d for d in settings.datasets if hidden_columns(settings, d, "analysts"))
    column = hidden_columns(settings, dataset, "analysts")[0]
    untagged = dataclasses.replace(stage.lf, attached={k: v for k, v in stage.lf.attached.items() if k != ("column", database, dataset.table, column)})
    assert untagged.allows(analysts, "SELECT", database, dataset.table, column), "without its tag the column would be readable"
    for role, (principal, _, _) in stage.roles.items():
        key = role if isinstance(role, str) else role[0]
        if not governed_by_grants(governed, key):
            continue
        bare = dataclasses.replace(stage.lf, grants=[g for g in stage.lf.grants if g.principal != principal])
        if key == "crawler":
            calls = lake_calls.raw_crawler(settings, settings.dataset(role[1]), key_arn(governed), "/x")
        elif key == "quality":
            calls = [lake_calls.Call("glue:GetTable", lake_calls.glue_table(database, role[1]))]
        elif key == "curation":
            calls = lake_calls.emr_curation(settings, dataset, key_arn(governed))
        else:
            calls = lake_calls.quicksight(settings, key_arn(governed), settings.prefix)
        assert refused(Stage(governed, bare, stage.roles), key, principal, calls), f"{role} passes without any grant"


def test_an_undeclared_tag_value_is_refused():
    tag = {"Type": "AWS::LakeFormation::Tag", "Properties": {"TagKey": "k", "TagValues": ["a"]}}
    association = {"Type": "AWS::LakeFormation::TagAssociation", "Properties": {
        "LFTags": [{"TagKey": "k", "TagValues": ["b"]}], "Resource": {"Database": {"Name": "db"}}}}
    with pytest.raises(Invalid):
        LakeFormation.from_templates([{"Resources": {"T": tag, "A": association}}])


def test_governed_roles_may_ask_lake_formation_for_credentials(governed):
    """Lake Formation vends credentials only to principals whose IAM policies allow
    lakeformation:GetDataAccess ("Underlying data access control"); the Glue calls stay in each
    role's own policies (the IAM contract tests)."""
    stage = stage_of(governed)
    outputs = names(governed, *[s for s in ("storage", "catalog", "emr", "quicksight", "interactive") if s in governed.stacks])
    governance = governed.template_json("governance")
    attached = [
        (render(r["Properties"].get("Roles", []), governance, outputs), render(r["Properties"]["PolicyDocument"], governance, outputs))
        for r in governance["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
    ]
    for role, (principal, template, logical) in stage.roles.items():
        policies = role_policies(template, logical) + [document for roles, document in attached if logical in roles]
        assert allows(policies, "lakeformation:GetDataAccess", "*"), f"{role} cannot ask Lake Formation for credentials"
