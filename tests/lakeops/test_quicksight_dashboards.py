"""`lakeops quicksight export | diff | embed-url` against recorded-shape QuickSight answers.

moto (5.2.5) implements none of DescribeAnalysisDefinition, DescribeDashboardDefinition or
GenerateEmbedUrlForRegisteredUser, so QuickSight's answers come from botocore's Stubber on a
client whose STS is moto's. The definitions the stub returns are what the stack deployed: the
`Definition` of each analysis and dashboard in the synthesized prod template, with its
intrinsics rendered for a fake account and region, serialized as the service's JSON body and
parsed by botocore's own rest-json parser, which is how boto3 hands an answer to the CLI.
"""
import copy
import json

import botocore.session
import pytest
from botocore.parsers import create_parser
from botocore.stub import Stubber
from click.testing import CliRunner

from lake_config.dashboard_definitions import definition_path, load_dashboards
from lakeops.aws import Aws
from lakeops.cli import cli
from lakeops.context import Lake
from lakeops.quicksight_dashboards import caller_user_arn, partition
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, render
from tests.helpers import CDK_CONTEXT, absent_name

MODEL = botocore.session.get_session().get_service_model("quicksight")
OPERATIONS = {"AWS::QuickSight::Analysis": ("describe_analysis_definition", "DescribeAnalysisDefinition", "AnalysisId"),
              "AWS::QuickSight::Dashboard": ("describe_dashboard_definition", "DescribeDashboardDefinition", "DashboardId")}  # fmt: skip


@pytest.fixture(scope="module")
def deployed(prod):
    """(resource type, id) -> the definition the stack deployed, as the live API holds it."""
    template = prod.template_json("quicksight")
    data_set_ids = {lid: r["Properties"]["DataSetId"] for lid, r in template["Resources"].items() if r["Type"] == "AWS::QuickSight::DataSet"}
    live = {}
    for resource in template["Resources"].values():
        if resource["Type"] in OPERATIONS:
            key = OPERATIONS[resource["Type"]][2]
            definition = render(resource["Properties"]["Definition"], template, data_set_ids)
            assert "Fn::" not in json.dumps(definition) and "{dataset-arn:" not in json.dumps(definition)
            live[resource["Type"], resource["Properties"][key]] = definition
    return live


def api_answer(operation: str, body: dict) -> dict:
    """`body` sent as the service's JSON and parsed by botocore, as boto3 returns it."""
    shape = MODEL.operation_model(operation).output_shape
    raw = {"status_code": 200, "headers": {"x-amzn-requestid": "req-1"}, "body": json.dumps(body).encode()}
    parsed = create_parser("rest-json").parse(raw, shape)
    parsed.pop("ResponseMetadata")
    return parsed


def answer_definition(stub: Stubber, resource_type: str, resource_id: str, definition: dict) -> None:
    method, operation, key = OPERATIONS[resource_type]
    body = {key: resource_id, "Name": resource_id, "Definition": definition, "ResourceStatus": "CREATION_SUCCESSFUL", "RequestId": "req-1"}
    stub.add_response(method, api_answer(operation, body), {"AwsAccountId": ACCOUNT, key: resource_id})


@pytest.fixture
def quicksight(aws, monkeypatch):
    """The CLI's clients, in the fake account's region, with QuickSight answered by a Stubber."""
    clients = Aws(None, REGION)
    monkeypatch.setattr(Lake, "client", lambda self, service: clients.client(service))
    with Stubber(clients.client("quicksight")) as stub:
        yield stub
        stub.assert_no_pending_responses()


def lakeops(*args):
    return CliRunner().invoke(cli, ["--stage", "prod", "quicksight", *args, "--account-id", ACCOUNT])


def names(prod) -> list[str]:
    return [d.dataset.name for d in load_dashboards(prod.settings.datasets)]


@pytest.mark.parametrize("published", [False, True], ids=["analysis", "dashboard"])
def test_export_of_the_deployed_definition_reproduces_the_repository_file(prod, deployed, quicksight, tmp_path, published):
    prefix = prod.settings.prefix
    for name in names(prod):
        resource_type, resource_id = ("AWS::QuickSight::Dashboard", f"{prefix}-{name}") if published else ("AWS::QuickSight::Analysis", f"{prefix}-{name}-analysis")
        answer_definition(quicksight, resource_type, resource_id, deployed[resource_type, resource_id])
        target = tmp_path / f"{name}.json"
        result = lakeops("export", "--dashboard", name, "--output", str(target), *(["--published"] if published else []))
        assert result.exit_code == 0, result.output
        assert target.read_bytes() == definition_path(prod.settings.dataset(name)).read_bytes()
        assert "warning" not in result.output


def test_a_console_edit_becomes_a_reviewable_diff(prod, deployed, quicksight, tmp_path):
    analysis = f"{prod.settings.prefix}-sales-analysis"
    edited = copy.deepcopy(deployed["AWS::QuickSight::Analysis", analysis])
    edited["Sheets"][0]["Visuals"][4]["BarChartVisual"]["Title"]["FormatText"]["PlainText"] = "Revenue per category"
    answer_definition(quicksight, "AWS::QuickSight::Analysis", analysis, edited)
    answer_definition(quicksight, "AWS::QuickSight::Dashboard", f"{prod.settings.prefix}-sales", deployed["AWS::QuickSight::Dashboard", f"{prod.settings.prefix}-sales"])
    result = lakeops("diff", "--dashboard", "sales")
    assert result.exit_code == 1
    changed = [line for line in result.output.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == ['-                "PlainText": "Revenue by category"', '+                "PlainText": "Revenue per category"']
    assert f"dashboard {prod.settings.prefix}-sales: same as datasets/sales/dashboard.json" in result.output
    assert "1 of the account's definitions differ from the repository" in result.output


def test_diff_of_the_deployed_stage_finds_nothing(prod, deployed, quicksight):
    prefix = prod.settings.prefix
    for name in names(prod):  # the order the command asks in: each dashboard's analysis, then the dashboard
        for key in (("AWS::QuickSight::Analysis", f"{prefix}-{name}-analysis"), ("AWS::QuickSight::Dashboard", f"{prefix}-{name}")):
            answer_definition(quicksight, *key, deployed[key])
    result = lakeops("diff")
    assert result.exit_code == 0, result.output
    assert result.output.count(": same as datasets/") == 2 * len(names(prod))


def test_export_refuses_a_definition_that_still_names_the_account(prod, deployed, quicksight, tmp_path):
    analysis = f"{prod.settings.prefix}-sales-analysis"
    edited = copy.deepcopy(deployed["AWS::QuickSight::Analysis", analysis])
    other = f"arn:aws:quicksight:{REGION}:{ACCOUNT}:dataset/{prod.settings.project}-dev-sales"
    edited["DataSetIdentifierDeclarations"].append({"Identifier": "dev-sales", "DataSetArn": other})
    answer_definition(quicksight, "AWS::QuickSight::Analysis", analysis, edited)
    result = lakeops("export", "--dashboard", "sales", "--output", str(tmp_path / "out.json"))
    assert result.exit_code == 1
    assert f"DataSetIdentifierDeclarations[1].DataSetArn = '{other}'" in result.output and "not written" in result.output
    assert not (tmp_path / "out.json").exists()


def test_export_warns_when_synth_would_refuse_the_edit(prod, deployed, quicksight):
    analysis = f"{prod.settings.prefix}-sales-analysis"
    edited = copy.deepcopy(deployed["AWS::QuickSight::Analysis", analysis])
    edited["Sheets"][0]["Visuals"][4]["BarChartVisual"]["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"]["Category"][0][
        "CategoricalDimensionField"]["Column"]["ColumnName"] = "segment"  # fmt: skip
    answer_definition(quicksight, "AWS::QuickSight::Analysis", analysis, edited)
    result = lakeops("export", "--dashboard", "sales", "--output", "-")
    assert result.exit_code == 0
    assert '"ColumnName": "segment"' in result.output
    assert "warning: synth will refuse this definition" in result.output and "names column 'segment'" in result.output


def test_a_missing_analysis_is_not_deployed(prod, quicksight):
    quicksight.add_client_error("describe_analysis_definition", "ResourceNotFoundException", "Analysis not found", 404)
    result = lakeops("export", "--dashboard", "sales", "--output", "-")
    assert result.exit_code == 3
    assert f"analysis {prod.settings.prefix}-sales-analysis not found in account {ACCOUNT}" in result.output


def test_an_unknown_dashboard_is_a_usage_error(quicksight):
    unknown = absent_name()
    result = lakeops("export", "--dashboard", unknown)
    assert result.exit_code == 2 and f"no dashboard '{unknown}'" in result.output


def test_anomaly_detection_is_not_in_the_definition_api():
    """AWS's side: the only anomaly-detection name in botocore's QuickSight model is a user capability."""
    text = json.dumps(MODEL._service_description)
    assert sorted(set(__import__("re").findall(r"\w*Anomal\w*", text))) == ["AddOrRunAnomalyDetectionForAnalyses"]
    assert "AddOrRunAnomalyDetectionForAnalyses" in MODEL.shape_for("Capabilities").members


def test_botocore_drops_what_its_model_lacks_so_export_cannot_keep_it(prod, deployed, quicksight):
    """Even if the service sent an anomaly computation, the parsed answer would not hold it."""
    analysis = f"{prod.settings.prefix}-sales-analysis"
    edited = copy.deepcopy(deployed["AWS::QuickSight::Analysis", analysis])
    (insight,) = [v["InsightVisual"] for v in edited["Sheets"][0]["Visuals"] if v.get("InsightVisual", {}).get("VisualId") == "revenue-movers-insight"]
    insight["InsightConfiguration"]["Computations"] = [{"AnomalyDetection": {"ComputationId": "outliers", "Name": "Outliers"}}]
    body = {"AnalysisId": analysis, "Definition": edited, "RequestId": "r"}
    parsed = api_answer("DescribeAnalysisDefinition", body)
    assert "AnomalyDetection" not in json.dumps(parsed)
    answer_definition(quicksight, "AWS::QuickSight::Analysis", analysis, edited)
    result = lakeops("export", "--dashboard", "sales", "--output", "-")
    assert result.exit_code == 0
    assert "warning: insight visual 'revenue-movers-insight' has a computation the definition API does not describe" in result.output
    exported = json.loads(result.stdout)
    (kept,) = [v["InsightVisual"] for v in exported["Sheets"][0]["Visuals"] if v.get("InsightVisual", {}).get("VisualId") == "revenue-movers-insight"]
    assert kept["InsightConfiguration"]["Computations"] == []


@pytest.fixture
def embedding_config(monkeypatch, tmp_path):
    """cdk.json with prod's embedding allowed on two origins."""
    context = copy.deepcopy(CDK_CONTEXT)
    domains = ["https://bi.example.com", "http://localhost:8000"]
    context["stages"]["prod"]["quicksight"]["dashboards"]["embedding"]["allowed_domains"] = domains
    config = tmp_path / "cdk.json"
    config.write_text(json.dumps({"context": context}))
    monkeypatch.setattr("lakeops.quicksight_dashboards.CDK_JSON", config)
    return domains


def expect_embed(quicksight, prod, domains, user):
    quicksight.add_response(
        "generate_embed_url_for_registered_user",
        {"EmbedUrl": "https://us-east-1.quicksight.aws.amazon.com/embed/abc/dashboards/x?code=c&isauthcode=true", "Status": 200, "RequestId": "r"},
        {
            "AwsAccountId": ACCOUNT,
            "SessionLifetimeInMinutes": prod.settings.quicksight.dashboards.embedding.session_lifetime_minutes,
            "UserArn": user,
            "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": f"{prod.settings.prefix}-sales"}},
            "AllowedDomains": domains,
        },
    )


def test_embed_url_limits_the_url_to_the_configured_domains(prod, quicksight, embedding_config):
    user = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/jane@example.com"
    expect_embed(quicksight, prod, embedding_config, user)
    result = lakeops("embed-url", "--dashboard", "sales", "--user", user)
    assert result.exit_code == 0, result.output
    assert result.output == "https://us-east-1.quicksight.aws.amazon.com/embed/abc/dashboards/x?code=c&isauthcode=true\n"


def test_embed_url_defaults_to_the_callers_quicksight_user_and_builds_the_page_url(prod, quicksight, embedding_config):
    identity_region = prod.settings.quicksight.identity_region
    expect_embed(quicksight, prod, embedding_config, f"arn:aws:quicksight:{identity_region}:123456789012:user/default/moto")
    result = lakeops("embed-url", "--dashboard", "sales", "--page-url", "http://localhost:8000/embedding/", "--param", "StartDate=2026-01-01")
    assert result.exit_code == 0, result.output
    page = result.output.splitlines()[1]
    assert page == ("http://localhost:8000/embedding/?embedUrl=https%3A%2F%2Fus-east-1.quicksight.aws.amazon.com%2Fembed%2Fabc%2Fdashboards"
                    "%2Fx%3Fcode%3Dc%26isauthcode%3Dtrue&p.StartDate=2026-01-01")


def test_embed_url_refuses_an_unknown_parameter(quicksight, embedding_config):
    result = lakeops("embed-url", "--dashboard", "sales", "--page-url", "http://localhost:8000/embedding/", "--param", "Region=EU")
    assert result.exit_code == 2 and "NAME one of StartDate, EndDate" in result.output


def test_embed_url_needs_allowed_domains(prod, quicksight):
    assert prod.settings.quicksight.dashboards.embedding.allowed_domains == []
    result = lakeops("embed-url", "--dashboard", "sales", "--user", f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/jane")
    assert result.exit_code == 1
    assert "stages.prod.quicksight.dashboards.embedding.allowed_domains is empty" in result.output


@pytest.mark.parametrize(
    "caller, user",
    [
        ("arn:aws:iam::123456789012:user/jane", "arn:aws:quicksight:us-east-1:123456789012:user/default/jane"),
        ("arn:aws:sts::123456789012:assumed-role/BiReaders/jane@example.com", "arn:aws:quicksight:us-east-1:123456789012:user/default/BiReaders/jane@example.com"),
        ("arn:aws-cn:iam::123456789012:user/li", "arn:aws-cn:quicksight:us-east-1:123456789012:user/default/li"),
    ],
)  # fmt: skip
def test_the_quicksight_user_of_an_iam_caller(caller, user):
    assert caller_user_arn(caller, "us-east-1") == user


@pytest.mark.parametrize(("region", "expected"), [
    ("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"),
])
def test_arns_carry_the_regions_partition(region, expected):
    """botocore's endpoint data names each region's partition (the isolated ones too, which a
    prefix test on cn-/us-gov- missed)."""
    assert partition(region) == expected
